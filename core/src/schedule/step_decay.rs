//! Step decay: the learning rate times γ every T epochs, as PyTorch's `StepLR`.

use super::{check_decay_factor, Schedule};
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::math::powf;
use crate::scalar::Scalar;
use crate::validate;

/// Step decay, ×γ every T epochs: η_t = η0·γ^⌊t/T⌋, like
/// `torch.optim.lr_scheduler.StepLR(optimizer, step_size=T, gamma=γ)`.
///
/// # Recursive or closed form
/// `StepLR` multiplies the rate it holds by γ at each multiple of T (lr ← lr·γ), so after k
/// cuts it holds η0·γ·…·γ, rounded at each product, a few ulps from η0·γᵏ. This schedule
/// does the same by default, so that it agrees with PyTorch to the bit.
/// [`closed_form`](StepDecay::closed_form) computes η0·γ^⌊t/T⌋ from t instead, as `StepLR`
/// does when given an epoch (`_get_closed_form_lr`): no rounding accumulates, and a schedule
/// restarted at any t gives the same values. Over 30 epochs with γ = 0.7 and T = 3, the two
/// differ by at most 2.0·10⁻¹⁶ relative (tests/schedule_parity.rs); either is fine for
/// training.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{Schedule, StepDecay};
/// let mut schedule = StepDecay::new(1.0f64, 2, 0.5)?;
/// let mut lrs = [0.0; 5];
/// for lr in &mut lrs {
///     *lr = schedule.lr();
///     schedule.step();
/// }
/// assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.25]);
/// assert_eq!(StepDecay::new(1.0f32, 0, 0.5).unwrap_err().name, "step size");
/// assert_eq!(StepDecay::new(1.0f32, 2, 1.5).unwrap_err().name, "gamma");
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StepDecay<T = f32> {
    initial: T,
    step_size: u64,
    gamma: f64,
    closed_form: bool,
    steps: u64,
    /// The current rate, in `f64` as PyTorch's Python float.
    lr: f64,
}

impl<T: Scalar> StepDecay<T> {
    /// Starts at `lr` (finite, greater than 0) and multiplies it by `gamma` (in (0, 1])
    /// every `step_size` (at least 1) calls to [`step`](Schedule::step).
    pub fn new(lr: T, step_size: u64, gamma: f64) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        validate::at_least_one("step size", step_size)?;
        check_decay_factor("gamma", gamma)?;
        Ok(Self {
            initial: lr,
            step_size,
            gamma,
            closed_form: false,
            steps: 0,
            lr: lr.to_f64(),
        })
    }

    /// The same schedule computing η0·γ^⌊t/T⌋ from t at each step, rather than multiplying
    /// the previous rate by γ.
    ///
    /// ```
    /// use typenet_core::schedule::{Schedule, StepDecay};
    /// let mut recursive = StepDecay::new(0.1f64, 1, 0.7)?;
    /// let mut closed = recursive.clone().closed_form();
    /// for _ in 0..3 {
    ///     recursive.step();
    ///     closed.step();
    /// }
    /// assert_eq!(recursive.lr(), 0.0343); // ((0.1·0.7)·0.7)·0.7, as StepLR holds it
    /// assert_eq!(closed.lr(), 0.03429999999999999); // 0.1·0.7³
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn closed_form(self) -> Self {
        Self {
            closed_form: true,
            ..self
        }
    }
}

impl<T: Scalar> Schedule<T> for StepDecay<T> {
    fn lr(&self) -> T {
        T::from_f64(self.lr)
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
        if self.closed_form {
            // base_lr * gamma ** (last_epoch // step_size)
            let cuts = self.steps / self.step_size;
            self.lr = self.initial.to_f64() * powf(self.gamma, cuts as f64);
        } else if self.steps.is_multiple_of(self.step_size) {
            // group["lr"] * gamma at every nonzero multiple of step_size
            self.lr *= self.gamma;
        }
    }
}

/// A checkpoint keeps the step count (`last_epoch`, as PyTorch names it) and the current
/// rate (`lr`), which the recursive form computes from the last.
impl<T: Scalar> Resume for StepDecay<T> {
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
        // Powers of two, so that both forms are exact.
        let expected = [0.5, 0.5, 0.5, 0.125, 0.125, 0.125, 0.03125];
        assert_eq!(rates(StepDecay::new(0.5f64, 3, 0.25).unwrap()), expected);
        let closed = StepDecay::new(0.5f64, 3, 0.25).unwrap().closed_form();
        assert_eq!(rates(closed), expected);
        assert_eq!(rates(StepDecay::new(0.5f32, 1, 1.0).unwrap()), [0.5f32; 4]);
    }

    #[test]
    fn the_recursive_form_rounds_at_each_cut() {
        let recursive: [f64; 4] = rates(StepDecay::new(0.1, 1, 0.7).unwrap());
        let closed: [f64; 4] = rates(StepDecay::new(0.1, 1, 0.7).unwrap().closed_form());
        // What torch's StepLR holds, and 0.1 * 0.7 ** 3 in Python.
        assert_eq!(recursive[3], 0.0343);
        assert_eq!(closed[3], 0.03429999999999999);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_eq!(
            StepDecay::new(0.0f64, 3, 0.5).unwrap_err().name,
            "learning rate"
        );
        assert_eq!(
            StepDecay::new(0.1f64, 0, 0.5).unwrap_err().name,
            "step size"
        );
        for gamma in [0.0, -0.5, 1.0 + 1e-12, f64::NAN, f64::INFINITY] {
            let err = StepDecay::new(0.1f64, 3, gamma).unwrap_err();
            assert_eq!((err.name, err.expected), ("gamma", "a number in (0, 1]"));
        }
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(1.0f64).unwrap();
        let mut schedule = StepDecay::new(sgd.lr(), 2, 0.5).unwrap();
        let mut p = [0.0];
        for _ in 0..4 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        // Steps at rates 1, 1, 0.5, 0.5.
        assert_eq!(p, [3.0]);
        assert_eq!(sgd.lr(), 0.25);
    }
}
