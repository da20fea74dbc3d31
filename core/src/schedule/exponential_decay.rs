//! Exponential decay: the course's η0·e^(−εt), and PyTorch's `ExponentialLR` (lr ← lr·γ).

use super::{check_decay_factor, Schedule};
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::validate;

/// Exponential decay, in either of two forms:
///
/// - [`new`](ExponentialDecay::new)`(η0, ε)`: the course's η_t = η0·e^(−εt), computed from t.
///   PyTorch has no class for it; `LambdaLR(optimizer, lambda t: math.exp(-ε * t))` is the
///   same schedule and agrees with it to the bit.
/// - [`recursive`](ExponentialDecay::recursive)`(η0, γ)`: PyTorch's
///   `ExponentialLR(optimizer, gamma=γ)`, which multiplies the rate it holds by γ at every
///   step (lr ← lr·γ), to the bit.
///
/// With γ = e^(−ε) the two are the same schedule in exact arithmetic. In floating point the
/// recursive form rounds γ once and each product once: over 30 steps with ε = 0.15 it strays
/// from η0·e^(−εt) by up to 3.4·10⁻¹⁶ relative (tests/schedule_parity.rs).
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{ExponentialDecay, Schedule};
/// let mut course = ExponentialDecay::new(1.0f64, 0.5)?;
/// let mut pytorch = ExponentialDecay::recursive(1.0f64, 0.5)?;
/// for _ in 0..2 {
///     course.step();
///     pytorch.step();
/// }
/// assert_eq!(course.lr(), (-1.0f64).exp()); // e^(−0.5·2)
/// assert_eq!(pytorch.lr(), 0.25); // 1·0.5·0.5
/// assert_eq!(ExponentialDecay::recursive(1.0f32, 0.0).unwrap_err().name, "gamma");
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialDecay<T = f32> {
    initial: T,
    form: Form,
    steps: u64,
    /// The current rate, in `f64` as PyTorch's Python float.
    lr: f64,
}

/// How [`ExponentialDecay`] computes its rates.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    /// η0·e^(−εt), from t.
    Continuous { rate: f64 },
    /// lr ← lr·γ at each step.
    Recursive { gamma: f64 },
}

impl<T: Scalar> ExponentialDecay<T> {
    /// η0·e^(−εt), starting at `lr` (finite, greater than 0) with decay rate ε = `rate`
    /// (finite, at least 0).
    pub fn new(lr: T, rate: f64) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("decay rate", rate)?;
        Self::with_form(lr, Form::Continuous { rate })
    }

    /// PyTorch's `ExponentialLR`: starts at `lr` (finite, greater than 0) and multiplies the
    /// rate by `gamma` (in (0, 1]) at each step.
    ///
    /// ```
    /// use typenet_core::schedule::{ExponentialDecay, Schedule};
    /// let mut schedule = ExponentialDecay::recursive(0.1f64, 0.9)?;
    /// schedule.step();
    /// schedule.step();
    /// assert_eq!(schedule.lr(), 0.1 * 0.9 * 0.9);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn recursive(lr: T, gamma: f64) -> Result<Self, InvalidHyperParameter> {
        check_decay_factor("gamma", gamma)?;
        Self::with_form(lr, Form::Recursive { gamma })
    }

    fn with_form(lr: T, form: Form) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        Ok(Self {
            initial: lr,
            form,
            steps: 0,
            lr: lr.to_f64(),
        })
    }
}

impl<T: Scalar> Schedule<T> for ExponentialDecay<T> {
    fn lr(&self) -> T {
        T::from_f64(self.lr)
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
        match self.form {
            // base_lr * lmbda(last_epoch), lmbda = lambda t: math.exp(-ε * t)
            Form::Continuous { rate } => {
                let factor = <f64 as Scalar>::exp(-rate * self.steps as f64);
                self.lr = self.initial.to_f64() * factor;
            }
            // group["lr"] * gamma
            Form::Recursive { gamma } => self.lr *= gamma,
        }
    }
}

/// A checkpoint keeps the step count (`last_epoch`, as PyTorch names it) and the current
/// rate (`lr`), which the recursive form computes from the last.
impl<T: Scalar> Resume for ExponentialDecay<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        super::save_steps_and_lr(self.steps, self.lr, visit);
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        super::load_steps_and_lr(&mut self.steps, &mut self.lr, key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Optimizer, Sgd};
    use crate::schedule::tests::rates;

    #[test]
    fn a_few_epochs_by_hand() {
        let lrs: [f64; 4] = rates(ExponentialDecay::new(2.0, 0.25).unwrap());
        for (t, lr) in lrs.iter().enumerate() {
            let expected = 2.0 * (-0.25 * t as f64).exp();
            assert_eq!(*lr, expected, "t = {t}");
        }
        let lrs: [f64; 4] = rates(ExponentialDecay::recursive(2.0, 0.5).unwrap());
        assert_eq!(lrs, [2.0, 1.0, 0.5, 0.25]);
        assert_eq!(
            rates(ExponentialDecay::new(0.1f32, 0.0).unwrap()),
            [0.1f32; 3]
        );
    }

    #[test]
    fn the_two_forms_agree_closely() {
        let rate = 0.15;
        let gamma = f64::exp(-rate);
        let course: [f64; 31] = rates(ExponentialDecay::new(0.1, rate).unwrap());
        let pytorch: [f64; 31] = rates(ExponentialDecay::recursive(0.1, gamma).unwrap());
        for (c, p) in course.iter().zip(pytorch) {
            assert!((c - p).abs() <= 1e-15 * c, "{c} against {p}");
        }
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        let err = ExponentialDecay::new(f64::INFINITY, 0.1).unwrap_err();
        assert_eq!(err.name, "learning rate");
        let err = ExponentialDecay::recursive(0.0f64, 0.9).unwrap_err();
        assert_eq!(err.name, "learning rate");
        for rate in [-0.1, f64::NAN, f64::INFINITY] {
            let err = ExponentialDecay::new(0.1f64, rate).unwrap_err();
            assert_eq!(err.name, "decay rate");
        }
        for gamma in [0.0, -0.9, 1.1, f64::NAN] {
            let err = ExponentialDecay::recursive(0.1f64, gamma).unwrap_err();
            assert_eq!((err.name, err.expected), ("gamma", "a number in (0, 1]"));
        }
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(1.0f32).unwrap();
        let mut schedule = ExponentialDecay::recursive(sgd.lr(), 0.5).unwrap();
        let mut p = [0.0f32];
        for _ in 0..3 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        assert_eq!(p, [1.75]); // 1 + 0.5 + 0.25
        assert_eq!(sgd.lr(), 0.125);
    }
}
