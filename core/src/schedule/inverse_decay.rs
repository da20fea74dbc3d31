//! Inverse decay: η0/(1 + εt), the course's schedule; PyTorch writes it as a `LambdaLR`.

use super::Schedule;
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::validate;

/// Inverse decay, η_t = η0/(1 + εt), which falls like 1/t once εt ≫ 1. PyTorch has no class
/// for it; `LambdaLR(optimizer, lambda t: 1 / (1 + ε * t))` is the same schedule, and this
/// computes it as `LambdaLR` does, η0 times the factor 1/(1 + εt), which agrees with it to
/// the bit (η0/(1 + εt) directly can differ by an ulp).
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{InverseDecay, Schedule};
/// let mut schedule = InverseDecay::new(0.5f64, 1.0)?;
/// let mut lrs = [0.0; 4];
/// for lr in &mut lrs {
///     *lr = schedule.lr();
///     schedule.step();
/// }
/// assert_eq!(lrs, [0.5, 0.25, 0.5 / 3.0, 0.125]);
/// assert_eq!(InverseDecay::new(0.5f32, -1.0).unwrap_err().name, "decay rate");
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InverseDecay<T = f32> {
    initial: T,
    rate: f64,
    steps: u64,
}

impl<T: Scalar> InverseDecay<T> {
    /// Starts at `lr` (finite, greater than 0) and decays with rate ε = `rate` (finite, at
    /// least 0; 0 holds the rate constant).
    pub fn new(lr: T, rate: f64) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        validate::finite_non_negative("decay rate", rate)?;
        Ok(Self {
            initial: lr,
            rate,
            steps: 0,
        })
    }
}

impl<T: Scalar> Schedule<T> for InverseDecay<T> {
    fn lr(&self) -> T {
        // base_lr * lmbda(last_epoch), lmbda = lambda t: 1 / (1 + ε * t)
        let factor = 1.0 / (1.0 + self.rate * self.steps as f64);
        T::from_f64(self.initial.to_f64() * factor)
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
    }
}

/// A checkpoint keeps the step count (`last_epoch`, as PyTorch names it).
impl<T: Scalar> Resume for InverseDecay<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("last_epoch"), Number::Integer(self.steps));
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        if key.segments() == ["last_epoch"] {
            self.steps = crate::io::count("last_epoch", value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Optimizer, Sgd};
    use crate::schedule::tests::rates;

    #[test]
    fn a_few_epochs_by_hand() {
        // ε = 0.5: 1/(1 + 0.5t) = 1, 2/3, 1/2, 2/5, 1/3.
        let lrs: [f64; 5] = rates(InverseDecay::new(1.0, 0.5).unwrap());
        let expected = [1.0, 2.0 / 3.0, 0.5, 0.4, 1.0 / 3.0];
        for (lr, e) in lrs.iter().zip(expected) {
            assert!((lr - e).abs() <= 1e-16, "{lr} against {e}");
        }
        assert_eq!(rates(InverseDecay::new(0.1f32, 0.0).unwrap()), [0.1f32; 3]);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        let err = InverseDecay::new(-1.0f64, 0.5).unwrap_err();
        assert_eq!(err.name, "learning rate");
        for rate in [-1e-9, f64::NAN, f64::INFINITY] {
            let err = InverseDecay::new(0.1f64, rate).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("decay rate", "a finite number at least 0")
            );
        }
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(0.5f32).unwrap();
        let mut schedule = InverseDecay::new(sgd.lr(), 1.0).unwrap();
        let mut p = [0.0f32];
        for _ in 0..3 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        // Steps at rates 1/2, 1/4, 1/6; the next is 1/8.
        assert!((p[0] - (0.5 + 0.25 + 0.5 / 3.0)).abs() < 1e-7);
        assert_eq!(sgd.lr(), 0.125);
    }
}
