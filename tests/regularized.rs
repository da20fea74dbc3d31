//! Networks with dropout and batch norm: training and evaluation modes, gradient checks in
//! training mode, and buffers that nothing trains.

use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::gradcheck::GradCheck;
use typenet::io::Name;
use typenet::prelude::*;

network! {
    /// Dense, batch norm, ReLU, dropout, dense: the layers with a mode.
    struct Regularized {
        input: 4,
        hidden: dense(6),
        norm: batch_norm,
        relu,
        drop: dropout(0.25),
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Inputs spread over [-1, 1), fixed by a seed.
fn inputs<const B: usize, const W: usize>(seed: u64) -> [[f64; W]; B] {
    typenet::gradcheck::test_weights(seed)
}

#[test]
fn blocks_keep_parameters_and_buffers_apart() {
    let mut names = Vec::new();
    let net = Regularized::<f64>::new(&mut rng(1));
    net.visit_tensors(|t, values| names.push((t.to_string(), t.role, values.len())));
    assert_eq!(
        names,
        [
            ("hidden.weight".to_string(), Role::Weight, 24),
            ("hidden.bias".to_string(), Role::Bias, 6),
            ("norm.weight".to_string(), Role::Scale, 6),
            ("norm.bias".to_string(), Role::Shift, 6),
            ("out.weight".to_string(), Role::Weight, 18),
            ("out.bias".to_string(), Role::Bias, 3),
            ("norm.running_mean".to_string(), Role::RunningStatistic, 6),
            ("norm.running_var".to_string(), Role::RunningStatistic, 6),
        ]
    );
    assert_eq!(Regularized::<f64>::PARAMETERS, 24 + 6 + 6 + 6 + 18 + 3);
    assert_eq!(Regularized::<f64>::BUFFERED, 12);
    // Gradients and optimizer state mirror the parameters only.
    assert_eq!(
        core::mem::size_of::<RegularizedGrads<f64>>(),
        Regularized::<f64>::PARAMETER_BYTES
    );
    assert_eq!(net.tensor("norm.running_var"), Some(&[1.0; 6][..]));
    assert_eq!(Regularized::<f64>::MIN_TRAINING_BATCH, 2);
}

#[test]
fn training_mode_passes_the_gradient_check() {
    let mut net = Regularized::<f64>::new(&mut rng(2));
    // Move the batch-norm scale and shift off 1 and 0 so that their gradients matter.
    net.load_tensor("norm.weight", &[1.5, 0.7, -0.4, 1.1, 0.9, 2.0])
        .unwrap();
    net.load_tensor("norm.bias", &[0.3, -0.2, 0.5, 0.1, -0.6, 0.2])
        .unwrap();
    let x = inputs::<5, 4>(3);
    let labels = [0, 2, 1, 1, 0];
    let mut cache = RegularizedCache::<5, f64>::zeroed();
    let mut grads = RegularizedGrads::<f64>::zeroed();
    // The same seed for every evaluation: the same dropout mask.
    net.loss_and_grad(&x, &labels, &mut cache, &mut grads, &mut rng(4))
        .unwrap();
    let report = net
        .check_gradients(GradCheck::F64, &grads, |n| {
            n.training_loss(&x, &labels, &mut cache, &mut rng(4))
                .unwrap()
        })
        .unwrap();
    assert_eq!(report.checked, Regularized::<f64>::PARAMETERS);
}

#[test]
fn evaluation_is_deterministic_and_uses_running_statistics() {
    let mut net = Regularized::<f64>::new(&mut rng(5));
    let x = inputs::<8, 4>(6);
    let before = net.forward(&x);
    assert_eq!(before, net.forward(&x), "evaluation draws no mask");
    // A training forward pass changes the running statistics, and so evaluation.
    let mut cache = RegularizedCache::<8, f64>::zeroed();
    net.forward_train(&x, &mut cache, &mut rng(7));
    assert_ne!(before, net.forward(&x));
    let mean = net.tensor("norm.running_mean").unwrap();
    assert!(mean.iter().all(|&m| m != 0.0));
}

#[test]
fn no_optimizer_or_weight_decay_touches_the_running_statistics() {
    let x = inputs::<8, 4>(8);
    let labels = [0, 1, 2, 0, 1, 2, 0, 1];
    let train = |decay: Option<WeightDecay<f64>>| {
        let mut net = Regularized::<f64>::new(&mut rng(9));
        let mut sgd = Sgd::new(10.0).unwrap();
        if let Some(decay) = decay {
            sgd = sgd.with_weight_decay(decay.on_all_parameters());
        }
        let mut training = Training::<Regularized<f64>, _, 8, f64>::new(sgd);
        training.step(&mut net, &x, &labels, &mut rng(10)).unwrap();
        net
    };
    let plain = train(None);
    let decayed = train(Some(WeightDecay::new(0.5).unwrap()));
    // The parameters differ (decay moved them), the running statistics of the first step
    // do not: they come from the batch, and neither gradients nor decay reach them.
    assert_ne!(plain.params.as_flat(), decayed.params.as_flat());
    assert_eq!(plain.buffers.as_flat(), decayed.buffers.as_flat());
    // PyTorch's convention: running_var = 0.9·1 + 0.1·(unbiased batch variance) > 0.
    assert!(plain
        .tensor("norm.running_var")
        .unwrap()
        .iter()
        .all(|&v| v > 0.9));
}

#[test]
fn a_regularized_network_learns() {
    let centers = [
        [1.0, 0.0, 0.0, 1.0],
        [-1.0, 1.0, 0.0, 0.0],
        [0.0, -1.0, 1.0, -1.0],
    ];
    let mut x = [[0.0f32; 4]; 30];
    let mut y = [0usize; 30];
    for (i, (row, label)) in x.iter_mut().zip(y.iter_mut()).enumerate() {
        *label = i % 3;
        let noise: [[f32; 4]; 1] = typenet::gradcheck::test_weights(i as u64 + 100);
        *row = core::array::from_fn(|k| centers[*label][k] + 0.3 * noise[0][k]);
    }
    let mut r = rng(11);
    let mut net = Regularized::<f32>::new(&mut r);
    let mut training = Training::<Regularized, _, 30>::new(Sgd::new(0.2).unwrap());
    let first = net.loss(&x, &y).unwrap();
    for _ in 0..200 {
        training.step(&mut net, &x, &y, &mut r).unwrap();
    }
    let last = net.loss(&x, &y).unwrap();
    assert!(last < first / 5.0, "loss went from {first} to {last}");
    assert_eq!(net.predict(&x), Ok(y));
    let proba = net.predict_proba(&x).unwrap();
    for row in proba {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn loading_a_tensor_checks_its_name_and_length() {
    let mut net = Regularized::<f64>::new(&mut rng(12));
    let before = net.clone();
    let err = net.load_tensor("hidden.weight", &[0.5; 23]).unwrap_err();
    assert!(matches!(err, Error::TensorLength { found: 23, .. }));
    assert_eq!(
        err.to_string(),
        "tensor `hidden.weight` has shape [6, 4] (24 values), but 23 values were given"
    );
    let err = net.load_tensor("hidden.wieght", &[0.5; 24]).unwrap_err();
    assert!(
        matches!(err, Error::UnknownTensor { ref closest, .. } if *closest == Some(Name::new("hidden.weight")))
    );
    assert_eq!(
        net.params.as_flat(),
        before.params.as_flat(),
        "nothing written"
    );
    net.load_tensor("norm.running_var", &[2.0; 6]).unwrap();
    assert_eq!(net.tensor("norm.running_var"), Some(&[2.0; 6][..]));
    net.load_tensor("out.bias", &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(&net.params.out.bias[..], &[1.0, 2.0, 3.0]);
}
