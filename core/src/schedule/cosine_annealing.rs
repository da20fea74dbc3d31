//! Cosine annealing: the learning rate follows half a cosine from η0 down to η_min, as
//! PyTorch's `CosineAnnealingLR`.

use super::Schedule;
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::math::cos;
use crate::scalar::Scalar;
use crate::validate::{self, check};
use core::f64::consts::PI;

/// Cosine annealing over T steps: η_t = η_min + (η0 − η_min)·(1 + cos(πt/T))/2, from η0 at
/// t = 0 to η_min at t = T, like `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
/// T_max=T, eta_min=η_min)` (SGDR without its restarts). As in PyTorch, the cosine goes on
/// past T: the rate climbs back to η0 at 2T, and so on; stop at T, or follow it with
/// another schedule with [`then`](Schedule::then).
///
/// # Recursive or closed form
/// `CosineAnnealingLR` computes each rate from the one it holds,
///
/// ```text
/// lr ← η_min + (lr − η_min)·(1 + cos(πt/T)) / (1 + cos(π(t − 1)/T))
/// lr ← lr + (η0 − η_min)·(1 − cos(π/T))/2
/// ```
///
/// the second at t = T + 1, 3T + 1, …, where the first would divide by 0; rounding moves
/// that away from the formula above. This schedule does the same by
/// default, to agree with PyTorch to the bit; [`closed_form`](CosineAnnealing::closed_form)
/// computes the formula from t, as `CosineAnnealingLR` does when given an epoch. Over 30
/// epochs (tests/schedule_parity.rs) the two differ by at most 4.0·10⁻¹⁶ relative with
/// T = 30 and η_min = 0, and by 4.6·10⁻¹⁵ with T = 10 and η_min = 0.001, over three
/// half-periods: the second line, which climbs back from η_min at t = T + 1, rounds
/// differently from the formula, and the recursion carries that on.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{CosineAnnealing, Schedule};
/// let mut schedule = CosineAnnealing::new(1.0f64, 2, 0.0)?;
/// let mut lrs = [0.0; 5];
/// for lr in &mut lrs {
///     *lr = schedule.lr();
///     schedule.step();
/// }
/// assert_eq!(lrs[0], 1.0);
/// assert!((lrs[1] - 0.5).abs() < 1e-16); // cos(π/2) is 6e-17, not 0
/// assert_eq!(lrs[2], 0.0);
/// assert!((lrs[3] - 0.5).abs() < 1e-16 && lrs[4] == 1.0); // back up
/// assert_eq!(CosineAnnealing::new(1.0f32, 0, 0.0).unwrap_err().name, "T_max");
/// assert_eq!(CosineAnnealing::new(1.0f32, 10, 2.0).unwrap_err().name, "eta_min");
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CosineAnnealing<T = f32> {
    initial: T,
    period: u64,
    eta_min: T,
    closed_form: bool,
    steps: u64,
    /// The current rate, in `f64` as PyTorch's Python float.
    lr: f64,
}

impl<T: Scalar> CosineAnnealing<T> {
    /// Anneals from `lr` (finite, greater than 0) down to `eta_min` (finite, in [0, `lr`];
    /// PyTorch's default is 0) over `t_max` (at least 1) calls to [`step`](Schedule::step).
    pub fn new(lr: T, t_max: u64, eta_min: T) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        validate::at_least_one("T_max", t_max)?;
        let ok = eta_min.is_finite() && eta_min >= T::ZERO && eta_min <= lr;
        check(
            "eta_min",
            eta_min,
            ok,
            "a finite number from 0 to the learning rate",
        )?;
        Ok(Self {
            initial: lr,
            period: t_max,
            eta_min,
            closed_form: false,
            steps: 0,
            lr: lr.to_f64(),
        })
    }

    /// The same schedule computing η_min + (η0 − η_min)·(1 + cos(πt/T))/2 from t at each
    /// step.
    ///
    /// ```
    /// use typenet_core::schedule::{CosineAnnealing, Schedule};
    /// let mut schedule = CosineAnnealing::new(0.1f64, 3, 0.0)?.closed_form();
    /// schedule.step();
    /// assert_eq!(schedule.lr(), 0.1 * (1.0 + (std::f64::consts::PI / 3.0).cos()) / 2.0);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn closed_form(self) -> Self {
        Self {
            closed_form: true,
            ..self
        }
    }
}

impl<T: Scalar> Schedule<T> for CosineAnnealing<T> {
    fn lr(&self) -> T {
        T::from_f64(self.lr)
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
        let (t, period) = (self.steps, self.period);
        let (initial, eta_min) = (self.initial.to_f64(), self.eta_min.to_f64());
        self.lr = if self.closed_form {
            // eta_min + (base_lr − eta_min)·(1 + cos(π·last_epoch/T_max))/2
            eta_min + (initial - eta_min) * (1.0 + cos(PI * t as f64 / period as f64)) / 2.0
        } else if (t - 1) % period.saturating_mul(2) == period {
            // (last_epoch − 1 − T_max) % (2·T_max) == 0, where cos(π(t − 1)/T) = −1:
            // group["lr"] + (base_lr − eta_min)·(1 − cos(π/T_max))/2
            self.lr + (initial - eta_min) * (1.0 - cos(PI / period as f64)) / 2.0
        } else {
            // (1 + cos(π·t/T_max)) / (1 + cos(π·(t − 1)/T_max))·(group["lr"] − eta_min) + eta_min
            let now = 1.0 + cos(PI * t as f64 / period as f64);
            let before = 1.0 + cos(PI * (t - 1) as f64 / period as f64);
            now / before * (self.lr - eta_min) + eta_min
        };
    }
}

/// A checkpoint keeps the step count (`last_epoch`, as PyTorch names it) and the current
/// rate (`lr`), which the recursive form computes from the last.
impl<T: Scalar> Resume for CosineAnnealing<T> {
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
        // T = 3, η0 = 1, η_min = 0.25: cos(πt/3) = 1, 1/2, −1/2, −1, then back up.
        let expected = [1.0, 0.8125, 0.4375, 0.25, 0.4375, 0.8125, 1.0];
        for closed_form in [false, true] {
            let mut schedule = CosineAnnealing::new(1.0f64, 3, 0.25).unwrap();
            if closed_form {
                schedule = schedule.closed_form();
            }
            let lrs: [f64; 7] = rates(schedule);
            for (t, (lr, e)) in lrs.iter().zip(expected).enumerate() {
                assert!((lr - e).abs() < 1e-15, "t = {t}: {lr} against {e}");
            }
            // cos(π) is exactly −1: η_min is reached exactly.
            assert_eq!(lrs[3], 0.25);
        }
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        let err = CosineAnnealing::new(0.0f64, 10, 0.0).unwrap_err();
        assert_eq!(err.name, "learning rate");
        let err = CosineAnnealing::new(0.1f64, 0, 0.0).unwrap_err();
        assert_eq!((err.name, err.expected), ("T_max", "at least 1"));
        for eta_min in [-1e-3, 0.2, f64::NAN, f64::INFINITY] {
            let err = CosineAnnealing::new(0.1f64, 10, eta_min).unwrap_err();
            assert_eq!(err.name, "eta_min");
        }
        // η_min = η0 is allowed: a constant rate.
        assert_eq!(
            rates(CosineAnnealing::new(0.5f64, 2, 0.5).unwrap()),
            [0.5; 6]
        );
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(1.0f32).unwrap();
        let mut schedule = CosineAnnealing::new(sgd.lr(), 2, 0.0).unwrap();
        let mut p = [0.0f32];
        for _ in 0..2 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        // Steps at rates 1 and 0.5.
        assert!((p[0] - 1.5).abs() < 1e-7);
        // The schedule reaches 0; the optimizer gets the smallest normal f32.
        assert_eq!(schedule.lr(), 0.0);
        assert_eq!(sgd.lr(), f32::MIN_POSITIVE);
    }
}
