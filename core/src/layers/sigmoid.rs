//! Sigmoid: y = 1 / (1 + e⁻ˣ).

use super::Activation;
use crate::init::Init;
use crate::scalar::Scalar;

/// The logistic sigmoid, as `sigmoid` in `network!`. Weights feeding it start with
/// [`Init::XavierSigmoid`].
///
/// ```
/// use typenet_core::layers::{Activation, Sigmoid};
/// let mut y = [9.0f32];
/// Sigmoid::forward(&[0.0], &mut y);
/// assert_eq!(y, [0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl Activation for Sigmoid {
    const NAME: &'static str = "sigmoid";
    const INIT: Init = Init::XavierSigmoid;

    fn forward<T: Scalar>(x: &[T], y: &mut [T]) {
        for (y, &x) in y.iter_mut().zip(x) {
            // Two branches so that e^(−x) never overflows: for x < 0, σ(x) = eˣ / (1 + eˣ).
            *y = if x >= T::ZERO {
                T::ONE / (T::ONE + (-x).exp())
            } else {
                let e = x.exp();
                e / (T::ONE + e)
            };
        }
    }

    fn backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]) {
        // σ′(x) = σ(x)·(1 − σ(x)) = y·(1 − y)
        for ((dx, &dy), &y) in dx.iter_mut().zip(dy).zip(y) {
            *dx = dy * y * (T::ONE - y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::check_activation;

    #[test]
    fn forward_by_hand_and_at_the_extremes() {
        let mut x = [0.0; 4];
        Sigmoid::forward(&[2.0f64, -2.0, 1000.0, -1000.0], &mut x);
        assert!((x[0] - 0.8807970779778823).abs() < 1e-15);
        assert!((x[1] - 0.11920292202211755).abs() < 1e-15);
        assert_eq!(x[2], 1.0);
        assert_eq!(x[3], 0.0);
    }

    #[test]
    fn backward_matches_finite_differences() {
        check_activation::<Sigmoid>([
            [0.5, -0.3, 1.2, -2.0],
            [-0.1, 0.7, 0.0, -0.9],
            [3.0, -1.5, 0.4, 0.8],
        ]);
    }
}
