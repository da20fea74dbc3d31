//! One schedule, then another: PyTorch's `SequentialLR` with one milestone.

use super::Schedule;
use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::scalar::Scalar;

/// Runs `first` for `milestone` steps, then `second` from its own start: at t < milestone
/// the rate is `first`'s at t, from then on `second`'s at t − milestone. Like
/// `SequentialLR(optimizer, [first, second], milestones=[milestone])`; build it with
/// [`Schedule::then`], which chains: `a.then(m1, b).then(m2, c)`.
///
/// The usual use is a warm-up, then the schedule proper, with the milestone at the end of
/// the warm-up. There, `SequentialLR` restarts the second scheduler through its closed form
/// at epoch 0 (η_min + (η0 − η_min)·2/2 for a cosine), where this takes the second
/// schedule's first rate (η0): the two can differ by an ulp (for about 3% of pairs η0,
/// η_min), which the recursive forms then carry on. With η0 = 0.1 and η_min = 0.001, as in
/// tests/schedule_parity.rs, they do not differ.
///
/// ```
/// use typenet_core::schedule::{CosineAnnealing, LinearWarmup, Schedule};
/// let warmup = LinearWarmup::new(1.0f64, 0.5, 2)?;
/// let mut schedule = warmup.then(2, CosineAnnealing::new(1.0, 2, 0.0)?);
/// let mut lrs = [0.0; 5];
/// for lr in &mut lrs {
///     *lr = schedule.lr();
///     schedule.step();
/// }
/// assert_eq!(lrs, [0.5, 0.75, 1.0, 0.5, 0.0]);
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential<A, B> {
    first: A,
    second: B,
    milestone: u64,
    steps: u64,
}

impl<A, B> Sequential<A, B> {
    /// `first` for `milestone` steps, then `second` (from the start if `milestone` is 0).
    ///
    /// ```
    /// use typenet_core::schedule::{Constant, Schedule, Sequential};
    /// let schedule = Sequential::new(Constant::new(0.1f32)?, 0, Constant::new(0.2)?);
    /// assert_eq!(schedule.lr(), 0.2);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn new(first: A, milestone: u64, second: B) -> Self {
        Self {
            first,
            second,
            milestone,
            steps: 0,
        }
    }
}

impl<T: Scalar, A: Schedule<T>, B: Schedule<T>> Schedule<T> for Sequential<A, B> {
    fn lr(&self) -> T {
        if self.steps < self.milestone {
            self.first.lr()
        } else {
            self.second.lr()
        }
    }

    fn step(&mut self) {
        self.steps = self.steps.saturating_add(1);
        // At the milestone itself, `second` is at its start (t − milestone = 0).
        if self.steps < self.milestone {
            self.first.step();
        } else if self.steps > self.milestone {
            self.second.step();
        }
    }
}

/// A checkpoint keeps the step count (`last_epoch`) and each schedule's progress under `0.`
/// and `1.` (`0.last_epoch`), as PyTorch's `SequentialLR` lists its schedulers.
impl<A: Resume, B: Resume> Resume for Sequential<A, B> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("last_epoch"), Number::Integer(self.steps));
        self.first
            .save_progress(&mut |key, value| visit(key.under("0"), value));
        self.second
            .save_progress(&mut |key, value| visit(key.under("1"), value));
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.first() {
            "last_epoch" if key.segments().len() == 1 => {
                self.steps = crate::io::count("last_epoch", value)?;
                Ok(())
            }
            "0" => self.first.load_progress(key.rest(), value),
            "1" => self.second.load_progress(key.rest(), value),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Optimizer, Sgd};
    use crate::schedule::tests::rates;
    use crate::schedule::{Constant, ExponentialDecay, StepDecay};

    #[test]
    fn switches_at_the_milestone() {
        let first = StepDecay::new(1.0f64, 1, 0.5).unwrap();
        let second = ExponentialDecay::recursive(4.0, 0.25).unwrap();
        let lrs: [f64; 6] = rates(first.then(3, second));
        assert_eq!(lrs, [1.0, 0.5, 0.25, 4.0, 1.0, 0.25]);
    }

    #[test]
    fn chains() {
        let a = Constant::new(1.0f64).unwrap();
        let b = Constant::new(2.0).unwrap();
        let c = Constant::new(3.0).unwrap();
        assert_eq!(rates(a.then(1, b).then(3, c)), [1.0, 2.0, 2.0, 3.0, 3.0]);
        let a = Constant::new(1.0f64).unwrap();
        let b = Constant::new(2.0).unwrap();
        assert_eq!(rates(a.then(0, b)), [2.0; 3]);
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut sgd = Sgd::new(1.0f32).unwrap();
        let first = Constant::new(0.25).unwrap();
        let mut schedule = first.then(1, StepDecay::new(1.0, 1, 0.5).unwrap());
        schedule.apply(&mut sgd).unwrap();
        let mut p = [0.0f32];
        for _ in 0..3 {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step();
            schedule.apply(&mut sgd).unwrap();
        }
        assert_eq!(p, [1.75]); // 0.25 + 1 + 0.5
        assert_eq!(sgd.lr(), 0.25);
    }
}
