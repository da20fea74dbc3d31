//! ReLU: y = max(0, x).

use super::Activation;
use crate::{Init, Scalar};

/// The rectified linear unit, y = max(0, x). Weights feeding it start with [`Init::He`].
///
/// ```
/// use typenet_core::layers::{Activation, Relu};
/// let mut x = [-1.0f32, 0.5];
/// Relu::forward(&mut x);
/// assert_eq!(x, [0.0, 0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    const INIT: Init = Init::He;

    fn forward<T: Scalar>(x: &mut [T]) {
        for v in x {
            // `max` written out so that NaN propagates instead of becoming 0.
            if *v < T::ZERO {
                *v = T::ZERO;
            }
        }
    }

    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        // f′(x) = 1 where x > 0, which is where y > 0; 0 elsewhere (the subgradient at 0).
        for (d, &y) in dy.iter_mut().zip(y) {
            if y <= T::ZERO {
                *d = T::ZERO;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::check_activation;

    #[test]
    fn forward_by_hand() {
        let mut x = [-2.0f64, -0.0, 0.25, 3.0];
        Relu::forward(&mut x);
        assert_eq!(x, [0.0, 0.0, 0.25, 3.0]);
        let mut nan = [f64::NAN];
        Relu::forward(&mut nan);
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
