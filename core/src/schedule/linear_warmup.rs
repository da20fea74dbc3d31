//! Linear warm-up: from a fraction of the learning rate up to all of it, as PyTorch's
//! `LinearLR` with `end_factor=1`.

use super::Schedule;
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::validate::{self, check};

/// Linear warm-up over N steps from a start factor s: η_t = η0·(s + (1 − s)·min(t, N)/N),
/// so η0·s at first and η0 from step N on, like
/// `torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=s, end_factor=1.0,
/// total_iters=N)`. Follow it with another schedule with [`then`](Schedule::then).
///
/// # Recursive or closed form
/// `LinearLR` computes each rate from the one it holds, lr ← lr·(1 + (1 − s)/(N·s +
/// (t − 1)(1 − s))), which the rounding of each product moves a few ulps from the formula
/// above: with η0 = 0.1, s = 0.1 and N = 10 it ends at 0.10000000000000005, not 0.1. This
/// schedule does the same by default, to agree with PyTorch to the bit;
/// [`closed_form`](LinearWarmup::closed_form) computes the formula from t instead, as
/// `LinearLR` does when given an epoch. The two differ by at most 4.6·10⁻¹⁶ relative over the
/// parity test's 30 epochs.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{LinearWarmup, Schedule};
/// let mut schedule = LinearWarmup::new(1.0f64, 0.25, 3)?;
/// let mut lrs = [0.0; 5];
/// for lr in &mut lrs {
///     *lr = schedule.lr();
///     schedule.step();
/// }
/// assert_eq!(lrs, [0.25, 0.5, 0.75, 1.0, 1.0]);
/// assert_eq!(LinearWarmup::new(1.0f32, 0.0, 3).unwrap_err().name, "start factor");
/// assert_eq!(LinearWarmup::new(1.0f32, 0.1, 0).unwrap_err().name, "warm-up steps");
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LinearWarmup<T = f32> {
    initial: T,
    start_factor: f64,
    total: u64,
    closed_form: bool,
    steps: u64,
    /// The current rate, in `f64` as PyTorch's Python float.
    lr: f64,
}

impl<T: Scalar> LinearWarmup<T> {
    /// Rises from `lr`·`start_factor` to `lr` over `steps` calls to
    /// [`step`](Schedule::step), then holds `lr`. `lr` must be finite and greater than 0,
    /// `start_factor` in (0, 1] (as `LinearLR` requires; PyTorch's default is 1/3), and
    /// `steps` at least 1.
    pub fn new(lr: T, start_factor: f64, steps: u64) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        let ok = start_factor > 0.0 && start_factor <= 1.0;
        check("start factor", start_factor, ok, "a number in (0, 1]")?;
        validate::at_least_one("warm-up steps", steps)?;
        Ok(Self {
            initial: lr,
            start_factor,
            total: steps,
            closed_form: false,
            steps: 0,
            // group["lr"] * start_factor, when the scheduler is built
            lr: lr.to_f64() * start_factor,
        })
    }

    /// The same schedule computing η0·(s + (1 − s)·min(t, N)/N) from t at each step.
    ///
    /// ```
    /// use typenet_core::schedule::{LinearWarmup, Schedule};
    /// let mut schedule = LinearWarmup::new(0.1f64, 0.1, 10)?.closed_form();
    /// for _ in 0..10 {
    ///     schedule.step();
    /// }
    /// assert_eq!(schedule.lr(), 0.1); // 0.10000000000000005 in the recursive form
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn closed_form(self) -> Self {
        Self {
            closed_form: true,
            ..self
        }
    }
}

impl<T: Scalar> Schedule<T> for LinearWarmup<T> {
    fn lr(&self) -> T {
        T::from_f64(self.lr)
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
        let (t, total, start) = (self.steps, self.total, self.start_factor);
        let rise = 1.0 - start; // end_factor − start_factor
        if self.closed_form {
            // base_lr * (start + (end − start) * min(total_iters, last_epoch) / total_iters)
            let factor = start + rise * t.min(total) as f64 / total as f64;
            self.lr = self.initial.to_f64() * factor;
        } else if t <= total {
            // group["lr"]·(1 + (end − start)/(total_iters·start + (last_epoch − 1)(end − start)))
            let factor = 1.0 + rise / (total as f64 * start + (t - 1) as f64 * rise);
            self.lr *= factor;
        }
    }
}

/// A checkpoint keeps the step count (`last_epoch`, as PyTorch names it) and the current
/// rate (`lr`), which the recursive form computes from the last.
impl<T: Scalar> Resume for LinearWarmup<T> {
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
    fn a_few_steps_by_hand() {
        // s = 0.5, N = 2: 0.5, 0.75, 1, then 1. Exact in both forms.
        let expected = [2.0, 3.0, 4.0, 4.0, 4.0];
        assert_eq!(rates(LinearWarmup::new(4.0f64, 0.5, 2).unwrap()), expected);
        let closed = LinearWarmup::new(4.0f64, 0.5, 2).unwrap().closed_form();
        assert_eq!(rates(closed), expected);
        // s = 1: no warm-up at all.
        assert_eq!(
            rates(LinearWarmup::new(0.1f32, 1.0, 5).unwrap()),
            [0.1f32; 7]
        );
    }

    #[test]
    fn the_recursive_form_ends_a_few_ulps_off() {
        let recursive: [f64; 12] = rates(LinearWarmup::new(0.1, 0.1, 10).unwrap());
        let closed: [f64; 12] = rates(LinearWarmup::new(0.1, 0.1, 10).unwrap().closed_form());
        // What torch's LinearLR holds after its warm-up.
        assert_eq!(&recursive[10..], [0.10000000000000005; 2]);
        assert_eq!(&closed[10..], [0.1; 2]);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_eq!(
            LinearWarmup::new(-0.1f64, 0.1, 5).unwrap_err().name,
            "learning rate"
        );
        for start in [0.0, -0.5, 1.5, f64::NAN] {
            let err = LinearWarmup::new(0.1f64, start, 5).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("start factor", "a number in (0, 1]")
            );
        }
        let err = LinearWarmup::new(0.1f64, 0.1, 0).unwrap_err();
        assert_eq!((err.name, err.expected), ("warm-up steps", "at least 1"));
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(1.0f64).unwrap();
        let mut schedule = LinearWarmup::new(sgd.lr(), 0.25, 3).unwrap();
        schedule.apply(&mut sgd).unwrap(); // the first step's rate, before it
        let mut p = [0.0];
        for _ in 0..4 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        assert_eq!(p, [2.5]); // 0.25 + 0.5 + 0.75 + 1
        assert_eq!(sgd.lr(), 1.0);
    }
}
