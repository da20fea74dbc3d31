//! The trainer: epochs of minibatches, validation, schedules, early stopping and a history,
//! written once for every network.

use super::early_stopping::{EarlyStopping, Watch};
use super::lr_policy::{ConstantLr, LrPolicy, PerEpoch, PerStep};
use super::progress::Progress;
use super::sampler::{Sampler, Shuffle};
use super::samples::{check_labels, Samples};
use super::training::{StepBlocks, Training};
use crate::dim::{Batch, Const};
use crate::error::Error;
use crate::network::{Evaluation, Network};
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::schedule::{ReduceOnPlateau, Schedule};
use core::borrow::BorrowMut;
use core::fmt;
use core::time::Duration;
use rand::Rng;

/// What one epoch measured, handed to the callback and kept in the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochReport<T> {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch's steps (in training mode, before each
    /// update).
    pub train_loss: T,
    /// The loss and accuracy on the validation set after the epoch, in evaluation mode.
    pub validation: Option<Evaluation<T>>,
    /// The learning rate the epoch's steps used (its last step's, when it changes per
    /// step).
    pub lr: T,
    /// The mean over the epoch's steps of the gradients' global L2 norm, before clipping.
    pub grad_norm: T,
    /// The number of steps.
    pub steps: usize,
    /// The time the epoch took, validation included (`std` builds only).
    pub elapsed: Option<Duration>,
}

/// Why training ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Every epoch asked for ran.
    Completed,
    /// Early stopping ended it: the watched metric did not improve for `patience` epochs
    /// after `best_epoch`.
    EarlyStopping {
        /// The last epoch that ran.
        epoch: usize,
        /// The epoch with the best metric.
        best_epoch: usize,
        /// The epochs without improvement it waited.
        patience: usize,
    },
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Completed => f.write_str("every epoch ran"),
            Stop::EarlyStopping {
                epoch,
                best_epoch,
                patience,
            } => write!(
                f,
                "stopped early after epoch {epoch}: no improvement for {patience} epochs since epoch {best_epoch}"
            ),
        }
    }
}

/// How a training run ended, without the history (which needs a heap).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitSummary<T> {
    /// How many epochs ran.
    pub epochs: usize,
    /// Why it ended.
    pub stop: Stop,
    /// The epoch whose network the run ended with: the best one when early stopping
    /// restored it, else the last.
    pub kept_epoch: usize,
    /// The best epoch by the early-stopping metric, and its report (the last epoch's when
    /// there is no early stopping).
    pub best: Option<EpochReport<T>>,
    /// The last epoch's report.
    pub last: Option<EpochReport<T>>,
}

/// A finished training run: its summary and the report of every epoch.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport<T> {
    /// How it ended.
    pub summary: FitSummary<T>,
    /// Every epoch's report, in order.
    pub history: alloc::vec::Vec<EpochReport<T>>,
}

/// Buffers the trainer needs besides the [`Training`] blocks, lent by the caller in a build
/// without a heap (with one, [`Trainer::fit`] makes them).
pub struct FitBuffers<'s, N> {
    /// One slot per training row: the epoch's order.
    pub order: &'s mut [usize],
    /// Where early stopping keeps the best epoch's network, when it restores it.
    pub best: Option<&'s mut N>,
}

/// The course's training practice, written once for every network: epochs of freshly
/// sampled minibatches, validation after each epoch, a learning-rate policy, early stopping
/// with the best network restored, and a report per epoch, to a callback and (with a heap)
/// in a history.
///
/// A trainer holds one value besides its settings: the [`Training`] (optimizer and blocks)
/// whose [`step`](Training::step) it runs.
///
/// An example that trains a network is in the `typenet` crate's `train` module (networks
/// are declared with its `network!` macro).
///
/// # Every row, every epoch
/// An epoch is ⌈n / B⌉ steps of `B` rows, in the sampler's order. When `B` does not divide
/// the n rows, the last batch is topped up with the epoch's first rows, so every row is
/// trained on at least once an epoch and every step has exactly `B` rows (n mod B ≠ 0 rows
/// are seen twice). PyTorch's `DataLoader(drop_last=False)` instead ends the epoch with a
/// short batch of n mod B rows, whose mean loss weighs as much as a full batch's; typenet's
/// batch size is part of the types, and a full last batch keeps batch norm's statistics and
/// the gradient's noise the same at every step.
///
/// # Errors stop training
/// A label out of range (checked against the network's outputs before the first step) or
/// a NaN or infinite loss or gradient ends `fit` with an error naming the row, or the epoch
/// and step; the network keeps the parameters it had before the refused step.
pub struct Trainer<
    N,
    O,
    const B: usize,
    T = f32,
    S = StepBlocks<N, O, B, T>,
    L = ConstantLr,
    M = Shuffle,
> where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
{
    training: Training<N, O, B, T, S>,
    epochs: usize,
    early_stopping: Option<EarlyStopping>,
    lr: L,
    sampler: M,
    progress: bool,
}

impl<N, O, const B: usize, T, S> Trainer<N, O, B, T, S>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
{
    /// A trainer around `training`: 10 epochs, shuffled batches, a constant learning rate,
    /// no early stopping, no progress bar.
    pub fn new(training: Training<N, O, B, T, S>) -> Self {
        Trainer {
            training,
            epochs: 10,
            early_stopping: None,
            lr: ConstantLr,
            sampler: Shuffle,
            progress: false,
        }
    }
}

impl<N, O, const B: usize, T, S, L, M> Trainer<N, O, B, T, S, L, M>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: LrPolicy<T>,
    M: Sampler<N::Target>,
{
    /// The number of epochs (at most: early stopping may end sooner).
    #[must_use]
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Stops when the validation metric stalls; `fit` then needs a validation set.
    #[must_use]
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }

    /// A learning-rate schedule stepped after every epoch.
    pub fn schedule_per_epoch<Sc: Schedule<T>>(
        self,
        schedule: Sc,
    ) -> Trainer<N, O, B, T, S, PerEpoch<Sc>, M> {
        self.lr_policy(PerEpoch(schedule))
    }

    /// A learning-rate schedule stepped after every step.
    pub fn schedule_per_step<Sc: Schedule<T>>(
        self,
        schedule: Sc,
    ) -> Trainer<N, O, B, T, S, PerStep<Sc>, M> {
        self.lr_policy(PerStep(schedule))
    }

    /// The learning rate cut when the validation loss (the training loss without a
    /// validation set) stops improving.
    pub fn reduce_on_plateau(
        self,
        plateau: ReduceOnPlateau<T>,
    ) -> Trainer<N, O, B, T, S, ReduceOnPlateau<T>, M> {
        self.lr_policy(plateau)
    }

    /// Any [`LrPolicy`].
    pub fn lr_policy<L2: LrPolicy<T>>(self, lr: L2) -> Trainer<N, O, B, T, S, L2, M> {
        Trainer {
            training: self.training,
            epochs: self.epochs,
            early_stopping: self.early_stopping,
            lr,
            sampler: self.sampler,
            progress: self.progress,
        }
    }

    /// The order of the rows in each epoch (plain shuffling by default).
    pub fn sampler<M2: Sampler<N::Target>>(self, sampler: M2) -> Trainer<N, O, B, T, S, L, M2> {
        Trainer {
            training: self.training,
            epochs: self.epochs,
            early_stopping: self.early_stopping,
            lr: self.lr,
            sampler,
            progress: self.progress,
        }
    }

    /// Shows a progress bar on standard error while training, when it is a terminal and
    /// the `progress` feature is on (it is by default); silent otherwise.
    #[must_use]
    pub fn progress_bar(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// The number of epochs a run trains at most.
    pub fn max_epochs(&self) -> usize {
        self.epochs
    }

    /// The sampler, with whatever it has learned of the rows (a hard-example sampler's
    /// losses).
    pub fn sampler_ref(&self) -> &M {
        &self.sampler
    }

    /// The learning-rate policy, with its progress (a schedule's position).
    pub fn lr_policy_ref(&self) -> &L {
        &self.lr
    }

    /// The learning-rate policy, mutably: to restore its progress from a checkpoint.
    pub fn lr_policy_mut(&mut self) -> &mut L {
        &mut self.lr
    }

    /// The training run: optimizer and blocks.
    pub fn training(&self) -> &Training<N, O, B, T, S> {
        &self.training
    }

    /// The training run, mutably.
    pub fn training_mut(&mut self) -> &mut Training<N, O, B, T, S> {
        &mut self.training
    }

    /// The training run, giving the trainer up.
    pub fn into_training(self) -> Training<N, O, B, T, S> {
        self.training
    }

    /// Trains `net` on `train`, evaluating on `validation` after each epoch, and returns
    /// every epoch's report. The random source shuffles the rows and draws dropout masks:
    /// a run depends only on it (and the network it starts from).
    ///
    /// # Errors
    /// See [the type's documentation](Trainer#errors-stop-training); also an empty
    /// training set, or early stopping without a validation set.
    #[cfg(feature = "alloc")]
    pub fn fit<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        train: Samples<'_, N::InputRow, N::Target>,
        validation: Option<Samples<'_, N::InputRow, N::Target>>,
        rng: &mut R,
    ) -> Result<FitReport<T>, Error> {
        self.fit_with(net, train, validation, rng, |_| {})
    }

    /// [`fit`](Trainer::fit), calling `on_epoch` with each epoch's report as it ends.
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit).
    #[cfg(feature = "alloc")]
    pub fn fit_with<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        train: Samples<'_, N::InputRow, N::Target>,
        validation: Option<Samples<'_, N::InputRow, N::Target>>,
        rng: &mut R,
        mut on_epoch: impl FnMut(&EpochReport<T>),
    ) -> Result<FitReport<T>, Error> {
        let mut order = alloc::vec![0; train.len()];
        let restores = self.early_stopping.is_some_and(|e| e.restores_best());
        let mut best = restores.then(|| N::zeroed_boxed());
        let mut history = alloc::vec::Vec::new();
        let buffers = FitBuffers {
            order: &mut order,
            best: best.as_deref_mut(),
        };
        let summary = self.fit_in(net, train, validation, rng, buffers, |report| {
            history.push(*report);
            on_epoch(report);
        })?;
        Ok(FitReport { summary, history })
    }

    /// [`fit_with`](Trainer::fit_with) with the buffers lent by the caller, for builds
    /// without a heap: `buffers.order` needs a slot per training row, and `buffers.best`
    /// holds the best epoch's network when early stopping restores it (without it, the
    /// network of the last epoch is kept).
    ///
    /// # Errors
    /// As [`fit`](Trainer::fit); an order buffer shorter than the training set is
    /// [`Error::LengthMismatch`].
    pub fn fit_in<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        train: Samples<'_, N::InputRow, N::Target>,
        validation: Option<Samples<'_, N::InputRow, N::Target>>,
        rng: &mut R,
        buffers: FitBuffers<'_, N>,
        mut on_epoch: impl FnMut(&EpochReport<T>),
    ) -> Result<FitSummary<T>, Error> {
        let n = train.len();
        if n == 0 {
            return Err(Error::Empty {
                what: "training set",
            });
        }
        if buffers.order.len() < n {
            return Err(Error::LengthMismatch {
                what: "the order buffer and the training set",
                left: buffers.order.len(),
                right: n,
            });
        }
        if self.early_stopping.is_some() && validation.is_none_or(|v| v.is_empty()) {
            return Err(Error::Empty {
                what: "validation set that early stopping watches",
            });
        }
        check_labels(train.targets(), N::OUTPUTS)?;
        if let Some(v) = validation {
            check_labels(v.targets(), N::OUTPUTS)?;
        }
        let order = &mut buffers.order[..n];
        let mut best_net = buffers.best;
        let steps = n.div_ceil(B);
        let mut progress = Progress::new(self.progress, self.epochs, steps);
        self.lr.start(self.training.optimizer_mut())?;
        let mut watch = Watch::new();
        let (mut best, mut last) = (None, None);
        let mut stop = Stop::Completed;
        let mut kept_epoch = 0;
        for epoch in 1..=self.epochs {
            let started = Clock::start();
            self.sampler.order(train.targets(), order, rng);
            let (loss_sum, norm_sum) =
                self.train_epoch(net, train, order, epoch, rng, &mut progress)?;
            let lr = self.training.optimizer().lr();
            let validation = match validation {
                Some(v) => Some(net.evaluate(
                    v.features(),
                    v.targets(),
                    &mut self.training.blocks_mut().cache,
                )?),
                None => None,
            };
            let train_loss = T::from_f64(loss_sum / steps as f64);
            let report = EpochReport {
                epoch,
                train_loss,
                validation,
                lr,
                grad_norm: T::from_f64(norm_sum / steps as f64),
                steps,
                elapsed: started.elapsed(),
            };
            let plateau_loss = validation.map_or(train_loss, |v| v.loss);
            self.lr
                .after_epoch(self.training.optimizer_mut(), plateau_loss)?;
            progress.epoch(&report);
            on_epoch(&report);
            last = Some(report);
            kept_epoch = epoch;
            if let (Some(rule), Some(v)) = (self.early_stopping, validation) {
                let score = rule.score(v.loss, v.accuracy);
                if watch.observe(epoch, score, rule.min_delta()) {
                    best = Some(report);
                    if let Some(copy) = best_net.as_deref_mut() {
                        copy.copy_from(net);
                    }
                } else if watch.bad_epochs >= rule.patience() {
                    stop = Stop::EarlyStopping {
                        epoch,
                        best_epoch: watch.best_epoch,
                        patience: rule.patience(),
                    };
                    break;
                }
            }
        }
        progress.finish();
        if let (Some(copy), Some(b)) = (best_net, best) {
            net.copy_from(copy);
            kept_epoch = b.epoch;
        }
        Ok(FitSummary {
            epochs: last.map_or(0, |l| l.epoch),
            stop,
            kept_epoch,
            best: best.or(last),
            last,
        })
    }

    /// One epoch's steps over the rows in `order` (the last batch wrapping round to the
    /// epoch's first rows); returns the sums of the steps' losses and gradient norms.
    fn train_epoch<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        train: Samples<'_, N::InputRow, N::Target>,
        order: &[usize],
        epoch: usize,
        rng: &mut R,
        progress: &mut Progress,
    ) -> Result<(f64, f64), Error> {
        let n = order.len();
        let (mut loss_sum, mut norm_sum) = (0.0f64, 0.0f64);
        let mut row_losses = [T::ZERO; B];
        let wants_losses = self.sampler.wants_losses();
        for step in 0..n.div_ceil(B) {
            let rows: [usize; B] = core::array::from_fn(|i| order[(step * B + i) % n]);
            let stats = self
                .training
                .step_on_rows(
                    net,
                    train.features(),
                    train.targets(),
                    &rows,
                    wants_losses.then_some(&mut row_losses),
                    rng,
                )
                .map_err(|e| e.at_step(epoch, step + 1))?;
            if wants_losses {
                for (&row, loss) in rows.iter().zip(&row_losses) {
                    self.sampler.record_loss(row, loss.to_f64());
                }
            }
            loss_sum += stats.loss.to_f64();
            norm_sum += stats.grad_norm.to_f64();
            self.lr.after_step(self.training.optimizer_mut())?;
            progress.step(epoch, step + 1, stats.loss.to_f64());
        }
        Ok((loss_sum, norm_sum))
    }
}

/// Wall-clock time where `std` has a clock.
struct Clock {
    #[cfg(feature = "std")]
    start: std::time::Instant,
}

impl Clock {
    fn start() -> Self {
        Clock {
            #[cfg(feature = "std")]
            start: std::time::Instant::now(),
        }
    }

    fn elapsed(&self) -> Option<Duration> {
        #[cfg(feature = "std")]
        return Some(self.start.elapsed());
        #[cfg(not(feature = "std"))]
        None
    }
}
