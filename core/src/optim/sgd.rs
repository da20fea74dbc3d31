//! Plain stochastic gradient descent: p ← p − lr·g.

use super::Optimizer;
use crate::{Flat, InvalidHyperParameter, Scalar};

/// Plain SGD, p ← p − lr·g, like `torch.optim.SGD(params, lr)`. It keeps no state.
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// let mut sgd = Sgd::new(0.5).unwrap();
/// let mut p = [1.0f64, 2.0];
/// sgd.step(&mut p, &[2.0, -2.0]);
/// assert_eq!(p, [0.0, 3.0]);
/// assert!(Sgd::<f32>::new(-0.1).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T = f32> {
    lr: T,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr`, which must be finite and greater than zero.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        let mut sgd = Self { lr: T::ONE };
        sgd.set_lr(lr)?;
        Ok(sgd)
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// Changes the learning rate (for schedules), with the same rule as [`new`](Self::new).
    pub fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        if !(lr.is_finite() && lr > T::ZERO) {
            return Err(InvalidHyperParameter {
                name: "learning rate",
                value: lr.to_f64(),
                expected: "a finite number greater than 0",
            });
        }
        self.lr = lr;
        Ok(())
    }
}

impl<T: Scalar, P: Flat<T>> Optimizer<T, P> for Sgd<T> {
    fn step(&mut self, params: &mut P, grads: &P) {
        for (p, &g) in params.as_flat_mut().iter_mut().zip(grads.as_flat()) {
            *p -= self.lr * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn one_step_by_hand() {
        let mut sgd = Sgd::new(0.1f64).unwrap();
        let mut p = [[1.0, -1.0], [0.5, 0.0]];
        sgd.step(&mut p, &[[10.0, 0.0], [-5.0, 1.0]]);
        assert_eq!(p, [[0.0, -1.0], [1.0, -0.1]]);
    }

    #[test]
    fn rejects_bad_learning_rates() {
        for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = Sgd::new(lr).unwrap_err();
            assert_eq!(err.name, "learning rate");
        }
        let mut sgd = Sgd::new(0.1f32).unwrap();
        assert!(sgd.set_lr(f32::NAN).is_err());
        assert_eq!(sgd.lr(), 0.1);
        assert_eq!(
            Sgd::new(0.0f32).unwrap_err().to_string(),
            "invalid learning rate: 0 (expected a finite number greater than 0)"
        );
    }
}
