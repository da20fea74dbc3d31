//! The trainer from outside: every row every epoch, early stopping that restores the best
//! network, errors that name the epoch and step and keep the weights, schedules, clipping,
//! regression, and runs that depend only on their own seed.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typenet::prelude::*;
use typenet::schedule::StepDecay;
use typenet::train::{EpochReport, FitBuffers, Monitor, PerEpoch, Sampler, Samples, Shuffle, Stop};

network! {
    /// Three classes of points in the plane.
    struct Blobs {
        input: 2,
        hidden: dense(16), relu,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The same with batch norm and dropout, whose buffers early stopping must restore.
    struct Regularized {
        input: 2,
        dense(16), batch_norm, relu, dropout(0.1),
        dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// y = (x₀ + x₁, x₀ − x₁) as regression.
    struct Sums {
        input: 2,
        dense(2),
        loss: mean_squared_error,
    }
}

/// `n` points around three centres, labelled by centre, with `noise` spread.
fn blobs(n: usize, noise: f32, seed: u64) -> (Vec<[f32; 2]>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres = [[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]];
    (0..n)
        .map(|i| {
            let c = i % 3;
            let jitter = |rng: &mut StdRng| noise * (rng.random::<f32>() * 2.0 - 1.0);
            let x = [
                centres[c][0] + jitter(&mut rng),
                centres[c][1] + jitter(&mut rng),
            ];
            (x, c)
        })
        .unzip()
}

#[test]
fn fit_keeps_a_history_and_learns() {
    let (x, y) = blobs(100, 0.5, 1);
    let (vx, vy) = blobs(30, 0.5, 2);
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = Blobs::<f32>::new(&mut rng);
    let mut trainer = Trainer::new(Training::<Blobs, _, 8>::new(Sgd::new(0.1).unwrap())).epochs(20);
    let report = trainer
        .fit(
            &mut net,
            Samples::new(&x, &y).unwrap(),
            Some(Samples::new(&vx, &vy).unwrap()),
            &mut rng,
        )
        .unwrap();
    assert_eq!(report.history.len(), 20);
    assert_eq!(report.summary.stop, Stop::Completed);
    assert_eq!(report.summary.kept_epoch, 20);
    let (first, last) = (report.history[0], report.history[19]);
    // 100 rows in batches of 8: 13 steps, the last one topped up.
    assert!(report.history.iter().all(|e| e.steps == 13));
    assert!(
        last.train_loss < first.train_loss / 2.0,
        "{first:?} → {last:?}"
    );
    let validation = last.validation.unwrap();
    assert_eq!(validation.samples, 30);
    assert!(validation.accuracy.unwrap() > 0.95, "{validation:?}");
    assert!(report
        .history
        .iter()
        .all(|e| e.lr == 0.1 && e.grad_norm > 0.0));
    assert!(report.history.iter().all(|e| e.elapsed.is_some()));
    assert_eq!(trainer.training().steps(), 20 * 13);
}

/// Counts how often each row is trained on: a shuffle that asks for every row's loss.
#[derive(Default)]
struct Counting {
    seen: Vec<usize>,
}

impl<Y> Sampler<Y> for Counting {
    fn order<R: rand::Rng + ?Sized>(&mut self, targets: &[Y], order: &mut [usize], rng: &mut R) {
        Shuffle.order(targets, order, rng);
    }
    fn wants_losses(&self) -> bool {
        true
    }
    fn record_loss(&mut self, row: usize, loss: f64) {
        assert!(loss.is_finite() && loss >= 0.0);
        if self.seen.len() <= row {
            self.seen.resize(row + 1, 0);
        }
        self.seen[row] += 1;
    }
}

#[test]
fn every_row_is_trained_on_every_epoch() {
    // 29 rows in batches of 8: 4 steps; the last batch holds 5 rows and 3 topped up.
    let (x, y) = blobs(29, 0.5, 4);
    let mut rng = StdRng::seed_from_u64(5);
    let mut net = Blobs::<f32>::new(&mut rng);
    let mut trainer = Trainer::new(Training::<Blobs, _, 8>::new(Sgd::new(0.05).unwrap()))
        .epochs(1)
        .sampler(Counting::default());
    trainer
        .fit(&mut net, Samples::new(&x, &y).unwrap(), None, &mut rng)
        .unwrap();
    let seen = &trainer.sampler_ref().seen;
    assert_eq!(seen.len(), 29);
    assert!(seen.iter().all(|&n| n == 1 || n == 2), "{seen:?}");
    assert_eq!(seen.iter().sum::<usize>(), 32);
    assert_eq!(seen.iter().filter(|&&n| n == 2).count(), 3);
}

#[test]
fn early_stopping_restores_the_best_epoch_with_its_buffers() {
    // Random labels: the network can only memorize, so the validation loss turns up soon.
    let mut rng = StdRng::seed_from_u64(6);
    let x: Vec<[f32; 2]> = (0..60).map(|_| [rng.random(), rng.random()]).collect();
    let y: Vec<usize> = (0..60).map(|_| rng.random_range(0..3)).collect();
    let (vx, vy) = (x[40..].to_vec(), y[40..].to_vec());
    let (tx, ty) = (&x[..40], &y[..40]);
    let mut net = Regularized::<f32>::new(&mut rng);
    let training = Training::<Regularized, _, 8>::new(Adam::new(0.05).unwrap());
    let mut trainer = Trainer::new(training)
        .epochs(200)
        .early_stopping(EarlyStopping::new(5));
    let report = trainer
        .fit(
            &mut net,
            Samples::new(tx, ty).unwrap(),
            Some(Samples::new(&vx, &vy).unwrap()),
            &mut rng,
        )
        .unwrap();
    let Stop::EarlyStopping {
        epoch,
        best_epoch,
        patience,
    } = report.summary.stop
    else {
        panic!("did not stop early: {:?}", report.summary);
    };
    assert_eq!((epoch, patience), (best_epoch + 5, 5));
    assert_eq!(report.history.len(), epoch);
    assert_eq!(report.summary.kept_epoch, best_epoch);
    let best = report.history[best_epoch - 1].validation.unwrap().loss;
    let min = report
        .history
        .iter()
        .map(|e| e.validation.unwrap().loss)
        .fold(f32::INFINITY, f32::min);
    assert_eq!(best, min);
    // The network now is the best epoch's, running statistics included: its validation
    // loss is that epoch's to the bit.
    let mut cache = RegularizedCache::<8>::zeroed();
    let now = net.evaluate(&vx, &vy, &mut cache).unwrap().loss;
    assert_eq!(now, best);
    assert!(now < report.history[epoch - 1].validation.unwrap().loss);
}

#[test]
fn early_stopping_on_accuracy_and_its_errors() {
    let (x, y) = blobs(60, 0.3, 7);
    let mut rng = StdRng::seed_from_u64(8);
    let mut net = Blobs::<f32>::new(&mut rng);
    let data = Samples::new(&x, &y).unwrap();
    let rule = EarlyStopping::new(3).with_monitor(Monitor::ValidationAccuracy);
    let mut trainer = Trainer::new(Training::<Blobs, _, 4>::new(Sgd::new(0.1).unwrap()))
        .epochs(100)
        .early_stopping(rule);
    // Accuracy reaches 100% and cannot improve any more: three epochs later it stops.
    let report = trainer.fit(&mut net, data, Some(data), &mut rng).unwrap();
    assert!(matches!(report.summary.stop, Stop::EarlyStopping { .. }));
    assert_eq!(
        report.summary.best.unwrap().validation.unwrap().accuracy,
        Some(1.0)
    );
    let message = report.summary.stop.to_string();
    assert!(
        message.starts_with("stopped early after epoch "),
        "{message}"
    );
    // Early stopping needs a validation set.
    let err = trainer.fit(&mut net, data, None, &mut rng).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the validation set that early stopping watches has no rows"
    );
}

#[test]
fn a_nan_stops_training_at_its_epoch_and_step_and_keeps_the_weights() {
    let (mut x, y) = blobs(40, 0.5, 9);
    x[17] = [f32::NAN, 0.0];
    let mut rng = StdRng::seed_from_u64(10);
    let mut net = Blobs::<f32>::new(&mut rng);
    let mut trainer =
        Trainer::new(Training::<Blobs, _, 4>::new(Adam::new(0.01).unwrap())).epochs(3);
    let mut epochs_done = 0;
    let err = trainer
        .fit_with(
            &mut net,
            Samples::new(&x, &y).unwrap(),
            None,
            &mut rng,
            |_| epochs_done += 1,
        )
        .unwrap_err();
    let Error::NonFiniteLoss {
        loss,
        epoch: Some(1),
        step: Some(step),
    } = err
    else {
        panic!("{err:?}");
    };
    assert!(loss.is_nan());
    assert!((1..=10).contains(&step));
    assert_eq!(epochs_done, 0);
    assert_eq!(trainer.training().steps(), step as u64 - 1);
    assert!(err
        .to_string()
        .starts_with(&format!("epoch 1, step {step}: the loss is NaN")));
    assert!(net.params.as_flat().iter().all(|v| v.is_finite()));
}

#[test]
fn labels_are_checked_against_the_network_before_any_step() {
    let (x, mut y) = blobs(20, 0.5, 11);
    y[13] = 3;
    let mut rng = StdRng::seed_from_u64(12);
    let mut net = Blobs::<f32>::new(&mut rng);
    let before = net.clone();
    let mut trainer = Trainer::new(Training::<Blobs, _, 4>::new(Sgd::new(0.1).unwrap()));
    let err = trainer
        .fit(&mut net, Samples::new(&x, &y).unwrap(), None, &mut rng)
        .unwrap_err();
    assert_eq!(
        err,
        Error::LabelOutOfRange {
            index: 13,
            label: 3,
            classes: 3
        }
    );
    assert_eq!(net.as_flat(), before.as_flat());
    assert_eq!(trainer.training().steps(), 0);
    let empty = trainer
        .fit(
            &mut net,
            Samples::new(&x[..0], &y[..0]).unwrap(),
            None,
            &mut rng,
        )
        .unwrap_err();
    assert_eq!(empty.to_string(), "the training set has no rows");
}

/// Trains a fresh network from `seed` and returns its parameters.
fn run(seed: u64, x: &[[f32; 2]], y: &[usize]) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Regularized::<f32>::new(&mut rng);
    let mut trainer =
        Trainer::new(Training::<Regularized, _, 8>::new(Adam::new(0.01).unwrap())).epochs(3);
    trainer
        .fit(&mut net, Samples::new(x, y).unwrap(), None, &mut rng)
        .unwrap();
    net.as_flat().to_vec()
}

#[test]
fn a_run_depends_only_on_its_own_seed() {
    let (x, y) = blobs(50, 0.5, 13);
    let alone = run(3, &x, &y);
    let after_others: Vec<_> = (1..=3).map(|seed| run(seed, &x, &y)).collect();
    assert_eq!(after_others[2], alone);
    assert_ne!(after_others[1], alone);
}

#[test]
fn fit_in_with_lent_buffers_is_fit() {
    let (x, y) = blobs(30, 0.5, 14);
    let (vx, vy) = blobs(12, 0.5, 15);
    let fresh = Regularized::<f32>::new(&mut StdRng::seed_from_u64(16));
    let rule = EarlyStopping::new(2);
    let (mut a, mut b) = (fresh.clone(), fresh.clone());
    let train = Samples::new(&x, &y).unwrap();
    let validation = Some(Samples::new(&vx, &vy).unwrap());
    let report = Trainer::new(Training::<Regularized, _, 4>::new(Sgd::new(0.1).unwrap()))
        .epochs(15)
        .early_stopping(rule)
        .fit(&mut a, train, validation, &mut StdRng::seed_from_u64(17))
        .unwrap();
    let mut order = [0usize; 30];
    let mut best = Regularized::<f32>::zeroed();
    let mut reports: Vec<EpochReport<f32>> = Vec::new();
    let buffers = FitBuffers {
        order: &mut order,
        best: Some(&mut best),
    };
    let summary = Trainer::new(Training::<Regularized, _, 4>::new(Sgd::new(0.1).unwrap()))
        .epochs(15)
        .early_stopping(rule)
        .fit_in(
            &mut b,
            train,
            validation,
            &mut StdRng::seed_from_u64(17),
            buffers,
            |r| reports.push(*r),
        )
        .unwrap();
    let strip = |r: &EpochReport<f32>| EpochReport {
        elapsed: None,
        ..*r
    };
    let best = |s: &typenet::train::FitSummary<f32>| s.best.map(|r| strip(&r));
    assert_eq!(best(&summary), best(&report.summary));
    assert_eq!(
        (summary.epochs, summary.stop, summary.kept_epoch),
        (
            report.summary.epochs,
            report.summary.stop,
            report.summary.kept_epoch
        )
    );
    let (with, without): (Vec<_>, Vec<_>) = (
        report.history.iter().map(strip).collect(),
        reports.iter().map(strip).collect(),
    );
    assert_eq!(with, without);
    assert_eq!(a.as_flat(), b.as_flat());
    // Too short an order buffer is an error, not a panic.
    let mut short = [0usize; 3];
    let err = Trainer::new(Training::<Regularized, _, 4>::new(Sgd::new(0.1).unwrap()))
        .fit_in(
            &mut b,
            train,
            None,
            &mut StdRng::seed_from_u64(1),
            FitBuffers {
                order: &mut short,
                best: None,
            },
            |_| {},
        )
        .unwrap_err();
    assert!(matches!(
        err,
        Error::LengthMismatch {
            left: 3,
            right: 30,
            ..
        }
    ));
}

#[test]
fn schedules_step_per_epoch_per_step_and_on_plateau() {
    let (x, y) = blobs(16, 0.5, 18);
    let data = Samples::new(&x, &y).unwrap();
    let mut rng = StdRng::seed_from_u64(19);
    let mut net = Blobs::<f32>::new(&mut rng);
    let halve = StepDecay::new(0.1, 1, 0.5).unwrap();
    let report = Trainer::new(Training::<Blobs, _, 4>::new(Sgd::new(0.1).unwrap()))
        .epochs(4)
        .schedule_per_epoch(halve.clone())
        .fit(&mut net, data, None, &mut rng)
        .unwrap();
    let rates: Vec<f32> = report.history.iter().map(|e| e.lr).collect();
    assert_eq!(rates, [0.1, 0.05, 0.025, 0.0125]);
    // Per step: 4 steps an epoch, halved after each; an epoch reports its last step's rate.
    let report = Trainer::new(Training::<Blobs, _, 4>::new(Sgd::new(0.1).unwrap()))
        .epochs(2)
        .schedule_per_step(halve.clone())
        .fit(&mut net, data, None, &mut rng)
        .unwrap();
    let rates: Vec<f32> = report.history.iter().map(|e| e.lr).collect();
    assert_eq!(rates, [0.1 / 16.0, 0.1 / 256.0]);
    // On plateau: a learning rate too small to move anything makes every epoch a bad one
    // after the first, so with patience 1 it is cut on the 2nd bad epoch, and again 2 later.
    let plateau = ReduceOnPlateau::new(1e-30)
        .unwrap()
        .with_patience(1)
        .with_factor(0.5)
        .unwrap()
        .with_eps(0.0) // PyTorch skips cuts smaller than eps, 1e-8 by default
        .unwrap();
    let report = Trainer::new(Training::<Blobs, _, 4>::new(Sgd::new(1e-30).unwrap()))
        .epochs(5)
        .reduce_on_plateau(plateau)
        .fit(&mut net, data, Some(data), &mut rng)
        .unwrap();
    let rates: Vec<f32> = report.history.iter().map(|e| e.lr).collect();
    assert_eq!(rates, [1e-30, 1e-30, 1e-30, 5e-31, 5e-31]);
    let _ = PerEpoch(halve);
}

#[test]
fn clipping_bounds_every_update() {
    let (x, y) = blobs(16, 0.5, 20);
    let mut rng = StdRng::seed_from_u64(21);
    let mut net = Blobs::<f32>::new(&mut rng);
    let before = net.clone();
    let training = Training::<Blobs, _, 16>::new(Sgd::new(1.0).unwrap())
        .clip_grad_norm(1e-3)
        .unwrap();
    let mut trainer = Trainer::new(training).epochs(1);
    let report = trainer
        .fit(&mut net, Samples::new(&x, &y).unwrap(), None, &mut rng)
        .unwrap();
    // One step of SGD at rate 1 with the gradient clipped to norm 1e-3 moves the parameters
    // by at most 1e-3, while the norm before clipping was far larger.
    let moved: f32 = net
        .params
        .as_flat()
        .iter()
        .zip(before.params.as_flat())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f32>()
        .sqrt();
    assert!(moved <= 1.001e-3, "{moved}");
    assert!(report.history[0].grad_norm > 0.01);
    assert!(Training::<Blobs, _, 16>::new(Sgd::new(1.0).unwrap())
        .clip_grad_value(-1.0)
        .is_err());
}

#[test]
fn regression_trains_on_target_rows() {
    let mut rng = StdRng::seed_from_u64(22);
    let x: Vec<[f32; 2]> = (0..64).map(|_| [rng.random(), rng.random()]).collect();
    let y: Vec<[f32; 2]> = x.iter().map(|&[a, b]| [a + b, a - b]).collect();
    let mut net = Sums::<f32>::new(&mut rng);
    let report = Trainer::new(Training::<Sums, _, 8>::new(Adam::new(0.05).unwrap()))
        .epochs(60)
        .fit(
            &mut net,
            Samples::new(&x, &y).unwrap(),
            Some(Samples::new(&x, &y).unwrap()),
            &mut rng,
        )
        .unwrap();
    let last = report.history.last().unwrap().validation.unwrap();
    assert_eq!(last.accuracy, None);
    assert!(last.loss < 1e-4, "{last:?}");
}
