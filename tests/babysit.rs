//! The babysitting checks on real networks: the initial loss against ln(classes),
//! overfitting a tiny subset with and without regularization, update ratios and gradient
//! norms per tensor, and dead ReLU units.

mod blobs;
use blobs::blobs;

use rand::{rngs::StdRng, SeedableRng};
use typenet::optim::WeightDecay;
use typenet::prelude::*;
use typenet::train::{
    dead_relus, grad_norms, initial_loss, initial_loss_with, overfit_tiny_subset,
    overfit_tiny_subset_in, update_ratios, visit_dead_relus, visit_grad_norms, visit_update_ratios,
    DeadUnits, Health,
};

network! {
    /// The classifier most tests train: 2 inputs, 16 ReLU units, 3 classes.
    struct Blob { input: 2, hidden: dense(16), relu, dense(3), loss: softmax_cross_entropy }
}

network! {
    /// `Blob` with dropout after its hidden layer.
    struct Dropped {
        input: 2,
        hidden: dense(16), relu, dropout(0.5),
        dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Two ReLU layers, one unnamed (`relu1`) and one labelled (`act`).
    struct TwoRelu {
        input: 2,
        hidden: dense(4), relu,
        dense(3), act: relu,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

#[test]
fn a_zero_network_scores_exactly_ln_classes() {
    let net = Blob::<f64>::zeroed();
    let x = [[0.3, -1.0], [2.0, 0.5], [-0.7, 0.1]];
    let start = initial_loss(&net, Samples::new(&x, &[0, 2, 1]).unwrap()).unwrap();
    assert!((start.expected - 3f64.ln()).abs() < 1e-15);
    // Every output is 0, so every class gets 1/3 and the loss is ln 3.
    assert!((start.loss - 3f64.ln()).abs() < 1e-15, "{start:?}");
    assert!((start.ratio - 1.0).abs() < 1e-15);
    assert!(start.is_plausible(1e-12));
}

#[test]
fn an_initial_loss_computed_by_hand() {
    // Zero weights and output biases (ln 2, 0, 0): the probabilities are (1/2, 1/4, 1/4)
    // for every row, so a row of class 0 costs ln 2 and one of class 1 costs ln 4.
    let mut net = Blob::<f64>::zeroed();
    net.load_tensor("dense2.bias", &[2f64.ln(), 0.0, 0.0])
        .unwrap();
    let x = [[1.0, 2.0], [-3.0, 0.5]];
    let start = initial_loss(&net, Samples::new(&x, &[0, 1]).unwrap()).unwrap();
    let loss = 1.5 * 2f64.ln();
    assert!((start.loss - loss).abs() < 1e-12, "{start:?}");
    assert!((start.ratio - loss / 3f64.ln()).abs() < 1e-12); // 0.946
    assert!(start.is_plausible(0.06));
    assert!(!start.is_plausible(0.05));
    assert!(!start.is_plausible(f64::NAN));

    // In batches of 2 with a cache: the same loss.
    let mut cache = <BlobCache<2, f64> as Flat<f64>>::zeroed();
    let batched = initial_loss_with(&net, Samples::new(&x, &[0, 1]).unwrap(), &mut cache).unwrap();
    assert!((batched.loss - loss).abs() < 1e-12);
}

#[test]
fn a_fresh_network_starts_near_chance() {
    let (x, y) = blobs(300, 0.4, 1);
    let net = Blob::<f32>::new(&mut StdRng::seed_from_u64(2));
    let start = initial_loss(&net, Samples::new(&x, &y).unwrap()).unwrap();
    assert!(start.is_plausible(0.25), "{start:?}");
    // Scaling the last layer's weights by 30 makes the network confident at random, far
    // from chance, which is what the check is for.
    let mut loud = net.clone();
    let w: Vec<f32> = loud
        .tensor("dense2.weight")
        .unwrap()
        .iter()
        .map(|w| 30.0 * w)
        .collect();
    loud.load_tensor("dense2.weight", &w).unwrap();
    let start = initial_loss(&loud, Samples::new(&x, &y).unwrap()).unwrap();
    assert!(!start.is_plausible(0.25), "{start:?}");
    assert!(start.ratio > 2.0, "{start:?}");
}

#[test]
fn initial_loss_reports_bad_data() {
    let net = Blob::<f32>::zeroed();
    let x = [[0.0f32; 2]; 3];
    assert_eq!(
        initial_loss(&net, Samples::new(&x, &[0, 1, 3]).unwrap()),
        Err(Error::LabelOutOfRange {
            index: 2,
            label: 3,
            classes: 3
        })
    );
    assert!(matches!(
        initial_loss(&net, Samples::new(&x[..0], &[]).unwrap()),
        Err(Error::Empty { .. })
    ));
}

/// The first 20 rows of overlapping blobs, which only memorization gets all right.
fn tiny() -> (Vec<[f32; 2]>, Vec<usize>) {
    blobs(20, 0.8, 3)
}

#[test]
fn a_tiny_subset_is_memorized_without_regularization() {
    let (x, y) = blobs(200, 0.8, 3);
    let data = Samples::new(&x, &y).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let mut net = Blob::<f32>::new(&mut rng);
    let mut trainer =
        Trainer::new(Training::<Blob, _, 4>::new(Adam::new(0.05).unwrap())).epochs(300);
    let run = overfit_tiny_subset(&mut trainer, &mut net, data, 20, &mut rng).unwrap();
    assert_eq!(
        (run.rows, run.epochs, run.evaluation.samples),
        (20, 300, 20)
    );
    assert!(run.first_loss > 0.5, "{run:?}");
    assert!(run.final_loss < 0.05, "{run:?}");
    assert!(run.memorized(0.05), "{run:?}");
    // Only the first 20 rows were trained on: the rest are not all right.
    let rest = net
        .evaluate(
            &x[20..],
            &y[20..],
            &mut <BlobCache<4> as Flat<f32>>::zeroed(),
        )
        .unwrap();
    assert!(rest.accuracy.unwrap() < 1.0, "{rest:?}");
}

#[test]
fn weight_decay_and_dropout_keep_the_loss_up() {
    let (x, y) = tiny();
    let data = Samples::new(&x, &y).unwrap();
    let plain = {
        let mut rng = StdRng::seed_from_u64(4);
        let mut net = Blob::<f32>::new(&mut rng);
        let mut trainer =
            Trainer::new(Training::<Blob, _, 4>::new(Adam::new(0.05).unwrap())).epochs(300);
        overfit_tiny_subset(&mut trainer, &mut net, data, 20, &mut rng).unwrap()
    };
    let decayed = {
        let mut rng = StdRng::seed_from_u64(4);
        let mut net = Blob::<f32>::new(&mut rng);
        let adam = Adam::new(0.05)
            .unwrap()
            .with_weight_decay(WeightDecay::l2(0.05).unwrap());
        let mut trainer = Trainer::new(Training::<Blob, _, 4>::new(adam)).epochs(300);
        overfit_tiny_subset(&mut trainer, &mut net, data, 20, &mut rng).unwrap()
    };
    let dropped = {
        let mut rng = StdRng::seed_from_u64(4);
        let mut net = Dropped::<f32>::new(&mut rng);
        let mut trainer =
            Trainer::new(Training::<Dropped, _, 4>::new(Adam::new(0.05).unwrap())).epochs(300);
        let mut order = [0; 20];
        overfit_tiny_subset_in(&mut trainer, &mut net, data, 20, &mut rng, &mut order).unwrap()
    };
    println!("plain {plain:?}\ndecayed {decayed:?}\ndropped {dropped:?}");
    assert!(plain.final_loss < 0.01, "{plain:?}");
    assert!(plain.memorized(0.01), "{plain:?}");
    // L2 pulls the weights back towards 0, dropout trains a different half-network each
    // step: neither can reach the memorizing solution.
    assert!(decayed.final_loss > 0.2, "{decayed:?}");
    assert!(!decayed.memorized(0.1), "{decayed:?}");
    assert!(dropped.final_loss > 0.1, "{dropped:?}");
    for run in [decayed, dropped] {
        assert!(run.final_loss < run.first_loss, "{run:?}");
    }
}

#[test]
fn overfitting_refuses_bad_subsets_before_training() {
    let (x, y) = tiny();
    let data = Samples::new(&x, &y).unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    let mut net = Blob::<f32>::new(&mut rng);
    let start = net.clone();
    let mut trainer = Trainer::new(Training::<Blob, _, 4>::new(Sgd::new(0.1).unwrap())).epochs(5);
    assert!(matches!(
        overfit_tiny_subset(&mut trainer, &mut net, data, 0, &mut rng),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        overfit_tiny_subset(&mut trainer, &mut net, data, 21, &mut rng),
        Err(Error::LengthMismatch {
            left: 21,
            right: 20,
            ..
        })
    ));
    let mut short = [0; 10];
    assert!(matches!(
        overfit_tiny_subset_in(&mut trainer, &mut net, data, 20, &mut rng, &mut short),
        Err(Error::LengthMismatch {
            left: 10,
            right: 20,
            ..
        })
    ));
    let mut idle = Trainer::new(Training::<Blob, _, 4>::new(Sgd::new(0.1).unwrap())).epochs(0);
    let err = overfit_tiny_subset(&mut idle, &mut net, data, 20, &mut rng).unwrap_err();
    assert!(err.to_string().contains("epochs"), "{err}");
    assert_eq!(net.as_flat(), start.as_flat());
}

#[test]
fn update_ratios_computed_by_hand() {
    let mut before = Blob::<f64>::zeroed();
    before.load_tensor("hidden.weight", &[0.5; 32]).unwrap(); // ‖w‖ = 0.5·√32
    let mut after = before.clone();
    let mut w = [0.5; 32];
    w[7] += 0.003;
    w[8] -= 0.004; // ‖Δw‖ = 0.005
    after.load_tensor("hidden.weight", &w).unwrap();
    after.load_tensor("hidden.bias", &[1.0; 16]).unwrap(); // a bias: not reported
    after.load_tensor("dense2.weight", &[0.1; 48]).unwrap(); // weights at zero that moved

    let ratios = update_ratios(&before.params, &after.params);
    let names: Vec<String> = ratios.iter().map(|r| r.tensor.to_string()).collect();
    assert_eq!(names, ["hidden.weight", "dense2.weight"]);
    let hidden = ratios[0];
    assert!((hidden.update_norm - 0.005).abs() < 1e-12);
    assert!((hidden.weight_norm - 0.5 * 32f64.sqrt()).abs() < 1e-12);
    assert!((hidden.ratio - 0.005 / (0.5 * 32f64.sqrt())).abs() < 1e-12); // 1.77e-3
    assert_eq!(hidden.health(), Health::Healthy);
    assert!(ratios[1].ratio.is_infinite());
    assert_eq!(ratios[1].health(), Health::TooLarge);

    // Nothing moved: a ratio of 0, too small.
    let mut still = Vec::new();
    visit_update_ratios(&before.params, &before.params, |r| {
        still.push((r.ratio, r.health()))
    });
    assert_eq!(still, [(0.0, Health::TooSmall), (0.0, Health::TooSmall)]);
}

#[test]
fn sgd_moves_each_weight_by_lr_times_its_gradient() {
    // Plain SGD updates by −lr·g, so ‖Δw‖ = lr·‖g‖ tensor by tensor.
    // In f64, so that the rounding of w − lr·g is far below even the smallest update.
    let (x, y) = blobs(8, 0.4, 5);
    let rows: [[f64; 2]; 8] = core::array::from_fn(|i| x[i].map(f64::from));
    let labels: [usize; 8] = y.try_into().unwrap();
    for (lr, health) in [(1e-6, Health::TooSmall), (50.0, Health::TooLarge)] {
        let mut rng = StdRng::seed_from_u64(6);
        let mut net = Blob::<f64>::new(&mut rng);
        let before = net.params.clone();
        let mut training = Training::<Blob<f64>, _, 8, f64>::new(Sgd::new(lr).unwrap());
        training.step(&mut net, &rows, &labels, &mut rng).unwrap();
        let norms = grad_norms(training.grads());
        let names: Vec<String> = norms.iter().map(|g| g.tensor.to_string()).collect();
        assert_eq!(
            names,
            [
                "hidden.weight",
                "hidden.bias",
                "dense2.weight",
                "dense2.bias"
            ]
        );
        let mut seen = 0;
        visit_update_ratios(&before, &net.params, |r| {
            let grad = norms.iter().find(|g| g.tensor == r.tensor).unwrap().norm;
            let expected = lr * grad;
            assert!(
                (r.update_norm / expected - 1.0).abs() < 1e-6,
                "{r:?} against {expected}"
            );
            assert_eq!(r.health(), health, "{r:?}");
            seen += 1;
        });
        assert_eq!(seen, 2);
        let mut visited = 0;
        visit_grad_norms(training.grads(), |g| {
            assert_eq!(g, norms[visited]);
            visited += 1;
        });
        assert_eq!(visited, 4);
    }
}

#[test]
fn dead_relu_units_counted_by_hand() {
    let mut net = TwoRelu::<f64>::zeroed();
    // hidden: units 0 and 1 pass x₀ and x₁, units 2 and 3 their negatives: with positive
    // inputs, units 2 and 3 are 0 on every row.
    net.load_tensor("hidden.weight", &[1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0])
        .unwrap();
    // dense2 has zero weights and biases (1, −1, 0): `act` outputs (1, 0, 0) on every row.
    net.load_tensor("dense2.bias", &[1.0, -1.0, 0.0]).unwrap();
    let x = [[0.5, 2.0], [1.0, 0.25], [3.0, 3.0]];
    let layers = dead_relus(&net, &x);
    assert_eq!(
        layers,
        [
            DeadUnits {
                layer: "relu1".to_string(),
                units: 4,
                dead: 2
            },
            DeadUnits {
                layer: "act".to_string(),
                units: 3,
                dead: 2
            },
        ]
    );
    assert_eq!(layers[0].share(), 0.5);

    // One row with a negative input wakes unit 2 of `hidden`.
    let x = [[0.5, 2.0], [-1.0, 0.25], [3.0, 3.0]];
    let mut cache = <TwoReluCache<3, f64> as Flat<f64>>::zeroed();
    let mut seen = Vec::new();
    visit_dead_relus(&net, &x, &mut cache, |d| {
        seen.push((d.layer.to_string(), d.dead))
    });
    assert_eq!(seen, [("relu1".to_string(), 1), ("act".to_string(), 2)]);
}

#[test]
fn a_very_negative_bias_kills_every_unit_and_a_fresh_network_has_few_dead() {
    let (x, _) = blobs(32, 0.4, 7);
    let batch: [[f32; 2]; 32] = x.try_into().unwrap();
    let fresh = Blob::<f32>::new(&mut StdRng::seed_from_u64(8));
    let mut dead = fresh.clone();
    dead.load_tensor("hidden.bias", &[-1e3; 16]).unwrap();

    let layers = dead_relus(&dead, &batch);
    assert_eq!(layers.len(), 1);
    assert_eq!(
        (layers[0].layer.as_str(), layers[0].units, layers[0].dead),
        ("relu1", 16, 16)
    );
    assert_eq!(layers[0].share(), 1.0);

    let layers = dead_relus(&fresh, &batch);
    println!("fresh: {layers:?}");
    assert!(layers[0].share() <= 0.125, "{layers:?}");
}
