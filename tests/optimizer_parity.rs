//! SGD with momentum (with and without dampening), Nesterov momentum and Adam, each with and
//! without weight decay, train a small network as PyTorch does, in f64 and in f32: the loss
//! at each of five steps, the parameters and the optimizer's state after each. The expected
//! values are in `tests/fixtures/pytorch_optim.rs`, written by `fixtures/generate.py` (see
//! `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances ([`Tolerance`]): f64 within 1e-9 and f32 within 1e-4 (at least 1e-6), relative
//! to the largest magnitude in each array. Every test reports the largest relative
//! difference it saw (`cargo test --test optimizer_parity -- --nocapture`). Measured with
//! torch 2.15: at most 5.1e-16 in f64; in f32, 2.0e-7 for the SGD runs and 1.3e-5 for Adam,
//! all of it in `exp_avg_sq`. typenet holds β2 as `T`, so in f32 it computes 1 − β2 from
//! f32(0.999) (0.00099998713), where torch computes it from the Python float 0.999; that
//! scales v by 1 − 1.3e-5 from the first step on, while the parameters agree within 6e-8.
//! A wrong convention moves the parameters by 2.6e-2 or more: dampening the first buffer
//! 2.6e-2, decay on the biases or not 3.4e-2, decoupled (AdamW) decay 8.4e-2.

mod common;
mod fixtures {
    include!("fixtures/pytorch_optim.rs");
}

use common::{Comparisons, Tolerance};
use fixtures::*;
use rand::{rngs::StdRng, SeedableRng};
use typenet::optim::StateOf;
use typenet::optim::{Adam, AdamState, Momentum, WeightDecay};
use typenet::prelude::*;

network! {
    /// `Small` in fixtures/generate.py: 43 parameters.
    struct Small {
        input: 4,
        l1: dense(5), tanh,
        l2: dense(3),
        loss: softmax_cross_entropy,
    }
}

/// The rows of the batch that every step trains on.
const ROWS: usize = 6;
/// The steps of every trajectory.
const STEPS: usize = 5;
/// The parameters of `Small`, flat: l1.weight, l1.bias, l2.weight, l2.bias.
const PARAMETERS: usize = 43;

/// The fixtures every run shares, in one precision (its name, for messages, is
/// [`Scalar::NAME`]).
trait Precision: Scalar {
    /// How close typenet must come to PyTorch in this precision.
    const TOL: Tolerance;
    const X: [[Self; 4]; ROWS];
    const W1: [[Self; 4]; 5];
    const B1: [Self; 5];
    const W2: [[Self; 5]; 3];
    const B2: [Self; 3];
    const SGD_LR: Self;
    const MOMENTUM: Self;
    const DAMPENING: Self;
    const ADAM_LR: Self;
    /// Adam's decay rates: Python floats in PyTorch, f64 in typenet, whatever the dtype.
    const BETA1: f64;
    const BETA2: f64;
    const ADAM_EPS: Self;
    const WEIGHT_DECAY: Self;
}

impl Precision for f64 {
    const TOL: Tolerance = Tolerance::F64;
    const X: [[f64; 4]; ROWS] = OPT_X_F64;
    const W1: [[f64; 4]; 5] = OPT_W1_F64;
    const B1: [f64; 5] = OPT_B1_F64;
    const W2: [[f64; 5]; 3] = OPT_W2_F64;
    const B2: [f64; 3] = OPT_B2_F64;
    const SGD_LR: f64 = OPT_SGD_LR_F64;
    const MOMENTUM: f64 = OPT_MOMENTUM_F64;
    const DAMPENING: f64 = OPT_DAMPENING_F64;
    const ADAM_LR: f64 = OPT_ADAM_LR_F64;
    const BETA1: f64 = OPT_BETA1;
    const BETA2: f64 = OPT_BETA2;
    const ADAM_EPS: f64 = OPT_ADAM_EPS_F64;
    const WEIGHT_DECAY: f64 = OPT_WEIGHT_DECAY_F64;
}

impl Precision for f32 {
    const TOL: Tolerance = Tolerance::F32;
    const X: [[f32; 4]; ROWS] = OPT_X_F32;
    const W1: [[f32; 4]; 5] = OPT_W1_F32;
    const B1: [f32; 5] = OPT_B1_F32;
    const W2: [[f32; 5]; 3] = OPT_W2_F32;
    const B2: [f32; 3] = OPT_B2_F32;
    const SGD_LR: f32 = OPT_SGD_LR_F32;
    const MOMENTUM: f32 = OPT_MOMENTUM_F32;
    const DAMPENING: f32 = OPT_DAMPENING_F32;
    const ADAM_LR: f32 = OPT_ADAM_LR_F32;
    const BETA1: f64 = OPT_BETA1;
    const BETA2: f64 = OPT_BETA2;
    const ADAM_EPS: f32 = OPT_ADAM_EPS_F32;
    const WEIGHT_DECAY: f32 = OPT_WEIGHT_DECAY_F32;
}

/// What PyTorch recorded for one run: per step, the loss before the update, then the
/// parameters and each of the optimizer's `K` state blocks after it.
struct Trajectory<'a, T, const K: usize> {
    losses: &'a [T; STEPS],
    params: &'a [[T; PARAMETERS]; STEPS],
    /// PyTorch's name for each state block, and its values.
    state: [(&'static str, &'a [[T; PARAMETERS]; STEPS]); K],
}

/// Which parameters weight decay applies to, as PyTorch's parameter groups choose.
#[derive(Clone, Copy)]
enum Decay {
    /// No weight decay.
    None,
    /// λ on l1.weight and l2.weight, 0 on the biases.
    WeightsOnly,
    /// λ on every parameter.
    All,
}

impl Decay {
    /// typenet's weight decay for this choice, λ = 0.05.
    fn of<T: Precision>(self) -> WeightDecay<T> {
        let decay = WeightDecay::new(T::WEIGHT_DECAY).unwrap();
        match self {
            Decay::None => WeightDecay::NONE,
            Decay::WeightsOnly => decay,
            Decay::All => decay.on_all_parameters(),
        }
    }
}

/// `torch.optim.SGD(lr=0.1, momentum=0.9)`, with `decay`.
fn momentum<T: Precision>(decay: Decay) -> Momentum<T> {
    let opt = Momentum::new(T::SGD_LR, T::MOMENTUM).unwrap();
    opt.with_weight_decay(decay.of())
}

/// `torch.optim.SGD(lr=0.1, momentum=0.9, dampening=0.2)`.
fn dampened<T: Precision>() -> Momentum<T> {
    momentum(Decay::None).with_dampening(T::DAMPENING).unwrap()
}

/// `torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True)`, with `decay`.
fn nesterov<T: Precision>(decay: Decay) -> Momentum<T> {
    momentum(decay).nesterov().unwrap()
}

/// `torch.optim.Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)`, with `decay`.
fn adam<T: Precision>(decay: Decay) -> Adam<T> {
    let adam = Adam::new(T::ADAM_LR).unwrap();
    let adam = adam.with_betas(T::BETA1, T::BETA2).unwrap();
    let adam = adam.with_eps(T::ADAM_EPS).unwrap();
    adam.with_weight_decay(decay.of())
}

/// Picks the optimizer's state blocks out of its state, in the order PyTorch names them.
type Views<O, T, const K: usize> = fn(&StateOf<O, SmallParams<T>, T>) -> [&[T]; K];

/// The momentum buffer.
fn buffer<T: Scalar>(state: &SmallParams<T>) -> [&[T]; 1] {
    [state.as_flat()]
}

/// Adam's `exp_avg` (m) and `exp_avg_sq` (v).
fn moments<T: Scalar>(state: &AdamState<SmallParams<T>, T>) -> [&[T]; 2] {
    [state.m.as_flat(), state.v.as_flat()]
}

/// Trains `Small` from PyTorch's initial parameters with `opt` for five steps on the
/// fixture batch, comparing after each step the loss `train_step` returns, the parameters
/// and the state blocks that `views` picks out with `expected`. Returns the largest relative
/// difference.
fn check<T: Precision, O: Optimizer<T>, const K: usize>(
    mut opt: O,
    views: Views<O, T, K>,
    expected: &Trajectory<'_, T, K>,
) -> f64 {
    let mut net = Small::<T>::zeroed();
    net.load_tensor("l1.weight", T::W1.as_flattened()).unwrap();
    net.load_tensor("l1.bias", &T::B1).unwrap();
    net.load_tensor("l2.weight", T::W2.as_flattened()).unwrap();
    net.load_tensor("l2.bias", &T::B2).unwrap();
    let initial = [T::W1.as_flattened(), &T::B1, T::W2.as_flattened(), &T::B2].concat();
    assert_eq!(net.params().as_flat(), initial, "the flat order of `Small`");

    let mut state = Flat::zeroed();
    let mut cache = SmallCache::<ROWS, T>::zeroed();
    let mut grads = SmallGrads::<T>::zeroed();
    let mut rng = StdRng::seed_from_u64(0); // no dropout: never drawn
    let mut worst = 0.0f64;
    for step in 0..STEPS {
        let mut parity = Comparisons::new(format!("{} step {}:", T::NAME, step + 1), T::TOL);
        let loss = net
            .train_step(
                &T::X,
                &OPT_LABELS,
                &mut opt,
                &mut state,
                &mut cache,
                &mut grads,
                &mut rng,
            )
            .unwrap();
        parity.check("loss", &[loss], &expected.losses[step..=step]);
        parity.check("parameters", net.params().as_flat(), &expected.params[step]);
        for ((name, values), actual) in expected.state.iter().zip(views(&state)) {
            parity.check(name, actual, &values[step]);
        }
        worst = worst.max(parity.worst);
    }
    worst
}

/// Prints a test's largest relative differences, for the record.
fn report(what: &str, f64: f64, f32: f64) {
    eprintln!("{what}: largest relative difference f64 {f64:.1e}, f32 {f32:.1e}");
}

/// Checks one run in f64 and in f32 and reports: `run!(title, optimizer, views, losses: …,
/// params: …, torch_state_name: …)`, each fixture given as `F64_NAME / F32_NAME`.
macro_rules! run {
    (
        $what:expr, $optimizer:expr, $views:ident,
        losses: $losses:ident / $losses32:ident,
        params: $params:ident / $params32:ident,
        $($name:ident: $state:ident / $state32:ident),+ $(,)?
    ) => {{
        let f64 = check(
            $optimizer,
            $views,
            &Trajectory {
                losses: &$losses,
                params: &$params,
                state: [$((stringify!($name), &$state)),+],
            },
        );
        let f32 = check(
            $optimizer,
            $views,
            &Trajectory {
                losses: &$losses32,
                params: &$params32,
                state: [$((stringify!($name), &$state32)),+],
            },
        );
        report($what, f64, f32);
    }};
}

/// `SGD(lr=0.1, momentum=0.9)`: the first buffer is the gradient itself.
#[test]
fn momentum_matches_pytorch() {
    run!(
        "SGD momentum", momentum(Decay::None), buffer,
        losses: MOMENTUM_LOSSES_F64 / MOMENTUM_LOSSES_F32,
        params: MOMENTUM_PARAMS_F64 / MOMENTUM_PARAMS_F32,
        momentum_buffer: MOMENTUM_BUFFER_F64 / MOMENTUM_BUFFER_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9, dampening=0.2)`: the first buffer is still the undamped
/// gradient; later ones add (1 − τ)g.
#[test]
fn momentum_with_dampening_matches_pytorch() {
    run!(
        "SGD momentum, dampening 0.2", dampened(), buffer,
        losses: DAMPENING_LOSSES_F64 / DAMPENING_LOSSES_F32,
        params: DAMPENING_PARAMS_F64 / DAMPENING_PARAMS_F32,
        momentum_buffer: DAMPENING_BUFFER_F64 / DAMPENING_BUFFER_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9, nesterov=True)`.
#[test]
fn nesterov_matches_pytorch() {
    run!(
        "SGD Nesterov", nesterov(Decay::None), buffer,
        losses: NESTEROV_LOSSES_F64 / NESTEROV_LOSSES_F32,
        params: NESTEROV_PARAMS_F64 / NESTEROV_PARAMS_F32,
        momentum_buffer: NESTEROV_BUFFER_F64 / NESTEROV_BUFFER_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9)` with `weight_decay=0.05` on the weights only (parameter
/// groups): typenet's default scope.
#[test]
fn momentum_with_decay_on_weights_matches_pytorch() {
    run!(
        "SGD momentum, decay on weights", momentum(Decay::WeightsOnly), buffer,
        losses: MOMENTUM_DECAY_WEIGHTS_LOSSES_F64 / MOMENTUM_DECAY_WEIGHTS_LOSSES_F32,
        params: MOMENTUM_DECAY_WEIGHTS_PARAMS_F64 / MOMENTUM_DECAY_WEIGHTS_PARAMS_F32,
        momentum_buffer: MOMENTUM_DECAY_WEIGHTS_BUFFER_F64 / MOMENTUM_DECAY_WEIGHTS_BUFFER_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9, weight_decay=0.05)` on every parameter, biases included.
#[test]
fn momentum_with_decay_on_all_matches_pytorch() {
    run!(
        "SGD momentum, decay on all", momentum(Decay::All), buffer,
        losses: MOMENTUM_DECAY_ALL_LOSSES_F64 / MOMENTUM_DECAY_ALL_LOSSES_F32,
        params: MOMENTUM_DECAY_ALL_PARAMS_F64 / MOMENTUM_DECAY_ALL_PARAMS_F32,
        momentum_buffer: MOMENTUM_DECAY_ALL_BUFFER_F64 / MOMENTUM_DECAY_ALL_BUFFER_F32,
    );
}

/// Nesterov with `weight_decay=0.05` on the weights only.
#[test]
fn nesterov_with_decay_on_weights_matches_pytorch() {
    run!(
        "SGD Nesterov, decay on weights", nesterov(Decay::WeightsOnly), buffer,
        losses: NESTEROV_DECAY_WEIGHTS_LOSSES_F64 / NESTEROV_DECAY_WEIGHTS_LOSSES_F32,
        params: NESTEROV_DECAY_WEIGHTS_PARAMS_F64 / NESTEROV_DECAY_WEIGHTS_PARAMS_F32,
        momentum_buffer: NESTEROV_DECAY_WEIGHTS_BUFFER_F64 / NESTEROV_DECAY_WEIGHTS_BUFFER_F32,
    );
}

/// Nesterov with `weight_decay=0.05` on every parameter.
#[test]
fn nesterov_with_decay_on_all_matches_pytorch() {
    run!(
        "SGD Nesterov, decay on all", nesterov(Decay::All), buffer,
        losses: NESTEROV_DECAY_ALL_LOSSES_F64 / NESTEROV_DECAY_ALL_LOSSES_F32,
        params: NESTEROV_DECAY_ALL_PARAMS_F64 / NESTEROV_DECAY_ALL_PARAMS_F32,
        momentum_buffer: NESTEROV_DECAY_ALL_BUFFER_F64 / NESTEROV_DECAY_ALL_BUFFER_F32,
    );
}

/// `Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)`: bias-corrected, ε outside the root.
#[test]
fn adam_matches_pytorch() {
    run!(
        "Adam", adam(Decay::None), moments,
        losses: ADAM_LOSSES_F64 / ADAM_LOSSES_F32,
        params: ADAM_PARAMS_F64 / ADAM_PARAMS_F32,
        exp_avg: ADAM_EXP_AVG_F64 / ADAM_EXP_AVG_F32,
        exp_avg_sq: ADAM_EXP_AVG_SQ_F64 / ADAM_EXP_AVG_SQ_F32,
    );
}

/// Adam with `weight_decay=0.05` on the weights only: L2 added to the gradient (torch's
/// `Adam`, not `AdamW`), so it enters m and v.
#[test]
fn adam_with_decay_on_weights_matches_pytorch() {
    run!(
        "Adam, decay on weights", adam(Decay::WeightsOnly), moments,
        losses: ADAM_DECAY_WEIGHTS_LOSSES_F64 / ADAM_DECAY_WEIGHTS_LOSSES_F32,
        params: ADAM_DECAY_WEIGHTS_PARAMS_F64 / ADAM_DECAY_WEIGHTS_PARAMS_F32,
        exp_avg: ADAM_DECAY_WEIGHTS_EXP_AVG_F64 / ADAM_DECAY_WEIGHTS_EXP_AVG_F32,
        exp_avg_sq: ADAM_DECAY_WEIGHTS_EXP_AVG_SQ_F64 / ADAM_DECAY_WEIGHTS_EXP_AVG_SQ_F32,
    );
}

/// Adam with `weight_decay=0.05` on every parameter.
#[test]
fn adam_with_decay_on_all_matches_pytorch() {
    run!(
        "Adam, decay on all", adam(Decay::All), moments,
        losses: ADAM_DECAY_ALL_LOSSES_F64 / ADAM_DECAY_ALL_LOSSES_F32,
        params: ADAM_DECAY_ALL_PARAMS_F64 / ADAM_DECAY_ALL_PARAMS_F32,
        exp_avg: ADAM_DECAY_ALL_EXP_AVG_F64 / ADAM_DECAY_ALL_EXP_AVG_F32,
        exp_avg_sq: ADAM_DECAY_ALL_EXP_AVG_SQ_F64 / ADAM_DECAY_ALL_EXP_AVG_SQ_F32,
    );
}
