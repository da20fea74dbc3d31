//! The learning-rate search the course recommends: a few epochs at each of a coarse,
//! log-spaced grid of rates, then a finer grid around the best, every run from the same
//! network and the same data order, ranked by validation loss.

use super::samples::{check_labels, Samples};
use super::trainer::{EpochReport, Trainer};
use super::training::Training;
use crate::dim::{Batch, Const};
use crate::error::{Error, InvalidHyperParameter};
use crate::flat::Flat;
use crate::network::{Evaluation, Network};
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::validate::{self, check};
use alloc::vec::Vec;
use core::fmt;
use rand::{Rng, SeedableRng};

/// The settings of a learning-rate search at batch size `B`: which rates, for how many
/// epochs, on how many training rows. Every value is checked when it is set.
///
/// By default: the coarse rates 1e-1, 1e-2, 1e-3, 1e-4 and 1e-5; then 4 rates per decade
/// within half a decade on each side of the coarse winner r (r·10^±0.25 and r·10^±0.5,
/// so that the fine grid reaches halfway to the coarse neighbours, where they would take
/// over); 5 epochs per rate; every training row; a run is *diverged* when its last epoch's
/// training loss is over 4 times the starting loss (fastai's learning-rate finder stops at
/// 4 times the best loss), or a loss, gradient or output became NaN or infinite.
///
/// ```
/// use typenet_core::train::LrSearch;
/// let search = LrSearch::<32>::new()
///     .with_coarse_rates(&[1.0, 1e-1, 1e-2, 1e-3])?
///     .with_fine_grid(4, 0.5)?
///     .with_epochs(3)?
///     .with_subset(1000)?;
/// assert_eq!(search.coarse_rates(), [1.0, 1e-1, 1e-2, 1e-3]);
/// assert_eq!((search.epochs(), search.subset()), (3, Some(1000)));
/// assert!(LrSearch::<32>::new().with_coarse_rates(&[1e-2, 0.0]).is_err());
/// assert!(LrSearch::<32>::new().with_epochs(0).is_err());
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LrSearch<const B: usize> {
    coarse: Vec<f64>,
    fine_per_decade: usize,
    fine_half_width: f64,
    epochs: usize,
    subset: Option<usize>,
    divergence_factor: f64,
}

impl<const B: usize> Default for LrSearch<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const B: usize> LrSearch<B> {
    /// The default search (see [the type's documentation](LrSearch)).
    pub fn new() -> Self {
        LrSearch {
            coarse: alloc::vec![1e-1, 1e-2, 1e-3, 1e-4, 1e-5],
            fine_per_decade: 4,
            fine_half_width: 0.5,
            epochs: 5,
            subset: None,
            divergence_factor: 4.0,
        }
    }

    /// The coarse rates, tried in the order given.
    ///
    /// # Errors
    /// No rates, or a rate that is not finite and greater than 0; nothing is changed.
    pub fn with_coarse_rates(mut self, rates: &[f64]) -> Result<Self, InvalidHyperParameter> {
        check(
            "number of coarse rates",
            rates.len() as f64,
            !rates.is_empty(),
            "at least 1",
        )?;
        for &lr in rates {
            validate::learning_rate(lr)?;
        }
        self.coarse = rates.to_vec();
        Ok(self)
    }

    /// The fine grid: `per_decade` rates per decade (on a log scale), within `half_width`
    /// decades on each side of the coarse winner. `per_decade` of 0 or a width too narrow
    /// for one step skips the fine stage.
    ///
    /// ```
    /// use typenet_core::train::LrSearch;
    /// let search = LrSearch::<8>::new().with_fine_grid(2, 1.0)?; // 10^±0.5, 10^±1
    /// let rates = search.fine_rates(1e-2);
    /// assert_eq!(rates.len(), 4);
    /// assert!((rates[0] - 1e-1).abs() < 1e-15 && (rates[3] - 1e-3).abs() < 1e-15);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    ///
    /// # Errors
    /// A `half_width` that is not finite and at least 0.
    pub fn with_fine_grid(
        mut self,
        per_decade: usize,
        half_width: f64,
    ) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("fine grid's half width (decades)", half_width)?;
        self.fine_per_decade = per_decade;
        self.fine_half_width = half_width;
        Ok(self)
    }

    /// The epochs each rate trains for.
    ///
    /// # Errors
    /// 0 epochs.
    pub fn with_epochs(mut self, epochs: usize) -> Result<Self, InvalidHyperParameter> {
        check("epochs", epochs as f64, epochs > 0, "at least 1")?;
        self.epochs = epochs;
        Ok(self)
    }

    /// Trains on the first `rows` training rows only (all of them when there are fewer).
    /// Shuffle the data first if it is ordered, by class for instance.
    ///
    /// # Errors
    /// 0 rows.
    pub fn with_subset(mut self, rows: usize) -> Result<Self, InvalidHyperParameter> {
        check("subset's rows", rows as f64, rows > 0, "at least 1")?;
        self.subset = Some(rows);
        Ok(self)
    }

    /// A run counts as diverged when its last epoch's mean training loss exceeds `factor`
    /// times the starting network's loss on the same rows (4 by default).
    ///
    /// # Errors
    /// A `factor` that is not finite and greater than 1.
    pub fn with_divergence_factor(mut self, factor: f64) -> Result<Self, InvalidHyperParameter> {
        check(
            "divergence factor",
            factor,
            factor.is_finite() && factor > 1.0,
            "a finite number greater than 1",
        )?;
        self.divergence_factor = factor;
        Ok(self)
    }

    /// The coarse rates.
    pub fn coarse_rates(&self) -> &[f64] {
        &self.coarse
    }

    /// The fine grid's rates per decade.
    pub fn fine_per_decade(&self) -> usize {
        self.fine_per_decade
    }

    /// The fine grid's reach on each side of the coarse winner, in decades.
    pub fn fine_half_width(&self) -> f64 {
        self.fine_half_width
    }

    /// The epochs per rate.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// The training rows used, if limited.
    pub fn subset(&self) -> Option<usize> {
        self.subset
    }

    /// The divergence factor.
    pub fn divergence_factor(&self) -> f64 {
        self.divergence_factor
    }

    /// The fine grid around `center`, largest rate first, `center` itself left out:
    /// center·10^(k/per_decade) for k = ±1, ±2, … as far as the half width reaches.
    ///
    /// ```
    /// use typenet_core::train::LrSearch;
    /// let rates = LrSearch::<8>::new().fine_rates(0.1); // 4 per decade, ±0.5 decade
    /// let expected = [0.1 * 10f64.powf(0.5), 0.1 * 10f64.powf(0.25),
    ///                 0.1 * 10f64.powf(-0.25), 0.1 * 10f64.powf(-0.5)];
    /// assert_eq!(rates.len(), 4);
    /// for (r, e) in rates.iter().zip(expected) {
    ///     assert!((r / e - 1.0).abs() < 1e-12);
    /// }
    /// ```
    pub fn fine_rates(&self, center: f64) -> Vec<f64> {
        let p = self.fine_per_decade;
        // A small slack so that 0.5 decade at 4 per decade gives 2 steps, not 1.999….
        let steps = libm::floor(self.fine_half_width * p as f64 + 1e-9) as i64;
        (-steps..=steps)
            .rev()
            .filter(|&k| k != 0)
            .map(|k| center * libm::pow(10.0, k as f64 / p as f64))
            .collect()
    }

    /// Runs the search: every coarse rate, then the fine grid around the coarse rate with
    /// the lowest validation loss; each rate trains a copy of `net` (which is left as it
    /// is) for [`epochs`](LrSearch::epochs) on the first [`subset`](LrSearch::subset)
    /// training rows. Every run shuffles with a generator of `rng`'s type seeded alike (the
    /// seed is one number drawn from `rng`), so every rate starts from the same network and
    /// sees the same batches in the same order. `optimizer` builds the optimizer for a rate
    /// (`|lr| Sgd::new(lr)`, `|lr| Adam::new(lr)`); each run is a [`Trainer`] around
    /// [`Training::new_boxed`].
    ///
    /// A run whose loss, gradient or output turns NaN or infinite, or whose training loss
    /// ends over the divergence factor times the starting loss, is recorded as diverged
    /// (with its last finished epoch, if any) and is not picked.
    ///
    /// ```
    /// use rand::{Rng, SeedableRng};
    /// use typenet_core::optim::Sgd;
    /// use typenet_core::train::{LrSearch, Samples};
    /// use typenet_core::{Error, Network};
    ///
    /// /// The SGD rate with the lowest validation loss after 3 epochs on 500 rows.
    /// fn pick_sgd_rate<N: Network<f32>, R: Rng + SeedableRng>(
    ///     net: &N,
    ///     train: Samples<'_, N::InputRow, N::Target>,
    ///     validation: Samples<'_, N::InputRow, N::Target>,
    ///     rng: &mut R,
    /// ) -> Result<Option<f32>, Error> {
    ///     let search = LrSearch::<16>::new().with_epochs(3)?.with_subset(500)?;
    ///     let report = search.run(net, train, validation, rng, Sgd::new)?;
    ///     println!("{report}");
    ///     Ok(report.best_lr())
    /// }
    /// ```
    ///
    /// # Errors
    /// An empty training or validation set, a label out of range, a starting network whose
    /// output is not finite, or a coarse rate the `optimizer` closure refuses: all found
    /// before the seed is drawn. A fine rate the closure refuses is an error too, found
    /// after it. A diverged run is not an error.
    pub fn run<N, O, T, R, F>(
        &self,
        net: &N,
        train: Samples<'_, N::InputRow, N::Target>,
        validation: Samples<'_, N::InputRow, N::Target>,
        rng: &mut R,
        mut optimizer: F,
    ) -> Result<LrSearchReport<T>, Error>
    where
        N: Network<T>,
        O: Optimizer<T>,
        T: Scalar,
        R: Rng + SeedableRng,
        F: FnMut(T) -> Result<O, InvalidHyperParameter>,
        Const<B>: Batch,
    {
        if train.is_empty() {
            return Err(Error::Empty {
                what: "training set",
            });
        }
        if validation.is_empty() {
            return Err(Error::Empty {
                what: "validation set",
            });
        }
        let rows = self.subset.map_or(train.len(), |s| s.min(train.len()));
        let subset = Samples::new(&train.features()[..rows], &train.targets()[..rows])?;
        check_labels(subset.targets(), N::OUTPUTS)?;
        check_labels(validation.targets(), N::OUTPUTS)?;

        let mut cache = <N::Cache<B> as Flat<T>>::zeroed_boxed();
        let start = net.evaluate(subset.features(), subset.targets(), &mut cache)?;
        let start_validation =
            net.evaluate(validation.features(), validation.targets(), &mut cache)?;
        let mut report = LrSearchReport {
            trials: Vec::new(),
            best: None,
            rows,
            start_train_loss: start.loss,
            start_validation,
        };

        // The coarse optimizers are built before the seed is drawn, so that a refused rate
        // leaves `rng` as it was.
        let coarse = self
            .coarse
            .iter()
            .map(|&lr| optimizer(T::from_f64(lr)).map(|o| (T::from_f64(lr), o)))
            .collect::<Result<Vec<_>, _>>()?;
        let seed = rng.next_u64();
        let mut trial_net = N::zeroed_boxed();
        let mut run = |stage: Stage, lr: T, opt: O, report: &mut LrSearchReport<T>| {
            let training = Training::<N, O, B, T, _>::new_boxed(opt);
            let mut trainer = Trainer::new(training).epochs(self.epochs);
            trial_net.copy_from(net);
            let mut last: Option<EpochReport<T>> = None;
            let outcome = trainer.fit_with(
                &mut trial_net,
                subset,
                Some(validation),
                &mut R::seed_from_u64(seed),
                |epoch| last = Some(*epoch),
            );
            let stopped_on_non_finite = match outcome {
                Ok(_) => false,
                Err(
                    Error::NonFiniteLoss { .. }
                    | Error::NonFiniteGradient { .. }
                    | Error::NonFiniteOutput { .. },
                ) => true,
                Err(other) => return Err(other),
            };
            let nan = T::from_f64(f64::NAN);
            let train_loss = last.map_or(nan, |e| e.train_loss);
            let validation = last.and_then(|e| e.validation);
            let validation_loss = validation.map_or(nan, |v| v.loss);
            let diverged = stopped_on_non_finite
                || !train_loss.is_finite()
                || !validation_loss.is_finite()
                || train_loss.to_f64() > self.divergence_factor * start.loss.to_f64();
            report.trials.push(LrTrial {
                stage,
                lr,
                epochs: last.map_or(0, |e| e.epoch),
                train_loss,
                validation_loss,
                validation_accuracy: validation.and_then(|v| v.accuracy),
                diverged,
            });
            Ok::<(), Error>(())
        };

        for (lr, opt) in coarse {
            run(Stage::Coarse, lr, opt, &mut report)?;
        }
        if let Some(center) = lowest_validation_loss(&report.trials) {
            let center = report.trials[center].lr.to_f64();
            for lr in self.fine_rates(center) {
                // A fine rate that a coarse grid already tried would only repeat its run.
                let tried = report
                    .trials
                    .iter()
                    .any(|t| (t.lr.to_f64() / lr - 1.0).abs() < 1e-6);
                if !tried {
                    let lr = T::from_f64(lr);
                    run(Stage::Fine, lr, optimizer(lr)?, &mut report)?;
                }
            }
        }
        report.best = lowest_validation_loss(&report.trials);
        Ok(report)
    }
}

/// The index of the trial with the lowest validation loss among those that did not
/// diverge (the first one on a tie).
fn lowest_validation_loss<T: Scalar>(trials: &[LrTrial<T>]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, t) in trials.iter().enumerate() {
        if t.diverged {
            continue;
        }
        if best.is_none_or(|b| t.validation_loss < trials[b].validation_loss) {
            best = Some(i);
        }
    }
    best
}

/// Which grid a trial belongs to.
///
/// ```
/// use typenet_core::train::Stage;
/// assert_eq!(Stage::Fine.to_string(), "fine");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The log-spaced rates given up front.
    Coarse,
    /// The rates around the best coarse one.
    Fine,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that a table's column width applies.
        f.pad(match self {
            Stage::Coarse => "coarse",
            Stage::Fine => "fine",
        })
    }
}

/// One rate's run in a [`LrSearch`].
///
/// ```
/// use typenet_core::train::{LrTrial, Stage};
/// let trial = LrTrial {
///     stage: Stage::Coarse,
///     lr: 1e3f32,
///     epochs: 0,
///     train_loss: f32::NAN,
///     validation_loss: f32::NAN,
///     validation_accuracy: None,
///     diverged: true,
/// };
/// assert!(trial.diverged && trial.epochs == 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrTrial<T> {
    /// The grid it belongs to.
    pub stage: Stage,
    /// The learning rate.
    pub lr: T,
    /// The epochs that finished: fewer than asked when the run stopped on a value that is
    /// not finite.
    pub epochs: usize,
    /// The last finished epoch's mean training loss (NaN when none finished).
    pub train_loss: T,
    /// The validation loss after the last finished epoch (NaN when none finished).
    pub validation_loss: T,
    /// The validation accuracy after the last finished epoch, for a classifier.
    pub validation_accuracy: Option<f64>,
    /// Whether the run diverged: a value went NaN or infinite, or the training loss ended
    /// over the divergence factor times the starting loss.
    pub diverged: bool,
}

/// Every run of a [`LrSearch`], coarse ones first, and the rate it picks. Its `Display` is
/// a plain text table, one run per line.
///
/// ```
/// use typenet_core::train::{LrSearchReport, LrTrial, Stage};
/// use typenet_core::Evaluation;
/// let trial = |stage, lr, loss: f32, diverged| LrTrial {
///     stage,
///     lr,
///     epochs: 5,
///     train_loss: loss,
///     validation_loss: loss,
///     validation_accuracy: Some(0.5),
///     diverged,
/// };
/// let report = LrSearchReport {
///     trials: vec![trial(Stage::Coarse, 1e-1, 0.2, false), trial(Stage::Coarse, 1e3, 9.0, true)],
///     best: Some(0),
///     rows: 100,
///     start_train_loss: 1.1,
///     start_validation: Evaluation { loss: 1.1, accuracy: Some(0.3), samples: 50 },
/// };
/// assert_eq!(report.best_lr(), Some(1e-1));
/// let table = report.to_string();
/// assert!(table.contains("1.000e-1") && table.contains("diverged"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LrSearchReport<T> {
    /// Every run, in the order they ran: the coarse grid, then the fine one.
    pub trials: Vec<LrTrial<T>>,
    /// The index in `trials` of the run with the lowest validation loss among those that
    /// did not diverge; `None` when every run diverged.
    pub best: Option<usize>,
    /// The training rows each run used.
    pub rows: usize,
    /// The starting network's loss on those rows, in evaluation mode.
    pub start_train_loss: T,
    /// The starting network's loss and accuracy on the validation set.
    pub start_validation: Evaluation<T>,
}

impl<T: Scalar> LrSearchReport<T> {
    /// The run it picks.
    pub fn best_trial(&self) -> Option<&LrTrial<T>> {
        self.best.map(|i| &self.trials[i])
    }

    /// The rate it picks.
    pub fn best_lr(&self) -> Option<T> {
        self.best_trial().map(|t| t.lr)
    }

    /// The runs of one grid, in order.
    pub fn stage(&self, stage: Stage) -> impl Iterator<Item = &LrTrial<T>> {
        self.trials.iter().filter(move |t| t.stage == stage)
    }
}

impl<T: Scalar> fmt::Display for LrSearchReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let accuracy = |a: Option<f64>| match a {
            Some(a) => alloc::format!("{:.1}%", 100.0 * a),
            None => alloc::string::String::from("-"),
        };
        writeln!(
            f,
            "{:<6}  {:>10}  {:>6}  {:>10}  {:>10}  {:>8}  note",
            "stage", "lr", "epochs", "train loss", "val loss", "val acc"
        )?;
        writeln!(
            f,
            "{:<6}  {:>10}  {:>6}  {:>10.4}  {:>10.4}  {:>8}  the network before training, {} rows",
            "start",
            "-",
            0,
            self.start_train_loss.to_f64(),
            self.start_validation.loss.to_f64(),
            accuracy(self.start_validation.accuracy),
            self.rows
        )?;
        for (i, t) in self.trials.iter().enumerate() {
            write!(
                f,
                "{:<6}  {:>10.3e}  {:>6}  {:>10.4}  {:>10.4}  {:>8}",
                t.stage,
                t.lr.to_f64(),
                t.epochs,
                t.train_loss.to_f64(),
                t.validation_loss.to_f64(),
                accuracy(t.validation_accuracy)
            )?;
            if t.diverged {
                f.write_str("  diverged")?;
            } else if self.best == Some(i) {
                f.write_str("  picked")?;
            }
            writeln!(f)?;
        }
        match self.best_lr() {
            Some(lr) => write!(
                f,
                "picked lr {:.3e}: the lowest validation loss",
                lr.to_f64()
            ),
            None => f.write_str("no rate picked: every run diverged"),
        }
    }
}
