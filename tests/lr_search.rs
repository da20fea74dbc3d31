//! The learning-rate search on a small synthetic problem: three Gaussian blobs in 2-D,
//! classified by a 16-unit ReLU network trained with SGD.

mod blobs;
use blobs::blobs;

use rand::{rngs::StdRng, SeedableRng};
use typenet::prelude::*;
use typenet::train::{LrSearch, LrSearchReport, LrTrial, Stage};

network! {
    struct Blob { input: 2, hidden: dense(16), relu, dense(3), loss: softmax_cross_entropy }
}

/// The default coarse grid, with 1e3 in front to show a run that diverges.
const COARSE: [f64; 6] = [1e3, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5];

struct Problem {
    train: (Vec<[f32; 2]>, Vec<usize>),
    validation: (Vec<[f32; 2]>, Vec<usize>),
    net: Blob,
}

fn problem() -> Problem {
    Problem {
        train: blobs(600, 0.5, 1),
        validation: blobs(300, 0.5, 2),
        net: Blob::new(&mut StdRng::seed_from_u64(3)),
    }
}

fn search() -> LrSearch<16> {
    LrSearch::<16>::new()
        .with_coarse_rates(&COARSE)
        .unwrap()
        .with_subset(300)
        .unwrap()
}

fn run(p: &Problem, search: &LrSearch<16>) -> LrSearchReport<f32> {
    let train = Samples::new(&p.train.0, &p.train.1).unwrap();
    let validation = Samples::new(&p.validation.0, &p.validation.1).unwrap();
    search
        .run(
            &p.net,
            train,
            validation,
            &mut StdRng::seed_from_u64(4),
            Sgd::new,
        )
        .unwrap()
}

fn trial(report: &LrSearchReport<f32>, lr: f64) -> LrTrial<f32> {
    *report
        .trials
        .iter()
        .find(|t| (f64::from(t.lr) / lr - 1.0).abs() < 1e-6)
        .unwrap_or_else(|| panic!("no trial at {lr}"))
}

#[test]
fn the_default_grid_is_five_decades_then_four_rates_a_decade_half_a_decade_out() {
    let search = LrSearch::<16>::new();
    assert_eq!(search.coarse_rates(), [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]);
    assert_eq!(
        (search.fine_per_decade(), search.fine_half_width()),
        (4, 0.5)
    );
    assert_eq!((search.epochs(), search.subset()), (5, None));
    assert_eq!(search.divergence_factor(), 4.0);
    let fine = search.fine_rates(1e-2);
    let expected = [0.5, 0.25, -0.25, -0.5].map(|k| 1e-2 * 10f64.powf(k));
    assert_eq!(fine.len(), 4);
    for (r, e) in fine.iter().zip(expected) {
        assert!((r / e - 1.0).abs() < 1e-12, "{fine:?}");
    }
}

#[test]
fn settings_are_checked_when_set() {
    let s = LrSearch::<16>::new();
    let name = |r: Result<LrSearch<16>, InvalidHyperParameter>| r.unwrap_err().name;
    assert_eq!(
        name(s.clone().with_coarse_rates(&[])),
        "number of coarse rates"
    );
    assert_eq!(
        name(s.clone().with_coarse_rates(&[1e-2, f64::NAN])),
        "learning rate"
    );
    assert_eq!(name(s.clone().with_coarse_rates(&[-1e-2])), "learning rate");
    assert_eq!(name(s.clone().with_epochs(0)), "epochs");
    assert_eq!(name(s.clone().with_subset(0)), "subset's rows");
    assert_eq!(
        name(s.clone().with_divergence_factor(1.0)),
        "divergence factor"
    );
    assert_eq!(
        name(s.clone().with_fine_grid(4, -0.5)),
        "fine grid's half width (decades)"
    );
    // No fine stage: a rate per decade of 0, or a width under one step.
    assert!(s
        .clone()
        .with_fine_grid(0, 0.5)
        .unwrap()
        .fine_rates(0.1)
        .is_empty());
    assert!(s.with_fine_grid(4, 0.2).unwrap().fine_rates(0.1).is_empty());
}

#[test]
fn coarse_then_fine_on_gaussian_blobs() {
    let p = problem();
    let before = p.net.clone();
    let search = search();
    let report = run(&p, &search);
    println!("{report}");
    assert_eq!(
        p.net.as_flat(),
        before.as_flat(),
        "the starting network is left as it was"
    );
    assert_eq!(report.rows, 300);

    // Every coarse rate, then the four fine ones.
    let coarse: Vec<f64> = report
        .stage(Stage::Coarse)
        .map(|t| f64::from(t.lr))
        .collect();
    assert_eq!(coarse.len(), COARSE.len());
    for (r, c) in coarse.iter().zip(COARSE) {
        assert!((r / c - 1.0).abs() < 1e-6);
    }
    assert_eq!(report.stage(Stage::Fine).count(), 4);
    assert_eq!(report.trials.len(), 10);

    // 1e3 diverges (and is not an error); every other rate runs its 5 epochs.
    assert!(trial(&report, 1e3).diverged, "{report}");
    for t in report.trials.iter().skip(1) {
        assert!(!t.diverged && t.epochs == 5, "{t:?}");
    }

    // 1e-5 barely moves the loss: within 1 % of where it started, on both sets.
    let slow = trial(&report, 1e-5);
    let moved = |end: f32, start: f32| ((end - start) / start).abs();
    assert!(
        moved(slow.train_loss, report.start_train_loss) < 0.01,
        "{slow:?}"
    );
    assert!(
        moved(slow.validation_loss, report.start_validation.loss) < 0.01,
        "{slow:?}"
    );
    // Loss falls as the rate grows through the coarse grid, to 1e-1, the coarse winner.
    let losses: Vec<f32> = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
        .map(|lr| trial(&report, lr).validation_loss)
        .to_vec();
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    let coarse_winner = report
        .stage(Stage::Coarse)
        .filter(|t| !t.diverged)
        .min_by(|a, b| a.validation_loss.total_cmp(&b.validation_loss))
        .unwrap();
    assert_eq!(f64::from(coarse_winner.lr), f64::from(1e-1f32));

    // The fine grid lies within half a decade of the coarse winner, on both sides.
    let center = f64::from(coarse_winner.lr);
    let fine: Vec<f64> = report.stage(Stage::Fine).map(|t| f64::from(t.lr)).collect();
    for (r, e) in fine.iter().zip(search.fine_rates(center)) {
        assert!((r / e - 1.0).abs() < 1e-6, "{fine:?}");
    }
    assert!(fine.iter().any(|&r| r > center) && fine.iter().any(|&r| r < center));
    assert!(fine
        .iter()
        .all(|&r| (r / center).log10().abs() <= 0.5 + 1e-6 && r != center));

    // The pick is the lowest validation loss among the runs that did not diverge.
    let argmin = (0..report.trials.len())
        .filter(|&i| !report.trials[i].diverged)
        .min_by(|&a, &b| {
            report.trials[a]
                .validation_loss
                .total_cmp(&report.trials[b].validation_loss)
        });
    assert_eq!(report.best, argmin);
    let best = report.best_trial().unwrap();
    assert_eq!(report.best_lr(), Some(best.lr));
    assert!(best.validation_loss <= coarse_winner.validation_loss);
    assert!(best.validation_accuracy.unwrap() > 0.8, "{best:?}");

    let table = report.to_string();
    assert_eq!(table.lines().count(), 2 + 10 + 1, "{table}");
    assert_eq!(table.matches("diverged").count(), 1, "{table}");
    assert_eq!(table.matches("  picked").count(), 1, "{table}");
}

#[test]
fn every_rate_starts_from_the_same_network_and_order() {
    // The same rate twice: two identical runs, to the last bit.
    let p = problem();
    let search = LrSearch::<16>::new()
        .with_coarse_rates(&[0.05, 0.05])
        .unwrap()
        .with_fine_grid(0, 0.0)
        .unwrap()
        .with_epochs(2)
        .unwrap();
    let report = run(&p, &search);
    assert_eq!(report.trials.len(), 2);
    let (a, b) = (report.trials[0], report.trials[1]);
    assert_eq!(
        (a.train_loss, a.validation_loss, a.validation_accuracy),
        (b.train_loss, b.validation_loss, b.validation_accuracy)
    );
    assert_eq!(report.best, Some(0), "the first of equals");
}

#[test]
fn when_every_rate_diverges_nothing_is_picked() {
    let p = problem();
    let search = LrSearch::<16>::new().with_coarse_rates(&[1e3]).unwrap();
    let report = run(&p, &search);
    assert_eq!(
        report.trials.len(),
        1,
        "no fine grid without a coarse winner"
    );
    assert!(report.trials[0].diverged);
    assert_eq!((report.best, report.best_lr()), (None, None));
    assert!(report
        .to_string()
        .ends_with("no rate picked: every run diverged"));
}

#[test]
fn a_finite_run_whose_loss_ends_over_the_factor_diverged() {
    // SGD at 30 keeps every value finite, but its loss ends far above where it started.
    let p = problem();
    let search = |factor: f64| {
        LrSearch::<16>::new()
            .with_coarse_rates(&[30.0, 1e-1])
            .unwrap()
            .with_fine_grid(0, 0.0)
            .unwrap()
            .with_subset(300)
            .unwrap()
            .with_divergence_factor(factor)
            .unwrap()
    };
    let report = run(&p, &search(4.0));
    let fast = report.trials[0];
    assert_eq!(fast.epochs, 5);
    assert!(
        fast.train_loss.is_finite() && fast.validation_loss.is_finite(),
        "{fast:?}"
    );
    let ratio = fast.train_loss / report.start_train_loss;
    assert!(ratio > 4.0 && fast.diverged, "{report}");
    // The same run, judged with a factor above its ratio: not diverged, and not picked.
    let lenient = run(&p, &search(f64::from(ratio) * 1.01));
    assert_eq!(lenient.trials[0].train_loss, fast.train_loss);
    assert!(!lenient.trials[0].diverged);
    assert_eq!(lenient.best, Some(1));
}

#[test]
fn any_optimizer_through_a_closure() {
    let p = problem();
    let train = Samples::new(&p.train.0, &p.train.1).unwrap();
    let validation = Samples::new(&p.validation.0, &p.validation.1).unwrap();
    let search = LrSearch::<16>::new()
        .with_coarse_rates(&[1e-2, 1e-4])
        .unwrap()
        .with_fine_grid(0, 0.0)
        .unwrap()
        .with_epochs(2)
        .unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let report = search
        .run(&p.net, train, validation, &mut rng, Adam::new)
        .unwrap();
    assert_eq!(report.best_lr(), Some(1e-2), "{report}");

    // A rate the closure refuses is an error, not a diverged run.
    let refused = search.run(&p.net, train, validation, &mut rng, |lr| {
        Momentum::new(lr, 1.5)
    });
    assert!(
        matches!(refused, Err(Error::InvalidHyperParameter(ref e)) if e.name == "momentum"),
        "{refused:?}"
    );
}

#[test]
fn bad_data_is_an_error_before_any_run() {
    let p = problem();
    let train = Samples::new(&p.train.0, &p.train.1).unwrap();
    let search = search();
    let sgd = Sgd::<f32>::new;
    let mut rng = StdRng::seed_from_u64(4);
    let empty = Samples::new(&p.validation.0[..0], &p.validation.1[..0]).unwrap();
    assert_eq!(
        search.run(&p.net, train, empty, &mut rng, sgd),
        Err(Error::Empty {
            what: "validation set"
        })
    );
    let labels: Vec<usize> = (0..300).map(|i| if i == 7 { 5 } else { i % 3 }).collect();
    let bad = Samples::new(&p.validation.0, &labels).unwrap();
    assert_eq!(
        search.run(&p.net, train, bad, &mut rng, sgd),
        Err(Error::LabelOutOfRange {
            index: 7,
            label: 5,
            classes: 3
        })
    );
}
