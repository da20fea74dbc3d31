//! Tanh: y = tanh(x).

use super::Activation;
use crate::{Init, Scalar};

/// The hyperbolic tangent. Weights feeding it start with [`Init::Xavier`].
///
/// ```
/// use typenet_core::layers::{Activation, Tanh};
/// let mut x = [0.0f64];
/// Tanh::forward(&mut x);
/// assert_eq!(x, [0.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const INIT: Init = Init::Xavier;

    fn forward<T: Scalar>(x: &mut [T]) {
        for v in x {
            *v = v.tanh();
        }
    }

    fn backward<T: Scalar>(y: &[T], dy: &mut [T]) {
        // tanh′(x) = 1 − tanh²(x) = 1 − y²
        for (d, &y) in dy.iter_mut().zip(y) {
            *d *= T::ONE - y * y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::check_activation;

    #[test]
    fn forward_by_hand() {
        let mut x = [1.0f64, -2.0, 30.0];
        Tanh::forward(&mut x);
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
