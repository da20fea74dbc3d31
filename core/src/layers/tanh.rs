//! Tanh: y = tanh(x).

use super::Activation;
use crate::init::Init;
use crate::scalar::Scalar;

/// The hyperbolic tangent, as `tanh` in `network!`. Weights feeding it start with
/// [`Init::Xavier`].
///
/// ```
/// use typenet_core::layers::{Activation, Tanh};
/// let mut y = [9.0f64];
/// Tanh::forward(&[0.0], &mut y);
/// assert_eq!(y, [0.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const NAME: &'static str = "tanh";
    const INIT: Init = Init::Xavier;

    fn forward<T: Scalar>(x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            *y = x.tanh();
        }
    }

    fn backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]) {
        // tanh′(x) = 1 − tanh²(x) = 1 − y²
        for ((dx, &dy), &y) in dx.iter_mut().zip(dy).zip(y) {
            *dx = dy * (T::ONE - y * y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::check_activation;

    #[test]
    fn forward_by_hand() {
        let mut x = [0.0; 3];
        Tanh::forward(&[1.0f64, -2.0, 30.0], &mut x);
        assert!((x[0] - 0.7615941559557649).abs() < 1e-15);
        assert!((x[1] + 0.9640275800758169).abs() < 1e-15);
        assert_eq!(x[2], 1.0);
    }

    #[test]
    fn backward_matches_finite_differences() {
        check_activation::<Tanh>([
            [0.5, -0.3, 1.2, -2.0],
            [-0.1, 0.7, 0.0, -0.9],
            [3.0, -1.5, 0.4, 0.8],
        ]);
    }
}
