//! A constant learning rate: the schedule of no schedule.

use super::Schedule;
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::validate;

/// The same learning rate at every epoch, η_t = η0: what an optimizer does without a
/// scheduler in PyTorch (or with `LambdaLR(lambda t: 1.0)`). It is not PyTorch's
/// `ConstantLR`, which scales the rate by a factor for a number of epochs. Useful where code
/// expects a [`Schedule`], and as the first part of [`then`](Schedule::then).
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::schedule::{Constant, Schedule};
/// let mut schedule = Constant::new(0.1f32)?;
/// schedule.step();
/// assert_eq!(schedule.lr(), 0.1);
/// assert!(Constant::new(0.0f32).is_err());
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Constant<T = f32> {
    lr: T,
}

impl<T: Scalar> Constant<T> {
    /// The rate `lr`, which must be finite and greater than 0.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        Ok(Self { lr })
    }
}

impl<T: Scalar> Schedule<T> for Constant<T> {
    fn lr(&self) -> T {
        self.lr
    }

    fn step(&mut self) {}
}

/// A constant rate has no progress to keep.
impl<T: Scalar> Resume for Constant<T> {
    fn save_progress(&self, _: &mut dyn FnMut(Key, Number)) {}

    fn load_progress(&mut self, _: Key, _: Number) -> Result<(), InvalidHyperParameter> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Optimizer, Sgd};
    use crate::schedule::tests::rates;

    #[test]
    fn holds_its_rate() {
        assert_eq!(rates(Constant::new(0.3f64).unwrap()), [0.3; 4]);
    }

    #[test]
    fn rejects_bad_learning_rates() {
        crate::optim::testing::assert_rejects_bad_learning_rates(Constant::new);
    }

    #[test]
    fn per_step_with_an_optimizer() {
        let mut schedule = Constant::new(0.5f64).unwrap();
        let mut sgd = Sgd::new(1.0).unwrap();
        let mut p = [1.0];
        for _ in 0..3 {
            schedule.apply(&mut sgd).unwrap();
            sgd.step(&mut p, &[1.0], &mut []);
            schedule.step();
        }
        assert_eq!(p, [-0.5]);
    }
}
