//! ReLU: y = max(0, x).

use super::Activation;
use crate::init::Init;
use crate::scalar::Scalar;

/// The rectified linear unit, y = max(0, x), as `relu` in `network!`. Weights feeding it
/// start with [`Init::He`].
///
/// ```
/// use typenet_core::layers::{Activation, Relu};
/// let mut y = [9.0f32; 2];
/// Relu::forward(&[-1.0, 0.5], &mut y);
/// assert_eq!(y, [0.0, 0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    const NAME: &'static str = "relu";
    const INIT: Init = Init::He;

    fn forward<T: Scalar>(x: &[T], y: &mut [T]) {
        relu_forward(x, y);
    }

    fn backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]) {
        relu_backward(y, dy, dx);
    }
}

crate::simd::dispatched! {
    /// y = max(0, x), NaN kept.
    fn relu_forward<T: Scalar>(x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            // A select, not `max`, so that NaN propagates instead of becoming 0; it compiles
            // to a vector compare and blend.
            *y = if x < T::ZERO { T::ZERO } else { x };
        }
    }
}

crate::simd::dispatched! {
    /// dx = dy where y > 0, else 0.
    fn relu_backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]) {
        // f′(x) = 1 where x > 0, which is where y > 0; 0 elsewhere (the subgradient at 0).
        for ((dx, &dy), &y) in dx.iter_mut().zip(dy).zip(y) {
            *dx = if y > T::ZERO { dy } else { T::ZERO };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::check_activation;

    #[test]
    fn both_copies_agree() {
        fn in_type<T: Scalar>() {
            use crate::simd::tests::{assert_same_bits, awkward_values};
            let (x, dy) = (awkward_values::<T>(1001, 3), awkward_values::<T>(1001, 4));
            let mut y = std::vec![T::ZERO; x.len()];
            assert_same_bits(|| {
                Relu::forward(&x, &mut y);
                y.clone()
            });
            assert_same_bits(|| {
                let mut dx = std::vec![T::ZERO; x.len()];
                Relu::backward(&y, &dy, &mut dx);
                dx
            });
        }
        in_type::<f32>();
        in_type::<f64>();
    }

    #[test]
    fn forward_by_hand() {
        let mut y = [9.0; 4];
        Relu::forward(&[-2.0f64, -0.0, 0.25, 3.0], &mut y);
        assert_eq!(y, [0.0, 0.0, 0.25, 3.0]);
        let mut nan = [0.0];
        Relu::forward(&[f64::NAN], &mut nan);
        assert!(nan[0].is_nan());
    }

    #[test]
    fn backward_matches_finite_differences() {
        // Inputs kept at least 0.1 from the kink at 0.
        check_activation::<Relu>([
            [0.5, -0.3, 1.2, -2.0],
            [-0.1, 0.7, 0.2, -0.9],
            [3.0, -1.5, 0.4, 0.8],
        ]);
    }
}
