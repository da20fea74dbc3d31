//! The inference pass (`infer`, `predict_with`) gives what `forward` and `predict` give, bit
//! for bit, in a scratch much smaller than the training cache.

use core::mem::size_of;
use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::prelude::*;
use typenet::InferenceScratch;

network! {
    /// Every kind of layer, with dropout and batch norm between dense layers.
    pub struct Every {
        input: 6,
        hidden: dense(12),
        norm: batch_norm,
        relu,
        dropout(0.5),
        second: dense(12 -> 8),
        tanh,
        third: dense(5),
        sigmoid,
        output: dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The hidden width is a type parameter.
    struct Mlp<H> {
        input: 4,
        dense(H), relu,
        dense(H -> 3),
        loss: softmax_cross_entropy,
    }
}

fn inputs<const B: usize, const W: usize>(seed: u64) -> [[f64; W]; B] {
    typenet::gradcheck::test_weights(seed)
}

/// A network whose running statistics have moved away from their initial 0 and 1, so that
/// evaluation's batch norm is not the identity.
fn trained() -> Every<f64> {
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = Every::<f64>::new(&mut rng);
    let mut cache = EveryCache::<8, f64>::zeroed();
    for seed in 0..5 {
        let x: [[f64; 6]; 8] = inputs(seed);
        net.forward_train(
            &x.map(|row| row.map(|v| 3.0 * v + 1.0)),
            &mut cache,
            &mut rng,
        );
    }
    assert!(net.buffers.norm.running_var.iter().all(|&v| v != 1.0));
    net
}

fn bits<const B: usize, const W: usize>(rows: &[[f64; W]; B]) -> Vec<u64> {
    rows.iter().flatten().map(|v| v.to_bits()).collect()
}

fn infer_is_forward<const B: usize>(net: &Every<f64>, seed: u64)
where
    Const<B>: Batch,
{
    let x: [[f64; 6]; B] = inputs(seed);
    let mut scratch = InferenceScratch::<Every<f64>, B, f64>::zeroed();
    // Whatever the scratch held before does not matter.
    scratch.as_flat_mut().fill(f64::NAN);
    let inferred = *net.infer(&x, &mut scratch);
    assert_eq!(bits(&inferred), bits(&net.forward(&x)));
    assert_eq!(
        net.predict_with(&x, &mut scratch).unwrap(),
        net.predict(&x).unwrap()
    );
}

#[test]
fn infer_gives_forward_bit_for_bit_at_batch_1_and_8() {
    let net = trained();
    infer_is_forward::<1>(&net, 11);
    infer_is_forward::<8>(&net, 12);
}

#[test]
fn infer_gives_forward_with_a_generic_width() {
    let net = Mlp::<16, f64>::new(&mut StdRng::seed_from_u64(4));
    let x: [[f64; 4]; 8] = inputs(13);
    let mut scratch = InferenceScratch::<Mlp<16, f64>, 8, f64>::zeroed();
    assert_eq!(bits(net.infer(&x, &mut scratch)), bits(&net.forward(&x)));
    // Both buffers hold 16-wide rows: the first layer's output, then the ReLU's.
    assert_eq!(
        size_of::<InferenceScratch<Mlp<16, f64>, 8, f64>>(),
        2 * 8 * 16 * 8
    );
}

#[test]
fn a_non_finite_output_is_an_error_naming_the_row() {
    let mut net = trained();
    net.params.output.bias[1] = f64::NAN;
    let x: [[f64; 6]; 2] = inputs(14);
    let mut scratch = InferenceScratch::<Every<f64>, 2, f64>::zeroed();
    let err = net.predict_with(&x, &mut scratch).unwrap_err();
    assert_eq!(err, typenet::Error::NonFiniteOutput { row: 0 });
}

#[test]
fn the_scratch_is_two_buffers_of_the_widest_outputs() {
    // Layers at even positions: hidden 12, relu 12, second 8, third 5, output 3 → 12 wide.
    // Odd positions: norm 12, dropout 12, tanh 8, sigmoid 5 → 12 wide.
    assert_eq!(size_of::<InferenceScratch<Every, 8>>(), 2 * 8 * 12 * 4);
    // The training cache keeps every output and its gradient (2·8·(4·12 + 2·8 + 2·5 + 3)
    // scalars), batch norm's mean, variance, 1/σ and x̂ (3·12 + 8·12) and dropout's mask
    // (8·12): 1,460 scalars.
    assert_eq!(size_of::<EveryCache<8>>(), 1_460 * 4);
    assert!(size_of::<InferenceScratch<Every, 8>>() * 4 < size_of::<EveryCache<8>>());
}
