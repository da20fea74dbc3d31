//! Reduce-on-plateau: cuts the learning rate when a validation metric stops improving, as
//! PyTorch's `ReduceLROnPlateau`.

use super::apply;
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::validate::{self, check};

/// Multiplies the learning rate by a factor when a validation metric has not improved for
/// more than `patience` epochs: `torch.optim.lr_scheduler.ReduceLROnPlateau`, with its
/// semantics and its defaults (mode `'min'`, factor 0.1, patience 10, threshold 10⁻⁴
/// relative, cooldown 0, min_lr 0, eps 10⁻⁸).
///
/// At each [`step_with`](ReduceOnPlateau::step_with)`(metric)`, once per epoch:
///
/// 1. The metric improves on the best so far if it is below best·(1 − threshold) (or
///    best − threshold with [`Threshold::Absolute`]; above best·(1 + threshold) or
///    best + threshold after [`maximize`](ReduceOnPlateau::maximize)). The first metric
///    always improves. An improvement becomes the best and clears the count of bad epochs;
///    anything else, NaN included, is one more bad epoch.
/// 2. During a cooldown, the epoch counts down the cooldown and bad epochs are not counted.
/// 3. On the bad epoch after `patience` of them (the (patience + 1)-th), the rate becomes
///    max(rate·factor, min_lr), unless that lowers it by eps or less; either way the count
///    of bad epochs starts again from 0 and a cooldown of `cooldown` epochs begins.
///
/// The best value is kept in `f64`, as PyTorch keeps it in a Python float; the metric is
/// converted exactly. The rate is kept in `f64` too, as for every schedule
/// ([the module](super)). This is not a [`Schedule`](super::Schedule): it needs the metric
/// at each step.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// use typenet_core::schedule::ReduceOnPlateau;
/// let mut sgd = Sgd::new(0.1f32)?;
/// let mut schedule = ReduceOnPlateau::new(sgd.lr())?.with_patience(1);
/// for validation_loss in [1.0, 0.9, 0.95, 0.92, 0.91] {
///     // … train one epoch with `sgd`, then evaluate …
///     schedule.step_with(validation_loss);
///     schedule.apply(&mut sgd)?;
/// }
/// // 0.95 and 0.92 were the bad epochs after the best, 0.9: cut to 0.1·0.1 after 0.92.
/// assert_eq!(sgd.lr(), 0.01);
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceOnPlateau<T = f32> {
    factor: f64,
    patience: u64,
    threshold: Threshold,
    maximize: bool,
    cooldown: u64,
    min_lr: T,
    eps: f64,
    /// The current rate, in `f64` as PyTorch's Python float.
    lr: f64,
    /// The best metric so far: +∞ (−∞ when maximizing) before the first.
    best: f64,
    bad_epochs: u64,
    cooldown_left: u64,
}

/// How much better than the best so far a metric must be to count as an improvement.
///
/// ```
/// use typenet_core::schedule::{ReduceOnPlateau, Threshold};
/// let mut schedule = ReduceOnPlateau::new(0.1f64)?.with_threshold(Threshold::Absolute(0.01))?;
/// schedule.step_with(1.0);
/// schedule.step_with(0.995); // not 0.01 lower: a bad epoch
/// assert_eq!((schedule.best(), schedule.bad_epochs()), (1.0, 1));
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// Better than best·(1 − t) (best·(1 + t) when maximizing): PyTorch's `'rel'`, the
    /// default, with t = 10⁻⁴.
    Relative(f64),
    /// Better than best − t (best + t when maximizing): PyTorch's `'abs'`.
    Absolute(f64),
}

impl<T: Scalar> ReduceOnPlateau<T> {
    /// Starts at `lr` (finite, greater than 0) with PyTorch's defaults: minimizes the metric,
    /// factor 0.1, patience 10, a relative threshold of 10⁻⁴, no cooldown, min_lr 0 and eps
    /// 10⁻⁸.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        Ok(Self {
            factor: 0.1,
            patience: 10,
            threshold: Threshold::Relative(1e-4),
            maximize: false,
            cooldown: 0,
            min_lr: T::ZERO,
            eps: 1e-8,
            lr: lr.to_f64(),
            best: f64::INFINITY,
            bad_epochs: 0,
            cooldown_left: 0,
        })
    }

    /// The same schedule multiplying the rate by `factor`, in (0, 1), at each cut.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// assert!(ReduceOnPlateau::new(0.1f32)?.with_factor(0.5).is_ok());
    /// assert_eq!(ReduceOnPlateau::new(0.1f32)?.with_factor(1.0).unwrap_err().name, "factor");
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_factor(self, factor: f64) -> Result<Self, InvalidHyperParameter> {
        let ok = factor > 0.0 && factor < 1.0;
        check("factor", factor, ok, "a number in (0, 1)")?;
        Ok(Self { factor, ..self })
    }

    /// The same schedule cutting on the bad epoch after `patience` of them (0 cuts on the
    /// first).
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(1.0f64)?.with_patience(0);
    /// schedule.step_with(1.0);
    /// assert!(schedule.step_with(1.0)); // no improvement: cut at once
    /// assert_eq!(schedule.lr(), 0.1);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_patience(self, patience: u64) -> Self {
        Self { patience, ..self }
    }

    /// The same schedule with another threshold, whose value must be finite and at least 0.
    ///
    /// ```
    /// use typenet_core::schedule::{ReduceOnPlateau, Threshold};
    /// let schedule = ReduceOnPlateau::new(0.1f32)?;
    /// assert!(schedule.clone().with_threshold(Threshold::Relative(1e-3)).is_ok());
    /// assert!(schedule.with_threshold(Threshold::Absolute(-1.0)).is_err());
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_threshold(self, threshold: Threshold) -> Result<Self, InvalidHyperParameter> {
        let (Threshold::Relative(value) | Threshold::Absolute(value)) = threshold;
        validate::finite_non_negative("threshold", value)?;
        Ok(Self { threshold, ..self })
    }

    /// The same schedule for a metric to maximize, such as an accuracy: PyTorch's
    /// `mode='max'`. It forgets the best metric so far; call it before the first
    /// [`step_with`](ReduceOnPlateau::step_with).
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(0.1f64)?.maximize();
    /// schedule.step_with(0.5);
    /// schedule.step_with(0.75);
    /// assert_eq!((schedule.best(), schedule.bad_epochs()), (0.75, 0));
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn maximize(self) -> Self {
        Self {
            maximize: true,
            best: f64::NEG_INFINITY,
            ..self
        }
    }

    /// The same schedule waiting `cooldown` epochs after each cut before it counts bad
    /// epochs again.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(1.0f64)?.with_patience(0).with_cooldown(1);
    /// schedule.step_with(1.0);
    /// assert!(schedule.step_with(2.0)); // cut, then one epoch of cooldown
    /// assert!(!schedule.step_with(2.0)); // bad, but not counted
    /// assert!(schedule.step_with(2.0)); // counted: cut
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_cooldown(self, cooldown: u64) -> Self {
        Self { cooldown, ..self }
    }

    /// The same schedule never cutting the rate below `min_lr`, finite and at least 0.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(1.0f64)?.with_patience(0).with_min_lr(0.5)?;
    /// schedule.step_with(1.0);
    /// schedule.step_with(1.0);
    /// assert_eq!(schedule.lr(), 0.5); // max(1·0.1, 0.5)
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_min_lr(self, min_lr: T) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("min_lr", min_lr)?;
        Ok(Self { min_lr, ..self })
    }

    /// The same schedule ignoring any cut that would lower the rate by `eps` or less; `eps`
    /// must be finite and at least 0.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(1e-8f64)?.with_patience(0).with_eps(1e-8)?;
    /// schedule.step_with(1.0);
    /// assert!(!schedule.step_with(1.0)); // 1e-8 → 1e-9 lowers it by less than eps
    /// assert_eq!(schedule.lr(), 1e-8);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_eps(self, eps: f64) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("eps", eps)?;
        Ok(Self { eps, ..self })
    }

    /// Counts one epoch whose validation metric is `metric`, and cuts the rate if the metric
    /// has not improved for more than `patience` epochs (see [`ReduceOnPlateau`]). Returns
    /// whether it cut.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(0.1f32)?.with_patience(2);
    /// let cuts = [1.0, 1.0, 1.0, 1.0].map(|loss| schedule.step_with(loss));
    /// assert_eq!(cuts, [false, false, false, true]);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn step_with(&mut self, metric: T) -> bool {
        let metric = metric.to_f64(); // float(metrics)
        if self.is_better(metric) {
            self.best = metric;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs = self.bad_epochs.saturating_add(1);
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0; // bad epochs in a cooldown are not counted
        }
        if self.bad_epochs <= self.patience {
            return false;
        }
        self.cooldown_left = self.cooldown;
        self.bad_epochs = 0;
        // _reduce_lr: new_lr = max(old_lr·factor, min_lr), kept only if old − new > eps
        let reduced = f64::max(self.lr * self.factor, self.min_lr.to_f64());
        let cut = self.lr - reduced > self.eps;
        if cut {
            self.lr = reduced;
        }
        cut
    }

    /// Whether `metric` improves on the best so far, by the threshold (PyTorch's
    /// `_is_better`). False for NaN.
    fn is_better(&self, metric: f64) -> bool {
        match (self.maximize, self.threshold) {
            (false, Threshold::Relative(t)) => metric < self.best * (1.0 - t),
            (false, Threshold::Absolute(t)) => metric < self.best - t,
            (true, Threshold::Relative(t)) => metric > self.best * (t + 1.0),
            (true, Threshold::Absolute(t)) => metric > self.best + t,
        }
    }

    /// The learning rate for the coming epoch.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// assert_eq!(ReduceOnPlateau::new(0.1f32)?.lr(), 0.1);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn lr(&self) -> T {
        T::from_f64(self.lr)
    }

    /// Sets the optimizer's learning rate to [`lr`](ReduceOnPlateau::lr), as
    /// [`Schedule::apply`](super::Schedule::apply) does.
    ///
    /// # Errors
    /// Whatever the optimizer's [`set_lr`](Optimizer::set_lr) rejects.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, Sgd};
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut sgd = Sgd::new(1.0f32)?;
    /// ReduceOnPlateau::new(0.1f32)?.apply(&mut sgd)?;
    /// assert_eq!(sgd.lr(), 0.1);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn apply<O: Optimizer<T>>(&self, optimizer: &mut O) -> Result<(), InvalidHyperParameter> {
        apply(self.lr(), optimizer)
    }

    /// The best metric so far: +∞ before the first (−∞ when maximizing).
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(0.1f32)?;
    /// assert_eq!(schedule.best(), f64::INFINITY);
    /// schedule.step_with(0.5);
    /// assert_eq!(schedule.best(), 0.5);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn best(&self) -> f64 {
        self.best
    }

    /// The bad epochs counted since the last improvement or cut.
    ///
    /// ```
    /// use typenet_core::schedule::ReduceOnPlateau;
    /// let mut schedule = ReduceOnPlateau::new(0.1f32)?;
    /// schedule.step_with(0.5);
    /// schedule.step_with(0.6);
    /// assert_eq!(schedule.bad_epochs(), 1);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn bad_epochs(&self) -> u64 {
        self.bad_epochs
    }
}

/// A checkpoint keeps the current rate (`lr`), the best metric (`best`), the bad epochs
/// counted (`num_bad_epochs`) and the cooldown left (`cooldown_counter`), under PyTorch's
/// names.
impl<T: Scalar> Resume for ReduceOnPlateau<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("lr"), Number::F64(self.lr));
        visit(Key::new("best"), Number::F64(self.best));
        visit(Key::new("num_bad_epochs"), Number::Integer(self.bad_epochs));
        visit(
            Key::new("cooldown_counter"),
            Number::Integer(self.cooldown_left),
        );
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.segments() {
            ["lr"] => self.lr = super::restored_lr(value)?,
            ["best"] => {
                let not_nan = |x: f64| !x.is_nan();
                self.best = crate::io::float("best", value, not_nan, "a number or ±∞")?;
            }
            ["num_bad_epochs"] => self.bad_epochs = crate::io::count("num_bad_epochs", value)?,
            ["cooldown_counter"] => {
                self.cooldown_left = crate::io::count("cooldown_counter", value)?;
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Sgd;

    /// The rate after each of `metrics`, from a schedule that starts at 1.
    fn run<const N: usize>(mut schedule: ReduceOnPlateau<f64>, metrics: [f64; N]) -> [f64; N] {
        metrics.map(|m| {
            schedule.step_with(m);
            schedule.lr()
        })
    }

    fn halving(patience: u64) -> ReduceOnPlateau<f64> {
        let schedule = ReduceOnPlateau::new(1.0).unwrap().with_factor(0.5).unwrap();
        schedule.with_patience(patience)
    }

    #[test]
    fn cuts_on_the_bad_epoch_after_patience_then_counts_again() {
        let lrs = run(halving(2), [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]);
        assert_eq!(lrs, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn an_improvement_clears_the_count() {
        let lrs = run(halving(1), [1.0, 2.0, 0.5, 2.0, 2.0]);
        assert_eq!(lrs, [1.0, 1.0, 1.0, 1.0, 0.5]);
    }

    #[test]
    fn an_improvement_below_the_threshold_is_a_bad_epoch() {
        // 1 − 5e-5 is not below 1·(1 − 1e-4); 1 − 2e-4 is.
        let mut schedule = halving(0);
        schedule.step_with(1.0);
        assert!(schedule.step_with(1.0 - 5e-5));
        assert_eq!(schedule.best(), 1.0);
        assert!(!schedule.step_with(1.0 - 2e-4));
        assert_eq!(schedule.best(), 1.0 - 2e-4);
        // With an absolute threshold of 0.1, 0.95 is not enough and 0.85 is.
        let threshold = Threshold::Absolute(0.1);
        let mut schedule = halving(5).with_threshold(threshold).unwrap();
        schedule.step_with(1.0);
        schedule.step_with(0.95);
        assert_eq!((schedule.best(), schedule.bad_epochs()), (1.0, 1));
        schedule.step_with(0.85);
        assert_eq!((schedule.best(), schedule.bad_epochs()), (0.85, 0));
    }

    #[test]
    fn bad_epochs_in_a_cooldown_are_not_counted() {
        let schedule = halving(1).with_cooldown(2);
        // Cut at the third epoch; the next two are cooldown; then two more bad ones.
        let lrs = run(schedule, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]);
        assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn an_improvement_in_a_cooldown_counts() {
        let mut schedule = halving(0).with_cooldown(3);
        schedule.step_with(1.0);
        assert!(schedule.step_with(1.0));
        schedule.step_with(0.5);
        assert_eq!(schedule.best(), 0.5);
    }

    #[test]
    fn min_lr_clamps_and_eps_ignores_tiny_cuts() {
        let schedule = halving(0).with_min_lr(0.3).unwrap();
        let lrs = run(schedule, [1.0, 1.0, 1.0, 1.0]);
        assert_eq!(lrs, [1.0, 0.5, 0.3, 0.3]);
        // A cut of 0.25 is not more than eps = 0.25: ignored, and every later one too.
        let schedule = halving(0).with_eps(0.25).unwrap();
        let lrs = run(schedule, [1.0, 1.0, 1.0, 1.0]);
        assert_eq!(lrs, [1.0, 0.5, 0.5, 0.5]);
    }

    #[test]
    fn maximizes_on_request() {
        let schedule = halving(0).maximize();
        let lrs = run(schedule, [0.5, 0.75, 0.75, 0.8]);
        assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5]);
        let schedule = halving(0).maximize();
        let schedule = schedule.with_threshold(Threshold::Absolute(0.1)).unwrap();
        let lrs = run(schedule, [0.5, 0.55, 0.7]);
        assert_eq!(lrs, [1.0, 0.5, 0.5]);
    }

    #[test]
    fn nan_is_a_bad_epoch() {
        let lrs = run(halving(0), [1.0, f64::NAN]);
        assert_eq!(lrs, [1.0, 0.5]);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        let err = ReduceOnPlateau::new(0.0f64).unwrap_err();
        assert_eq!(err.name, "learning rate");
        let schedule = ReduceOnPlateau::new(0.1f64).unwrap();
        for factor in [1.0, 0.0, -0.5, 2.0, f64::NAN] {
            let err = schedule.clone().with_factor(factor).unwrap_err();
            assert_eq!((err.name, err.expected), ("factor", "a number in (0, 1)"));
        }
        for value in [-1e-4, f64::NAN, f64::INFINITY] {
            for threshold in [Threshold::Relative(value), Threshold::Absolute(value)] {
                let err = schedule.clone().with_threshold(threshold).unwrap_err();
                assert_eq!(err.name, "threshold");
            }
            assert_eq!(
                schedule.clone().with_min_lr(value).unwrap_err().name,
                "min_lr"
            );
            assert_eq!(schedule.clone().with_eps(value).unwrap_err().name, "eps");
        }
    }

    #[test]
    fn per_epoch_with_an_optimizer() {
        let mut sgd = Sgd::new(0.5f32).unwrap();
        let mut schedule = ReduceOnPlateau::new(sgd.lr())
            .unwrap()
            .with_factor(0.5)
            .unwrap()
            .with_patience(0);
        let mut p = [0.0f32];
        for loss in [1.0, 1.0, 1.0] {
            sgd.step(&mut p, &[-1.0], &mut []);
            schedule.step_with(loss);
            schedule.apply(&mut sgd).unwrap();
        }
        // The first loss sets the best; each later one is a bad epoch, and a cut.
        assert_eq!(p, [1.25]); // 0.5 + 0.5 + 0.25
        assert_eq!(sgd.lr(), 0.125);
    }
}
