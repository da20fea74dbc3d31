//! Learning-rate schedules: each computes the rate for the next epoch (or step) and hands it
//! to any optimizer through [`Optimizer::set_lr`].
//!
//! A schedule is a small value of its own, apart from the optimizer: [`Schedule::lr`] is the
//! rate it prescribes now, [`Schedule::step`] moves it on by one epoch or one step (the
//! caller decides which), and [`Schedule::apply`] writes the rate into an optimizer. So one
//! schedule type serves every optimizer, and an optimizer needs no schedule to run.
//!
//! | Schedule | The course's formula | PyTorch |
//! | --- | --- | --- |
//! | [`Constant`] | η0 | no scheduler (`LambdaLR(lambda t: 1.0)`) |
//! | [`StepDecay`] | η0·γ^⌊t/T⌋ | `StepLR(step_size=T, gamma=γ)` |
//! | [`InverseDecay`] | η0/(1 + εt) | `LambdaLR(lambda t: 1 / (1 + ε * t))` |
//! | [`ExponentialDecay::new`] | η0·e^(−εt) | `LambdaLR(lambda t: math.exp(-ε * t))` |
//! | [`ExponentialDecay::recursive`] | η0·γᵗ | `ExponentialLR(gamma=γ)` |
//! | [`LinearWarmup`] | η0·(s + (1 − s)·min(t, N)/N) | `LinearLR(start_factor=s, total_iters=N)` |
//! | [`CosineAnnealing`] | η_min + (η0 − η_min)(1 + cos(πt/T))/2 | `CosineAnnealingLR(T_max=T, eta_min=η_min)` |
//! | [`Sequential`] ([`Schedule::then`]) | one schedule, then another | `SequentialLR` |
//! | [`ReduceOnPlateau`] | ×factor when the validation loss stalls | `ReduceLROnPlateau` |
//!
//! t counts the calls to `step` (PyTorch's `last_epoch`); at t = 0, before any, a schedule
//! holds its first rate. PyTorch's defaults are kept wherever PyTorch has one.
//!
//! # In PyTorch's arithmetic
//! PyTorch keeps learning rates in Python floats, whatever the model's dtype, and several of
//! its schedulers compute each rate from the previous one (lr ← lr·γ) rather than from t.
//! typenet does the same: a schedule computes in `f64`, by PyTorch's formula in PyTorch's
//! order, and rounds to `T` only when asked for [`lr`](Schedule::lr). Factors, rates and
//! thresholds (γ, ε, the start factor) are `f64` for the same reason, as Adam's β₁ and β₂
//! are; learning rates (η0, η_min, the plateau's minimum) are `T`, like the optimizer's.
//! Measured against torch 2.15 over 30 epochs (tests/schedule_parity.rs), the `f64`
//! schedules agree to the bit, and the `f32` ones within 6.7·10⁻⁸ relative: the rounding of
//! η0 and of the result to `f32`.
//!
//! A schedule does not read the optimizer's rate back, so a rate changed by hand in the
//! optimizer is overwritten at the next `apply`; PyTorch's recursive schedulers would carry
//! such a change on.
//!
//! # A rate of zero
//! Optimizers reject a learning rate of 0, which a schedule can reach: cosine annealing to
//! η_min = 0 does at t = T, and PyTorch then holds exactly 0. `apply` hands the optimizer the
//! smallest normal `f32` value, about 1.2·10⁻³⁸, instead of any smaller rate, which moves no
//! parameter of ordinary size; [`lr`](Schedule::lr) still reports the schedule's own value.
//!
//! Adding a schedule: one file here with a type implementing [`Schedule`], and its
//! `mod`/`pub use` lines below.

mod constant;
mod cosine_annealing;
mod exponential_decay;
mod inverse_decay;
mod linear_warmup;
mod reduce_on_plateau;
mod sequential;
mod step_decay;

pub use constant::Constant;
pub use cosine_annealing::CosineAnnealing;
pub use exponential_decay::ExponentialDecay;
pub use inverse_decay::InverseDecay;
pub use linear_warmup::LinearWarmup;
pub use reduce_on_plateau::{ReduceOnPlateau, Threshold};
pub use sequential::Sequential;
pub use step_decay::StepDecay;

use crate::error::{InvalidHyperParameter, Number};
use crate::io::Key;
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::validate::{self, check};

/// A learning rate that changes with each epoch or each step, for any optimizer.
///
/// Apply the first rate before training starts (PyTorch's schedulers set it when they are
/// built, which matters for a warm-up), then call [`step`](Schedule::step) and
/// [`apply`](Schedule::apply) after each epoch, as PyTorch calls `scheduler.step()` after
/// each epoch (a [`Training`](crate::train::Training) owns its optimizer: apply the schedule
/// to `training.optimizer_mut()`; a [`Trainer`](crate::train::Trainer) applies one itself,
/// given with [`schedule_per_epoch`](crate::train::Trainer::schedule_per_epoch) or
/// [`schedule_per_step`](crate::train::Trainer::schedule_per_step)):
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// use typenet_core::schedule::{Schedule, StepDecay};
/// let mut sgd = Sgd::new(0.1f64)?;
/// let mut schedule = StepDecay::new(sgd.lr(), 2, 0.5)?; // halve it every 2 epochs
/// for _epoch in 0..4 {
///     // … every batch of the epoch: training.step(&mut net, &x, &labels, &mut rng) …
///     schedule.step();
///     schedule.apply(&mut sgd)?; // or schedule.apply(training.optimizer_mut())?
/// }
/// assert_eq!(sgd.lr(), 0.025);
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
///
/// or after each step, counting steps instead of epochs (here a warm-up over the first 100
/// steps, then cosine annealing over the remaining 900):
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// use typenet_core::schedule::{CosineAnnealing, LinearWarmup, Schedule};
/// let (mut sgd, mut p) = (Sgd::new(0.1f32)?, [1.0f32; 2]);
/// let warmup = LinearWarmup::new(sgd.lr(), 0.01, 100)?;
/// let mut schedule = warmup.then(100, CosineAnnealing::new(sgd.lr(), 900, 0.0)?);
/// schedule.apply(&mut sgd)?; // the rate of the first step: 0.1 × 0.01
/// for _ in 0..1000 {
///     sgd.step(&mut p, &[0.5, -0.5], &mut []); // or training.step(&mut net, …)
///     schedule.step();
///     schedule.apply(&mut sgd)?;
/// }
/// assert_eq!(schedule.lr(), 0.0); // annealed to η_min = 0…
/// assert!(sgd.lr() > 0.0 && sgd.lr() < 1e-37); // …which the optimizer gets as 1.2e-38
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
///
/// [`ReduceOnPlateau`] follows a validation loss rather than a count, so it is stepped with
/// that loss ([`ReduceOnPlateau::step_with`]) and is not a `Schedule` (PyTorch's
/// `SequentialLR` refuses it too).
pub trait Schedule<T: Scalar> {
    /// The learning rate for the coming epoch or step.
    ///
    /// ```
    /// use typenet_core::schedule::{InverseDecay, Schedule};
    /// assert_eq!(InverseDecay::new(0.1f32, 1.0)?.lr(), 0.1);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    fn lr(&self) -> T;

    /// Moves on by one epoch or one step.
    ///
    /// ```
    /// use typenet_core::schedule::{InverseDecay, Schedule};
    /// let mut schedule = InverseDecay::new(0.1f64, 1.0)?;
    /// schedule.step();
    /// assert_eq!(schedule.lr(), 0.05); // 0.1/(1 + 1·1)
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    fn step(&mut self);

    /// Sets the optimizer's learning rate to [`lr`](Schedule::lr) (to about 1.2·10⁻³⁸ if it
    /// is smaller; see [the module](self)).
    ///
    /// # Errors
    /// Whatever the optimizer's [`set_lr`](Optimizer::set_lr) rejects, leaving its rate as
    /// it was; every optimizer in [`optim`](crate::optim) takes any finite rate above 0, so
    /// none of them fails here.
    ///
    /// ```
    /// use typenet_core::optim::{Adam, Optimizer};
    /// use typenet_core::schedule::{LinearWarmup, Schedule};
    /// let mut adam = Adam::new(1e-3f32)?;
    /// LinearWarmup::new(adam.lr(), 0.5, 10)?.apply(&mut adam)?;
    /// assert_eq!(adam.lr(), 5e-4);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    fn apply<O: Optimizer<T>>(&self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        apply(self.lr(), optimizer)
    }

    /// This schedule for `milestone` steps, then `next` from its own start, like PyTorch's
    /// `SequentialLR([self, next], milestones=[milestone])`.
    ///
    /// ```
    /// use typenet_core::schedule::{Constant, Schedule, StepDecay};
    /// let mut s = Constant::new(0.5f64)?.then(2, StepDecay::new(1.0, 1, 0.5)?);
    /// let mut lrs = [0.0; 5];
    /// for lr in &mut lrs {
    ///     *lr = s.lr();
    ///     s.step();
    /// }
    /// assert_eq!(lrs, [0.5, 0.5, 1.0, 0.5, 0.25]);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    fn then<S: Schedule<T>>(self, milestone: u64, next: S) -> Sequential<Self, S>
    where
        Self: Sized,
    {
        Sequential::new(self, milestone, next)
    }
}

/// The smallest learning rate [`apply`] hands an optimizer: the smallest normal `f32`, which
/// is also normal in `f64`.
const SMALLEST_LR: f32 = f32::MIN_POSITIVE;

/// Sets `optimizer`'s learning rate to `lr`, or to [`SMALLEST_LR`] if `lr` is smaller.
fn apply<T: Scalar, O: Optimizer<T>>(
    lr: T,
    optimizer: &mut O,
) -> Result<(), InvalidHyperParameter> {
    let smallest = T::from_f64(f64::from(SMALLEST_LR));
    optimizer.set_lr(if lr < smallest { smallest } else { lr })
}

/// Saves the progress of a schedule that keeps its step count and current rate.
fn save_steps_and_lr(steps: u64, lr: f64, visit: &mut dyn FnMut(Key, Number)) {
    visit(Key::new("last_epoch"), Number::Integer(steps));
    visit(Key::new("lr"), Number::F64(lr));
}

/// Restores one scalar that [`save_steps_and_lr`] saved.
fn load_steps_and_lr(
    steps: &mut u64,
    lr: &mut f64,
    key: Key,
    value: Number,
) -> Result<(), InvalidHyperParameter> {
    match key.segments() {
        ["last_epoch"] => *steps = crate::io::count("last_epoch", value)?,
        ["lr"] => *lr = restored_lr(value)?,
        _ => {}
    }
    Ok(())
}

/// A schedule's rate read back from a checkpoint: finite and at least 0 (annealing may end
/// at 0).
fn restored_lr(value: Number) -> Result<f64, InvalidHyperParameter> {
    let ok = |x: f64| x.is_finite() && x >= 0.0;
    crate::io::float("learning rate", value, ok, validate::FINITE_NON_NEGATIVE)
}

/// Checks a decay factor: finite, in (0, 1].
fn check_decay_factor(name: &'static str, factor: f64) -> Result<(), InvalidHyperParameter> {
    let ok = factor > 0.0 && factor <= 1.0;
    check(name, factor, ok, "a number in (0, 1]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Sgd};

    /// The first `N` rates of `schedule`: before any step, then after each.
    pub(crate) fn rates<T: Scalar, S: Schedule<T>, const N: usize>(mut schedule: S) -> [T; N] {
        core::array::from_fn(|_| {
            let lr = schedule.lr();
            schedule.step();
            lr
        })
    }

    #[test]
    fn apply_sets_the_rate_of_any_optimizer() {
        let schedule = Constant::new(0.25f32).unwrap();
        let mut sgd = Sgd::new(1.0).unwrap();
        schedule.apply(&mut sgd).unwrap();
        assert_eq!(sgd.lr(), 0.25);
        let mut adam = Adam::new(1.0).unwrap();
        schedule.apply(&mut adam).unwrap();
        assert_eq!(adam.lr(), 0.25);
    }

    #[test]
    fn apply_gives_the_optimizer_a_positive_rate_for_zero() {
        for lr in [0.0, 1e-39, 1e-300] {
            let mut sgd = Sgd::new(1.0f64).unwrap();
            apply(lr, &mut sgd).unwrap();
            assert_eq!(sgd.lr(), f64::from(f32::MIN_POSITIVE));
            let mut sgd = Sgd::new(1.0f32).unwrap();
            apply(lr as f32, &mut sgd).unwrap();
            assert_eq!(sgd.lr(), f32::MIN_POSITIVE);
        }
        let mut sgd = Sgd::new(1.0f32).unwrap();
        assert_eq!(apply(f32::NAN, &mut sgd).unwrap_err().name, "learning rate");
        assert_eq!(sgd.lr(), 1.0);
    }
}
