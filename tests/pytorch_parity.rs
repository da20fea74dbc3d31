//! typenet computes what PyTorch computes, in f64: losses and their gradients, SGD, and whole
//! networks trained for a few steps. The expected values are in `tests/fixtures/pytorch.rs`,
//! written by `fixtures/generate.py` (see `fixtures/README.md`); no Python is needed here.
//!
//! Every comparison uses [`TOL`] = 1e-12, relative to the largest magnitude PyTorch reports
//! in the array compared (see [`assert_close`]). That is about 4500 ulps: the differences
//! measured against torch 2.15 stay below 3e-15 (sums taken in another order, PyTorch's
//! fused multiply-add in SGD), while a transposed gradient, a sum in place of a mean or a
//! wrong sign misses it by ten orders of magnitude or more.

mod fixtures {
    include!("fixtures/pytorch.rs");
}

use fixtures::*;
use typenet::dim::{U3, U4, U5};
use typenet::loss::{mean_squared_error, softmax_cross_entropy};
use typenet::prelude::*;

/// The tolerance of every comparison, relative to the scale of the values compared.
const TOL: f64 = 1e-12;

network! {
    /// `Net` in fixtures/generate.py, classifying.
    struct Parity {
        input: 5,
        l1: dense(7), tanh,
        l2: dense(6), relu,
        l3: dense(4),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// `Net` in fixtures/generate.py, regressing.
    struct Regression {
        input: 5,
        l1: dense(7), tanh,
        l2: dense(6), relu,
        l3: dense(4),
        loss: mean_squared_error,
    }
}

/// Asserts |actual − expected| ≤ `tol`·scale for every element, where scale is the largest
/// |expected| in the array (1 if they are all zero), so that entries PyTorch reports as
/// exactly 0 (saturated softmax, dead ReLUs) must come out within `tol`·scale of 0 too.
#[track_caller]
fn assert_close(what: &str, actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if scale == 0.0 { 1.0 } else { scale };
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let diff = (a - e).abs();
        let at = if expected.len() > 1 {
            format!("[{i}]")
        } else {
            String::new()
        };
        assert!(
            diff <= tol * scale,
            "{what}{at}: typenet {a:e}, PyTorch {e:e}, off by {diff:e} > {tol:e} × {scale:e}"
        );
    }
}

/// The weights and biases of one network, laid out as PyTorch's `nn.Linear` holds them.
struct Parameters {
    w1: [[f64; 5]; 7],
    b1: [f64; 7],
    w2: [[f64; 7]; 6],
    b2: [f64; 6],
    w3: [[f64; 6]; 4],
    b3: [f64; 4],
}

/// Sets the parameters of a `Parity` or a `Regression` network (they have the same layers).
macro_rules! load {
    ($net:expr, $p:expr) => {{
        let p: &Parameters = &$p;
        $net.params.l1.weight = Matrix::from_fn(|o, i| p.w1[o][i]);
        $net.params.l1.bias.copy_from_slice(&p.b1);
        $net.params.l2.weight = Matrix::from_fn(|o, i| p.w2[o][i]);
        $net.params.l2.bias.copy_from_slice(&p.b2);
        $net.params.l3.weight = Matrix::from_fn(|o, i| p.w3[o][i]);
        $net.params.l3.bias.copy_from_slice(&p.b3);
    }};
}

/// Compares every weight and bias of a network's parameter block (or its gradients) with [`assert_close`].
macro_rules! assert_parameters {
    ($what:expr, $net:expr, $p:expr, $tol:expr) => {{
        let (net, p, tol): (_, &Parameters, f64) = (&$net, &$p, $tol);
        let what = $what;
        let l = |name: &str| format!("{what}: {name}");
        assert_close(
            &l("l1.weight"),
            net.l1.weight.as_slice(),
            p.w1.as_flattened(),
            tol,
        );
        assert_close(&l("l1.bias"), &net.l1.bias, &p.b1, tol);
        assert_close(
            &l("l2.weight"),
            net.l2.weight.as_slice(),
            p.w2.as_flattened(),
            tol,
        );
        assert_close(&l("l2.bias"), &net.l2.bias, &p.b2, tol);
        assert_close(
            &l("l3.weight"),
            net.l3.weight.as_slice(),
            p.w3.as_flattened(),
            tol,
        );
        assert_close(&l("l3.bias"), &net.l3.bias, &p.b3, tol);
    }};
}

const NET_INITIAL: Parameters = Parameters {
    w1: NET_W1,
    b1: NET_B1,
    w2: NET_W2,
    b2: NET_B2,
    w3: NET_W3,
    b3: NET_B3,
};

const MSE_NET_INITIAL: Parameters = Parameters {
    w1: MSE_NET_W1,
    b1: MSE_NET_B1,
    w2: MSE_NET_W2,
    b2: MSE_NET_B2,
    w3: MSE_NET_W3,
    b3: MSE_NET_B3,
};

/// The random source of training mode; these networks have no dropout, so it is never drawn.
fn rng() -> rand::rngs::StdRng {
    rand::SeedableRng::seed_from_u64(0)
}

fn classifier() -> Parity<f64> {
    let mut net = Parity::<f64>::zeroed();
    load!(net, NET_INITIAL);
    net
}

fn regressor() -> Regression<f64> {
    let mut net = Regression::<f64>::zeroed();
    load!(net, MSE_NET_INITIAL);
    net
}

/// `F.cross_entropy`, mean over the batch, including a row of logits around ±1000 whose
/// softmax has entries of exactly 0 and 1 − ε. Tolerance: [`TOL`] (1e-12) relative.
#[test]
fn softmax_cross_entropy_matches_pytorch() {
    let logits = Matrix::<U4, U5, f64>::from_fn(|r, c| CE_LOGITS[r][c]);
    let mut grad = Matrix::zeros();
    let loss = softmax_cross_entropy(&logits, &CE_LABELS.into(), Some(&mut grad)).unwrap();
    assert_close("loss", &[loss], &[CE_LOSS], TOL);
    assert_close("dL/dlogits", grad.as_slice(), CE_GRAD.as_flattened(), TOL);
    // Without a gradient to write, the loss is the same.
    let alone = softmax_cross_entropy(&logits, &CE_LABELS.into(), None).unwrap();
    assert_eq!(alone, loss);
}

/// `nn.MSELoss()`, mean over all 3×4 elements. Tolerance: [`TOL`] (1e-12) relative.
#[test]
fn mean_squared_error_matches_pytorch() {
    let prediction = Matrix::<U3, U4, f64>::from_fn(|r, c| MSE_PREDICTION[r][c]);
    let target = Matrix::<U3, U4, f64>::from_fn(|r, c| MSE_TARGET[r][c]);
    let mut grad = Matrix::zeros();
    let loss = mean_squared_error(&prediction, &target, Some(&mut grad));
    assert_close("loss", &[loss], &[MSE_LOSS], TOL);
    assert_close(
        "dL/dprediction",
        grad.as_slice(),
        MSE_GRAD.as_flattened(),
        TOL,
    );
}

/// `torch.optim.SGD(lr=0.1)`, three steps with given gradients. Tolerance: [`TOL`] (1e-12)
/// relative, after every step.
#[test]
fn sgd_matches_pytorch_over_three_steps() {
    let mut sgd = Sgd::new(SGD_LR).unwrap();
    let mut p = SGD_START;
    for (step, (g, after)) in SGD_GRADS.iter().zip(&SGD_AFTER).enumerate() {
        sgd.step(&mut p, g, &mut []);
        assert_close(&format!("step {}", step + 1), &p, after, TOL);
    }
}

/// The classifier's loss and the gradient of every weight and bias, before any training.
/// Tolerance: [`TOL`] (1e-12) relative, per array.
#[test]
fn classifier_loss_and_gradients_match_pytorch() {
    let mut net = classifier();
    let mut cache = ParityCache::<3, f64>::zeroed();
    let mut grads = ParityGrads::<f64>::zeroed();
    let loss = net
        .loss_and_grad(&NET_X, &NET_LABELS, &mut cache, &mut grads, &mut rng())
        .unwrap();
    assert_close("loss", &[loss], &[NET_LOSS], TOL);
    assert_close(
        "loss()",
        &[net.loss(&NET_X, &NET_LABELS).unwrap()],
        &[NET_LOSS],
        TOL,
    );
    let expected = Parameters {
        w1: NET_GRAD_W1,
        b1: NET_GRAD_B1,
        w2: NET_GRAD_W2,
        b2: NET_GRAD_B2,
        w3: NET_GRAD_W3,
        b3: NET_GRAD_B3,
    };
    assert_parameters!("gradient", grads, expected, TOL);
}

/// Three SGD steps (lr 0.05) on the same batch: the loss each step reports, the parameters
/// after the last, and the loss then. Tolerance: [`TOL`] (1e-12) relative, per array.
#[test]
fn classifier_training_matches_pytorch_over_three_sgd_steps() {
    let mut net = classifier();
    let mut training = Training::<Parity<f64>, _, 3, f64>::new(Sgd::new(NET_LR).unwrap());
    let losses: [f64; 3] = core::array::from_fn(|_| {
        training
            .step(&mut net, &NET_X, &NET_LABELS, &mut rng())
            .unwrap()
            .loss
    });
    assert_close("losses", &losses, &NET_STEP_LOSSES, TOL);
    let expected = Parameters {
        w1: NET_W1_AFTER,
        b1: NET_B1_AFTER,
        w2: NET_W2_AFTER,
        b2: NET_B2_AFTER,
        w3: NET_W3_AFTER,
        b3: NET_B3_AFTER,
    };
    assert_parameters!("after 3 steps", net.params, expected, TOL);
    let after = net.loss(&NET_X, &NET_LABELS).unwrap();
    assert_close("loss after", &[after], &[NET_LOSS_AFTER], TOL);
}

/// The regressor's loss and the gradient of every weight and bias, before any training.
/// Tolerance: [`TOL`] (1e-12) relative, per array.
#[test]
fn regressor_loss_and_gradients_match_pytorch() {
    let mut net = regressor();
    let mut cache = RegressionCache::<3, f64>::zeroed();
    let mut grads = RegressionGrads::<f64>::zeroed();
    let loss = net
        .loss_and_grad(
            &MSE_NET_X,
            &MSE_NET_TARGETS,
            &mut cache,
            &mut grads,
            &mut rng(),
        )
        .unwrap();
    assert_close("loss", &[loss], &[MSE_NET_LOSS], TOL);
    let expected = Parameters {
        w1: MSE_NET_GRAD_W1,
        b1: MSE_NET_GRAD_B1,
        w2: MSE_NET_GRAD_W2,
        b2: MSE_NET_GRAD_B2,
        w3: MSE_NET_GRAD_W3,
        b3: MSE_NET_GRAD_B3,
    };
    assert_parameters!("gradient", grads, expected, TOL);
}

/// One SGD step (lr 0.05): the loss it reports, the parameters after it, and the loss then.
/// Tolerance: [`TOL`] (1e-12) relative, per array.
#[test]
fn regressor_sgd_step_matches_pytorch() {
    let mut net = regressor();
    let mut training = Training::<Regression<f64>, _, 3, f64>::new(Sgd::new(MSE_NET_LR).unwrap());
    let loss = training
        .step(&mut net, &MSE_NET_X, &MSE_NET_TARGETS, &mut rng())
        .unwrap()
        .loss;
    assert_close("loss", &[loss], &MSE_NET_STEP_LOSSES, TOL);
    let expected = Parameters {
        w1: MSE_NET_W1_AFTER,
        b1: MSE_NET_B1_AFTER,
        w2: MSE_NET_W2_AFTER,
        b2: MSE_NET_B2_AFTER,
        w3: MSE_NET_W3_AFTER,
        b3: MSE_NET_B3_AFTER,
    };
    assert_parameters!("after 1 step", net.params, expected, TOL);
    let after = net.loss(&MSE_NET_X, &MSE_NET_TARGETS).unwrap();
    assert_close("loss after", &[after], &[MSE_NET_LOSS_AFTER], TOL);
}
