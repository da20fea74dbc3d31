//! How a trainer changes the learning rate: a schedule stepped per epoch or per step, or
//! reduced when the validation loss stops improving.

use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::schedule::{ReduceOnPlateau, Schedule};

/// What a [`Trainer`](crate::train::Trainer) does with the learning rate: nothing
/// ([`ConstantLr`]), a [`Schedule`] stepped after every epoch ([`PerEpoch`]) or every step
/// ([`PerStep`]), or [`ReduceOnPlateau`] fed with the validation loss after every epoch.
pub trait LrPolicy<T: Scalar> {
    /// Before the first step: hands the optimizer the first rate.
    ///
    /// # Errors
    /// A rate the optimizer refuses.
    fn start<O: Optimizer<T>>(&mut self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        let _ = optimizer;
        Ok(())
    }

    /// After every step.
    ///
    /// # Errors
    /// A rate the optimizer refuses.
    fn after_step<O: Optimizer<T>>(
        &mut self,
        optimizer: &mut O,
    ) -> Result<(), InvalidHyperParameter> {
        let _ = optimizer;
        Ok(())
    }

    /// After every epoch, with the epoch's validation loss (its training loss when there
    /// is no validation set).
    ///
    /// # Errors
    /// A rate the optimizer refuses.
    fn after_epoch<O: Optimizer<T>>(
        &mut self,
        optimizer: &mut O,
        loss: T,
    ) -> Result<(), InvalidHyperParameter> {
        let _ = (optimizer, loss);
        Ok(())
    }
}

/// The optimizer's own rate throughout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConstantLr;

impl<T: Scalar> LrPolicy<T> for ConstantLr {}

/// A schedule stepped after every epoch, as PyTorch calls `scheduler.step()` once an epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerEpoch<S>(pub S);

impl<T: Scalar, S: Schedule<T>> LrPolicy<T> for PerEpoch<S> {
    fn start<O: Optimizer<T>>(&mut self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        self.0.apply(optimizer)
    }

    fn after_epoch<O: Optimizer<T>>(
        &mut self,
        optimizer: &mut O,
        _: T,
    ) -> Result<(), InvalidHyperParameter> {
        self.0.step();
        self.0.apply(optimizer)
    }
}

/// A schedule stepped after every step (a warm-up over the first steps, say).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerStep<S>(pub S);

impl<T: Scalar, S: Schedule<T>> LrPolicy<T> for PerStep<S> {
    fn start<O: Optimizer<T>>(&mut self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        self.0.apply(optimizer)
    }

    fn after_step<O: Optimizer<T>>(
        &mut self,
        optimizer: &mut O,
    ) -> Result<(), InvalidHyperParameter> {
        self.0.step();
        self.0.apply(optimizer)
    }
}

impl<T: Scalar> LrPolicy<T> for ReduceOnPlateau<T> {
    fn start<O: Optimizer<T>>(&mut self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        self.apply(optimizer)
    }

    fn after_epoch<O: Optimizer<T>>(
        &mut self,
        optimizer: &mut O,
        loss: T,
    ) -> Result<(), InvalidHyperParameter> {
        self.step_with(loss);
        self.apply(optimizer)
    }
}

/// Nothing to keep.
impl Resume for ConstantLr {
    fn save_progress(&self, _: &mut dyn FnMut(Key, Number)) {}

    fn load_progress(&mut self, _: Key, _: Number) -> Result<(), InvalidHyperParameter> {
        Ok(())
    }
}

/// The schedule's progress.
impl<S: Resume> Resume for PerEpoch<S> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        self.0.save_progress(visit);
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        self.0.load_progress(key, value)
    }
}

/// The schedule's progress.
impl<S: Resume> Resume for PerStep<S> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        self.0.save_progress(visit);
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        self.0.load_progress(key, value)
    }
}
