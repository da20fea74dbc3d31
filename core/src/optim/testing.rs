//! Checks every optimizer's tests share.

use super::Optimizer;
use crate::error::InvalidHyperParameter;
use crate::flat::Flat;
use crate::scalar::Scalar;
use core::fmt::Debug;

/// Learning rates every constructor and `set_lr` must refuse.
const BAD_LEARNING_RATES: [f64; 4] = [0.0, -0.1, f64::NAN, f64::INFINITY];

/// Asserts that `make` refuses every learning rate that is not finite and greater than 0,
/// naming it.
pub(crate) fn assert_rejects_bad_learning_rates<O: Debug>(
    make: impl Fn(f64) -> Result<O, InvalidHyperParameter>,
) {
    for lr in BAD_LEARNING_RATES {
        let err = make(lr).unwrap_err();
        assert_eq!(
            (err.name, err.expected),
            ("learning rate", "a finite number greater than 0"),
            "{lr}"
        );
    }
}

/// Asserts that `make` refuses every bad learning rate, and that the optimizer it builds
/// with a good one refuses them in `set_lr` too, keeping its rate, and takes a good one.
pub(crate) fn assert_learning_rate_is_checked<O: Optimizer<f64> + Debug>(
    make: impl Fn(f64) -> Result<O, InvalidHyperParameter>,
) {
    assert_rejects_bad_learning_rates(&make);
    let mut opt = make(0.1).unwrap();
    for lr in BAD_LEARNING_RATES {
        assert_eq!(opt.set_lr(lr).unwrap_err().name, "learning rate");
        assert_eq!(opt.lr(), 0.1);
    }
    opt.set_lr(0.05).unwrap();
    assert_eq!(opt.lr(), 0.05);
}

/// Runs `steps` steps of `opt` from 0 on L = Σ cᵢ·(pᵢ − tᵢ)², an ill-conditioned bowl with
/// curvatures `c`, and asserts that the loss fell at least a thousandfold.
pub(crate) fn assert_descends_on_a_quadratic<O: Optimizer<f32>>(
    mut opt: O,
    c: [f32; 3],
    steps: usize,
) {
    let t = [1.0f32, -2.0, 3.0];
    let loss = |p: &[f32; 3]| (0..3).map(|i| c[i] * (p[i] - t[i]).powi(2)).sum::<f32>();
    let (mut p, mut state) = ([0.0f32; 3], O::State::<[f32; 3]>::zeroed());
    let start = loss(&p);
    for _ in 0..steps {
        // dL/dpᵢ = 2cᵢ·(pᵢ − tᵢ)
        let g: [f32; 3] = core::array::from_fn(|i| 2.0 * c[i] * (p[i] - t[i]));
        opt.step(&mut p, &g, &mut state);
    }
    assert!(loss(&p) < 1e-3 * start, "{} → {}", start, loss(&p));
}

/// Asserts that three steps of the optimizer `make` builds leave the same bits in the
/// parameters and the state on the passes' AVX2 copies as on their portable ones: once over
/// the whole block (no decay) and once tensor by tensor (with the decay `decay` builds, if
/// any), on 1,102 values of every kind (see `simd::tests::awkward_values`).
pub(crate) fn assert_copies_agree<T: Scalar, O: Optimizer<T>>(make: impl Fn(bool) -> O) {
    use crate::dim::{U29, U37};
    use crate::simd::tests::{assert_same_bits, awkward_values};
    type Params<T> = crate::layers::DenseParams<U37, U29, T>;
    for decayed in [false, true] {
        assert_same_bits(|| {
            let mut opt = make(decayed);
            let mut p = Params::<T>::zeroed();
            p.as_flat_mut()
                .copy_from_slice(&awkward_values::<T>(Params::<T>::LEN, 1));
            let mut state = O::State::<Params<T>>::zeroed();
            for step in 0..3 {
                let mut g = Params::<T>::zeroed();
                g.as_flat_mut()
                    .copy_from_slice(&awkward_values::<T>(Params::<T>::LEN, 2 + step));
                opt.step(&mut p, &g, &mut state);
            }
            [p.as_flat(), state.as_flat()].concat()
        });
    }
}
