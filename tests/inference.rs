//! The inference pass (`infer`, `predict_with`) gives what `forward` and `predict` give, bit
//! for bit, in a scratch much smaller than the training cache; a network viewed from bytes
//! (a `static` among them) is the network they were written from, and bad bytes are errors.

use core::mem::size_of;
use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::io::{load_weights, Name};
use typenet::prelude::*;
use typenet::{Error, InferenceScratch, Number};

#[allow(dead_code)] // The outputs of typenet's own weights are for tests/weights_io.rs.
mod fixtures {
    include!("fixtures/interop.rs");
}

network! {
    /// The twin of fixtures/interop.py's `nn.Sequential`, as in tests/weights_io.rs.
    struct Interop {
        input: 4,
        hidden: dense(8),
        norm: batch_norm,
        relu,
        drop: dropout(0.2),
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

/// Bytes aligned for `f32` and `f64`, as a network in flash is kept.
#[repr(C, align(8))]
struct Aligned<const N: usize>([u8; N]);

/// The PyTorch-trained network of `interop.safetensors`, as `as_bytes` writes it on a
/// little-endian host; `UPDATE_FIXTURES=1 cargo test --test inference` rewrites it.
static INTEROP: Aligned<{ Interop::<f32>::NETWORK_BYTES }> =
    Aligned(*include_bytes!("fixtures/interop_f32_le.bin"));

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
    // (8·12), and the mode batch norm ran in (1): 1,461 scalars.
    assert_eq!(size_of::<EveryCache<8>>(), 1_461 * 4);
    assert!(size_of::<InferenceScratch<Every, 8>>() * 4 < size_of::<EveryCache<8>>());
}

/// The PyTorch-trained network, loaded from its safetensors file.
fn interop() -> Interop<f32> {
    let mut net = Interop::<f32>::zeroed();
    load_weights(&mut net, include_bytes!("fixtures/interop.safetensors")).unwrap();
    net
}

#[cfg(target_endian = "little")]
#[test]
fn a_static_network_in_bytes_is_the_trained_network() {
    let loaded = interop();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/interop_f32_le.bin"
        );
        std::fs::write(path, loaded.as_bytes()).unwrap();
    }
    let net: &'static Interop<f32> = Interop::<f32>::view_bytes(&INTEROP.0).unwrap();
    assert_eq!(net.as_bytes(), loaded.as_bytes());
    let var = net.tensor("norm.running_var").unwrap();
    assert!(var.iter().all(|&v| v > 0.0 && v != 1.0));
    // PyTorch's outputs, and the loaded network's to the bit.
    let mut scratch = InferenceScratch::<Interop, 5>::zeroed();
    let out = *net.infer(&fixtures::INPUTS, &mut scratch);
    for (r, (got, expected)) in out.iter().zip(&fixtures::OUTPUTS).enumerate() {
        for (c, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!(
                (g - e).abs() <= 1e-5,
                "row {r}, output {c}: {g} against {e}"
            );
        }
    }
    let bits = |rows: &[[f32; 3]; 5]| {
        rows.iter()
            .flatten()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&out), bits(&loaded.forward(&fixtures::INPUTS)));
}

#[test]
fn a_network_viewed_from_its_bytes_gives_its_outputs() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut net = Every::<f32>::new(&mut rng);
    let mut cache = EveryCache::<8>::zeroed();
    let x = [[0.5f32, -1.0, 2.0, 0.0, 1.5, -0.25]; 8];
    net.forward_train(&x, &mut cache, &mut rng);
    let mut flash = Box::new(Aligned([0u8; Every::<f32>::NETWORK_BYTES]));
    flash.0.copy_from_slice(net.as_bytes());
    let view = Every::<f32>::view_bytes(&flash.0).unwrap();
    let (mut a, mut b) = (
        InferenceScratch::<Every, 8>::zeroed(),
        InferenceScratch::<Every, 8>::zeroed(),
    );
    assert_eq!(view.infer(&x, &mut a), net.infer(&x, &mut b));
    assert_eq!(view.as_flat(), net.as_flat());
}

#[test]
fn bad_bytes_are_errors_that_say_what_is_wrong() {
    let net = interop();
    let mut flash = Box::new(Aligned([0u8; Interop::<f32>::NETWORK_BYTES + 8]));
    let n = Interop::<f32>::NETWORK_BYTES;
    flash.0[..n].copy_from_slice(net.as_bytes());
    assert!(Interop::<f32>::view_bytes(&flash.0[..n]).is_ok());

    // Too short, too long.
    let err = Interop::<f32>::view_bytes(&flash.0[..n - 1]).unwrap_err();
    assert_eq!(
        err,
        Error::ByteLength {
            expected: n,
            found: n - 1
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the network takes {n} bytes, but {} bytes were given",
            n - 1
        )
    );
    let err = Interop::<f32>::view_bytes(&flash.0[..n + 4]).unwrap_err();
    assert_eq!(
        err,
        Error::ByteLength {
            expected: n,
            found: n + 4
        }
    );

    // Misaligned: the same number of bytes, starting 2 bytes into the block.
    flash.0.copy_within(0..n, 2);
    let err = Interop::<f32>::view_bytes(&flash.0[2..n + 2]).unwrap_err();
    assert_eq!(
        err,
        Error::MisalignedBytes {
            alignment: 4,
            offset: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "the bytes must start at a multiple of 4, but start 2 bytes past one \
         (keep them in a `#[repr(align(4))]` wrapper)"
    );
    flash.0.copy_within(2..n + 2, 0);

    // A NaN weight: hidden.weight is first, value 5 is bytes 20..24.
    let good = flash.0;
    flash.0[20..24].copy_from_slice(&f32::NAN.to_ne_bytes());
    let err = Interop::<f32>::view_bytes(&flash.0[..n]).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidTensorValue { ref tensor, index: 5, value: Number::F32(v), expected: "a finite number" }
            if *tensor == Name::new("hidden.weight") && v.is_nan()
    ));

    // A negative running variance: the last tensor, so its last value ends the block.
    flash.0 = good;
    flash.0[n - 4..n].copy_from_slice(&(-1.0f32).to_ne_bytes());
    let err = Interop::<f32>::view_bytes(&flash.0[..n]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 7 (counting from 0) of tensor `norm.running_var` is -1, but must be a finite number at least 0"
    );
}
