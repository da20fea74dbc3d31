//! Dropout masks given by the caller: one keep-mask per dropout layer, in order, checked
//! before anything runs. (Parity with PyTorch's own mask is in `layer_parity.rs`.)

use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::prelude::*;

network! {
    /// Two dropout layers of different widths and probabilities.
    struct TwoDrops {
        input: 4,
        dense(6),
        first: dropout(0.5),
        relu,
        norm: batch_norm,
        dense(5),
        second: dropout(0.2),
        out: dense(2),
        loss: softmax_cross_entropy,
    }
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn inputs() -> [[f64; 4]; 3] {
    typenet::gradcheck::test_weights(1)
}

const LABELS: [usize; 3] = [1, 0, 1];

/// Which elements a mask in the cache keeps.
fn kept(mask: &[f64]) -> Vec<bool> {
    mask.iter().map(|&m| m != 0.0).collect()
}

/// Giving back the masks a seeded training pass drew reproduces that pass: the same loss,
/// gradients and running statistics, bit for bit.
#[test]
fn the_masks_a_pass_drew_reproduce_it() {
    let x = inputs();
    let (mut drawn, mut given) = (
        TwoDrops::<f64>::new(&mut rng(2)),
        TwoDrops::<f64>::new(&mut rng(2)),
    );
    let mut cache = TwoDropsCache::<3, f64>::zeroed();
    let (mut grads, mut grads_given) = (TwoDropsGrads::<f64>::zeroed(), TwoDropsGrads::zeroed());
    let loss = drawn
        .loss_and_grad(&x, &LABELS, &mut cache, &mut grads, &mut rng(3))
        .unwrap();
    let first = kept(cache.first.state.as_flat());
    let second = kept(cache.second.state.as_flat());
    assert!(first.contains(&false) && first.contains(&true), "{first:?}");
    assert_eq!((first.len(), second.len()), (3 * 6, 3 * 5));
    let loss_given = given
        .loss_and_grad_masked(
            &x,
            &LABELS,
            &mut cache,
            &mut grads_given,
            &[&first, &second],
        )
        .unwrap();
    assert_eq!(loss.to_bits(), loss_given.to_bits());
    assert_eq!(grads.as_flat(), grads_given.as_flat());
    assert_eq!(drawn.as_flat(), given.as_flat());
    assert_eq!(kept(cache.first.state.as_flat()), first);
}

/// Masks that do not fit are refused before anything runs: the network and the cache keep
/// every bit.
#[test]
fn masks_that_do_not_fit_are_an_error_that_changes_nothing() {
    let x = inputs();
    let mut net = TwoDrops::<f64>::new(&mut rng(2));
    let mut cache = TwoDropsCache::<3, f64>::zeroed();
    net.forward_train(&x, &mut cache, &mut rng(4));
    let (net_before, cache_before) = (net.clone(), cache.as_flat().to_vec());
    let (first, second) = ([true; 18], [false; 15]);
    let cases: [(&[&[bool]], Error); 4] = [
        (
            &[&first],
            Error::DropoutMaskCount {
                given: 1,
                layers: 2,
            },
        ),
        (
            &[&first, &second, &second],
            Error::DropoutMaskCount {
                given: 3,
                layers: 2,
            },
        ),
        (
            &[&first[..17], &second],
            Error::DropoutMaskLength {
                mask: 0,
                len: 17,
                expected: 18,
            },
        ),
        (
            &[&first, &first],
            Error::DropoutMaskLength {
                mask: 1,
                len: 18,
                expected: 15,
            },
        ),
    ];
    for (masks, expected) in cases {
        let err = net.forward_train_masked(&x, &mut cache, masks).unwrap_err();
        assert_eq!(err, expected);
        let mut grads = TwoDropsGrads::<f64>::zeroed();
        let err = net
            .loss_and_grad_masked(&x, &LABELS, &mut cache, &mut grads, masks)
            .unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(net.as_flat(), net_before.as_flat());
        assert_eq!(cache.as_flat(), &cache_before[..]);
    }
    assert_eq!(
        Error::DropoutMaskLength {
            mask: 0,
            len: 17,
            expected: 18
        }
        .to_string(),
        "dropout mask 0 (counting from 0) has 17 values, but its layer's output for the batch \
         has 18 (rows × width); nothing was computed"
    );
    assert_eq!(
        Error::DropoutMaskCount { given: 1, layers: 2 }.to_string(),
        "the network's 2 dropout layers need one mask each, but masks given: 1; nothing was computed"
    );
}

/// Keeping everything is dropout with p = 0 (no scaling beyond 1/(1 − p)); dropping
/// everything zeroes the layer's output.
#[test]
fn all_kept_and_all_dropped() {
    let x = inputs();
    let mut net = TwoDrops::<f64>::new(&mut rng(2));
    let mut cache = TwoDropsCache::<3, f64>::zeroed();
    net.forward_train_masked(&x, &mut cache, &[&[true; 18], &[false; 15]])
        .unwrap();
    assert!(cache.first.state.as_flat().iter().all(|&m| m == 2.0));
    assert!(cache.second.output.as_flat().iter().all(|&y| y == 0.0));
}
