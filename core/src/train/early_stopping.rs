//! Early stopping: end training when a validation metric stops improving, and keep the
//! network of its best epoch.

use crate::error::InvalidHyperParameter;
use crate::scalar::Scalar;
use core::fmt;

/// The validation metric that [`EarlyStopping`] watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Monitor {
    /// The mean validation loss: lower is better (the default).
    #[default]
    ValidationLoss,
    /// The validation accuracy, for classifiers: higher is better.
    ValidationAccuracy,
}

impl fmt::Display for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Monitor::ValidationLoss => "validation loss",
            Monitor::ValidationAccuracy => "validation accuracy",
        })
    }
}

/// Stops training once the watched validation metric has not improved by more than
/// `min_delta` for `patience` epochs in a row, as Keras' and Lightning's `EarlyStopping`
/// do, and (by default) puts back the parameters and buffers of the best epoch.
///
/// ```
/// use typenet_core::train::{EarlyStopping, Monitor};
/// let stop = EarlyStopping::new(5)
///     .with_min_delta(1e-4)?
///     .with_monitor(Monitor::ValidationAccuracy);
/// assert_eq!((stop.patience(), stop.min_delta()), (5, 1e-4));
/// assert_eq!(stop.monitor(), Monitor::ValidationAccuracy);
/// assert!(EarlyStopping::new(5).with_min_delta(-1.0).is_err());
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    monitor: Monitor,
    restore_best: bool,
}

impl EarlyStopping {
    /// Stops after `patience` epochs without improvement of the validation loss; restores
    /// the best epoch's network.
    pub fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            min_delta: 0.0,
            monitor: Monitor::ValidationLoss,
            restore_best: true,
        }
    }

    /// An epoch improves only when it beats the best so far by more than `min_delta`
    /// (in the metric's units; 0 by default).
    ///
    /// # Errors
    /// `min_delta` not finite or negative.
    pub fn with_min_delta(mut self, min_delta: f64) -> Result<Self, InvalidHyperParameter> {
        crate::validate::finite_non_negative("min_delta", min_delta)?;
        self.min_delta = min_delta;
        Ok(self)
    }

    /// The metric to watch.
    #[must_use]
    pub fn with_monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = monitor;
        self
    }

    /// Whether to put back the best epoch's parameters and buffers at the end (default
    /// `true`).
    #[must_use]
    pub fn with_restore_best(mut self, restore: bool) -> Self {
        self.restore_best = restore;
        self
    }

    /// The epochs without improvement it tolerates.
    pub fn patience(&self) -> usize {
        self.patience
    }

    /// The improvement that counts.
    pub fn min_delta(&self) -> f64 {
        self.min_delta
    }

    /// The metric it watches.
    pub fn monitor(&self) -> Monitor {
        self.monitor
    }

    /// Whether it restores the best epoch's network.
    pub fn restores_best(&self) -> bool {
        self.restore_best
    }

    /// The metric as a number where lower is better.
    pub(crate) fn score<T: Scalar>(&self, loss: T, accuracy: Option<f64>) -> f64 {
        match self.monitor {
            Monitor::ValidationLoss => loss.to_f64(),
            Monitor::ValidationAccuracy => -accuracy.unwrap_or(0.0),
        }
    }
}

/// Where early stopping stands during a run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watch {
    pub best_score: f64,
    pub best_epoch: usize,
    pub bad_epochs: usize,
}

impl Watch {
    pub fn new() -> Self {
        Watch {
            best_score: f64::INFINITY,
            best_epoch: 0,
            bad_epochs: 0,
        }
    }

    /// Records an epoch's score; returns whether it is the new best.
    pub fn observe(&mut self, epoch: usize, score: f64, min_delta: f64) -> bool {
        if score < self.best_score - min_delta || (self.best_epoch == 0 && !score.is_nan()) {
            self.best_score = score;
            self.best_epoch = epoch;
            self.bad_epochs = 0;
            true
        } else {
            self.bad_epochs += 1;
            false
        }
    }
}
