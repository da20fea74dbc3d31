//! Generated networks build, compute what they should, pass gradient checks and learn.

use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::gradcheck::GradCheck;
use typenet::prelude::*;

network! {
    /// Classifies 8×8 digits.
    pub struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Two tanh layers and a classifier, for gradient checks.
    struct TanhNet {
        input: 4,
        dense(6), tanh,
        dense(5), tanh,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// A sigmoid regressor with a declared input width and an explicit initializer.
    struct SigmoidNet {
        input: 3,
        first: dense(3 -> 5, init = lecun), sigmoid,
        second: dense(5 -> 2), sigmoid,
        loss: mean_squared_error,
    }
}

network! {
    /// The hidden width is a type parameter.
    struct Generic<H> {
        input: 4,
        dense(H), relu,
        dense(H -> 3),
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
fn a_tanh_network_passes_the_gradient_check() {
    let mut net = TanhNet::<f64>::new(&mut rng(1));
    let x = inputs::<5, 4>(2);
    let labels = [0, 2, 1, 1, 0];
    let mut cache = TanhNetCache::<5, f64>::zeroed();
    let mut grads = TanhNetGrads::<f64>::zeroed();
    net.loss_and_grad(&x, &labels, &mut cache, &mut grads, &mut rng(0))
        .unwrap();
    let report = net
        .check_gradients(GradCheck::F64, &grads, |n| n.loss(&x, &labels).unwrap())
        .unwrap();
    assert_eq!(report.checked, TanhNet::<f64>::PARAMETERS);
    assert_eq!(report.checked, 4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3);
}

#[test]
fn a_sigmoid_regressor_passes_the_gradient_check() {
    let mut net = SigmoidNet::<f64>::new(&mut rng(3));
    let x = inputs::<4, 3>(4);
    let targets = [[0.2, 0.9], [0.5, 0.1], [1.0, 0.0], [0.3, 0.3]];
    let mut cache = SigmoidNetCache::<4, f64>::zeroed();
    let mut grads = SigmoidNetGrads::<f64>::zeroed();
    net.loss_and_grad(&x, &targets, &mut cache, &mut grads, &mut rng(0))
        .unwrap();
    net.check_gradients(GradCheck::F64, &grads, |n| n.loss(&x, &targets).unwrap())
        .unwrap();
}

#[test]
fn a_generic_network_passes_the_gradient_check() {
    let mut net = Generic::<16, f64>::new(&mut rng(5));
    // Inputs away from zero so that no ReLU sits on its kink.
    let x = inputs::<3, 4>(6).map(|row| row.map(|v| v + 0.05f64.copysign(v)));
    let labels = [2, 0, 1];
    let mut cache = GenericCache::<16, 3, f64>::zeroed();
    let mut grads = GenericGrads::<16, f64>::zeroed();
    net.loss_and_grad(&x, &labels, &mut cache, &mut grads, &mut rng(0))
        .unwrap();
    net.check_gradients(GradCheck::F64, &grads, |n| n.loss(&x, &labels).unwrap())
        .unwrap();
    assert_eq!(Generic::<5>::PARAMETERS, 4 * 5 + 5 + 5 * 3 + 3);
}

#[test]
fn forward_matches_a_hand_worked_case() {
    network! {
        struct Tiny { input: 2, a: dense(2), relu, b: dense(1), loss: mean_squared_error }
    }
    let mut net = Tiny::<f64>::zeroed();
    net.params.a.weight = Matrix::from_fn(|o, i| [[1.0, -1.0], [2.0, 0.5]][o][i]);
    net.params.a.bias.copy_from_slice(&[0.0, -1.0]);
    net.params.b.weight = Matrix::from_fn(|_, i| [3.0, -2.0][i]);
    net.params.b.bias.copy_from_slice(&[0.25]);
    // Row 1: a = relu([1 - 2, 2 + 1 - 1]) = [0, 2]; b = 0·3 - 2·2 + 0.25 = -3.75.
    // Row 2: a = relu([3 - 1, 6 + 0.5 - 1]) = [2, 5.5]; b = 6 - 11 + 0.25 = -4.75.
    let y: [[f64; 1]; 2] = net.forward(&[[1.0, 2.0], [3.0, 1.0]]);
    assert_eq!(y, [[-3.75], [-4.75]]);
    // MSE against [-3.75, 0]: (0 + 4.75²) / 2.
    let loss = net
        .loss(&[[1.0, 2.0], [3.0, 1.0]], &[[-3.75], [0.0]])
        .unwrap();
    assert_eq!(loss, 4.75 * 4.75 / 2.0);
}

#[test]
fn constants_describe_the_memory() {
    assert_eq!(Digits::<f32>::INPUTS, 64);
    assert_eq!(Digits::<f32>::OUTPUTS, 10);
    assert_eq!(Digits::<f32>::PARAMETERS, 64 * 128 + 128 + 128 * 10 + 10);
    assert_eq!(Digits::<f32>::PARAMETER_BYTES, 9610 * 4);
    assert_eq!(Digits::<f32>::BUFFERED, 0);
    // Each layer's output and its gradient: hidden (128), relu1 (128), output (10).
    assert_eq!(
        core::mem::size_of::<DigitsCache<32>>(),
        2 * 32 * (128 + 128 + 10) * 4
    );
    assert_eq!(
        core::mem::size_of::<Digits>(),
        Digits::<f32>::PARAMETER_BYTES
    );
}

#[test]
fn initializers_follow_the_activations() {
    let net = Digits::<f64>::new(&mut rng(8));
    let std = |w: &[f64]| (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
    // He for the ReLU layer (√(2/64) ≈ 0.177), LeCun for the output (√(1/128) ≈ 0.088).
    let hidden = std(net.params.hidden.weight.as_slice());
    let output = std(net.params.output.weight.as_slice());
    assert!(
        (hidden / (2.0f64 / 64.0).sqrt() - 1.0).abs() < 0.05,
        "{hidden}"
    );
    assert!(
        (output / (1.0f64 / 128.0).sqrt() - 1.0).abs() < 0.1,
        "{output}"
    );
    assert!(net.params.hidden.bias.iter().all(|&b| b == 0.0));
    let tanh = TanhNet::<f64>::new(&mut rng(9));
    let bound = Init::Xavier.uniform_bound(4, 6).unwrap();
    assert!(tanh
        .params
        .dense1
        .weight
        .as_slice()
        .iter()
        .all(|w| w.abs() <= bound));
}

#[test]
fn training_lowers_the_loss_and_fits_a_toy_problem() {
    // Three well-separated clusters in 4-D.
    let mut data = StdRng::seed_from_u64(10);
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
    let mut net = TanhNet::<f32>::new(&mut rng(11));
    let mut training = Training::<TanhNet, _, 30>::new(Sgd::new(0.5).unwrap());
    let first = net.loss(&x, &y).unwrap();
    for _ in 0..200 {
        training.step(&mut net, &x, &y, &mut data).unwrap();
    }
    let last = net.loss(&x, &y).unwrap();
    assert!(last < first / 10.0, "loss went from {first} to {last}");
    assert_eq!(net.predict(&x), Ok(y));
    assert_eq!(training.steps(), 200);
}

#[test]
fn bad_labels_and_nan_losses_change_nothing() {
    let mut net = TanhNet::<f64>::new(&mut rng(12));
    let before = net.clone();
    let mut training = Training::<TanhNet<f64>, _, 2, f64>::new(Sgd::new(0.1).unwrap());
    let x = inputs::<2, 4>(13);
    let mut r = rng(0);
    let err = training.step(&mut net, &x, &[0, 3], &mut r);
    assert_eq!(
        err,
        Err(Error::LabelOutOfRange {
            index: 1,
            label: 3,
            classes: 3
        })
    );
    let mut poisoned = x;
    poisoned[0][2] = f64::NAN;
    let err = training.step(&mut net, &poisoned, &[0, 1], &mut r);
    assert!(matches!(
        err,
        Err(Error::NonFiniteLoss {
            loss,
            epoch: None,
            step: None
        }) if loss.is_nan()
    ));
    assert_eq!(net.as_flat(), before.as_flat());
    assert_eq!(training.steps(), 0);
}

#[test]
fn evaluation_counts_every_sample_once() {
    let net = TanhNet::<f64>::new(&mut rng(14));
    let x = inputs::<7, 4>(15);
    let labels = [0, 1, 2, 0, 1, 2, 1];
    let mut cache = TanhNetCache::<3, f64>::zeroed();
    let eval = net.evaluate(&x, &labels, &mut cache).unwrap();
    assert_eq!(eval.samples, 7);
    // The same numbers, one sample at a time.
    let mut loss = 0.0;
    let mut right = 0;
    for (row, &label) in x.iter().zip(&labels) {
        loss += net.loss(&[*row], &[label]).unwrap() / 7.0;
        right += usize::from(net.predict(&[*row]).unwrap()[0] == label);
    }
    assert!((eval.loss - loss).abs() < 1e-12);
    assert_eq!(eval.accuracy, Some(right as f64 / 7.0));
    // Label errors name the position in the whole data set.
    let err = net
        .evaluate(&x, &[0, 1, 2, 0, 1, 2, 9], &mut cache)
        .unwrap_err();
    assert_eq!(
        err,
        Error::LabelOutOfRange {
            index: 6,
            label: 9,
            classes: 3
        }
    );
    let err = net.evaluate(&x, &labels[..6], &mut cache).unwrap_err();
    assert!(matches!(
        err,
        Error::LengthMismatch {
            left: 7,
            right: 6,
            ..
        }
    ));
    // No rows have no mean loss.
    let err = net.evaluate(&x[..0], &labels[..0], &mut cache).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err:?}");
}

#[test]
fn predictions_refuse_outputs_that_are_not_finite() {
    let net = TanhNet::<f64>::new(&mut rng(19));
    let mut x = inputs::<3, 4>(20);
    x[1][0] = f64::NAN;
    assert_eq!(net.predict(&x), Err(Error::NonFiniteOutput { row: 1 }));
    assert_eq!(
        net.predict_proba(&x).unwrap_err(),
        Error::NonFiniteOutput { row: 1 }
    );
    // The other rows on their own are fine, and their probabilities sum to 1.
    let proba = net.predict_proba(&[x[0], x[2]]).unwrap();
    for row in proba {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

network! {
    /// Layers named by raw identifiers, like a PyTorch model's `type` submodule.
    struct Keywords { input: 3, r#type: dense(2), r#loop: relu, loss: mean_squared_error }
}

#[test]
fn raw_identifier_labels_are_named_without_their_prefix() {
    let mut net = Keywords::<f32>::zeroed();
    net.params.r#type.weight = Matrix::from_fn(|o, i| (o * 3 + i) as f32);
    let weight: &[f32] = &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(net.tensor("type.weight"), Some(weight));
    let mut names = Vec::new();
    KeywordsParams::<f32>::visit_tensors(&mut |t| names.push(format!("{}.{}", t.layer, t.name)));
    assert_eq!(names, ["type.weight", "type.bias"]);
    assert_eq!(
        format!("{net:?}"),
        "Keywords { type: dense 3 → 2, loop: relu }"
    );
}

#[test]
fn debug_shows_the_layers() {
    let net = Digits::<f32>::zeroed();
    assert_eq!(
        format!("{net:?}"),
        "Digits { hidden: dense 64 → 128, relu1: relu, output: dense 128 → 10 }"
    );
}

network! {
    struct Large {
        input: 1024,
        dense(1024), relu,
        dense(1024), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

/// 2.1 million parameters (8.4 MB in f32) and a 4 MB cache: far beyond a test thread's
/// 2 MiB stack, so everything large is built on the heap.
#[test]
fn a_large_network_trains_without_touching_the_stack() {
    let mut net = Large::<f32>::new_boxed(&mut rng(16));
    let mut training = Training::<Large, _, 256, f32, _>::new_boxed(Sgd::new(0.05).unwrap());
    // Each class lights its own block of 100 inputs.
    let labels: [usize; 256] = core::array::from_fn(|i| i % 10);
    let mut x = vec![[0.0f32; 1024]; 256];
    for (row, &label) in x.iter_mut().zip(&labels) {
        row[label * 100..][..100].fill(1.0);
    }
    let x: &[[f32; 1024]; 256] = x.as_slice().try_into().unwrap();
    let mut r = rng(0);
    let first = training.step(&mut net, x, &labels, &mut r).unwrap().loss;
    let second = training.step(&mut net, x, &labels, &mut r).unwrap().loss;
    assert!(first.is_finite() && second < first, "{first} then {second}");
    assert_eq!(
        Large::<f32>::PARAMETERS,
        1024 * 1024 * 2 + 1024 * 10 + 2048 + 10
    );
}

network! {
    /// Widths above 1024 that are not powers of two take the macro's binary typenum form.
    struct Wide {
        input: 3,
        wide: dense(2000), tanh,
        dense(2000 -> 2),
        loss: softmax_cross_entropy,
    }
}

#[test]
fn a_network_wider_than_1024_trains() {
    let mut r = rng(17);
    let mut net = Wide::<f32>::new_boxed(&mut r);
    let mut training = Training::<Wide, _, 4, f32, _>::new_boxed(Sgd::new(0.05).unwrap());
    let x = [
        [1.0, 0.0, -1.0],
        [0.5, 0.5, 0.5],
        [-1.0, 0.0, 1.0],
        [0.0, 1.0, 0.0],
    ];
    let labels = [0, 1, 0, 1];
    let first = net.loss(&x, &labels).unwrap();
    for _ in 0..20 {
        training.step(&mut net, &x, &labels, &mut r).unwrap();
    }
    assert!(net.loss(&x, &labels).unwrap() < first);
    assert_eq!(Wide::<f32>::PARAMETERS, 3 * 2000 + 2000 + 2000 * 2 + 2);
    assert_eq!(net.tensor("wide.weight").map(<[f32]>::len), Some(6000));
}

network! {
    /// One input: every product of its first layer has an inner dimension of 1.
    struct OneInput { input: 1, dense(8), tanh, dense(1), loss: mean_squared_error }
}

#[test]
fn a_one_input_network_computes_every_unit() {
    let mut net = OneInput::<f64>::zeroed();
    net.load_tensor("dense1.weight", &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
        .unwrap();
    net.load_tensor("dense2.weight", &[1.0; 8]).unwrap();
    // y = Σₖ tanh(k/10) for x = 1, and the same at x = −1 with the sign flipped.
    let y = net.forward(&[[1.0], [-1.0]]);
    let want: f64 = (1..=8).map(|k| (k as f64 / 10.0).tanh()).sum();
    assert!((y[0][0] - want).abs() < 1e-15, "{} against {want}", y[0][0]);
    assert!((y[1][0] + want).abs() < 1e-15);
    let mut net = OneInput::<f64>::new(&mut rng(18));
    let x = [[0.3], [-0.7], [1.2]];
    let targets = [[0.5], [-0.2], [0.1]];
    let mut cache = OneInputCache::<3, f64>::zeroed();
    let mut grads = OneInputGrads::<f64>::zeroed();
    net.loss_and_grad(&x, &targets, &mut cache, &mut grads, &mut rng(0))
        .unwrap();
    net.check_gradients(GradCheck::F64, &grads, |n| n.loss(&x, &targets).unwrap())
        .unwrap();
}
