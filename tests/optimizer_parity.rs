//! Every optimizer trains a small network as PyTorch does, in f64 and in f32: the loss at
//! each of five steps, the parameters and the optimizer's state after each. SGD (with L1
//! decay), SGD with momentum (with and without dampening, annealed), Nesterov momentum
//! (annealed too), Adam, RMSprop, Adagrad (with an initial accumulator and lr decay) and
//! AdamW, each with L2 weight decay (decoupled for AdamW) and L1 decay on the weights only
//! and on every parameter; AMSGrad (Adam and AdamW) and RMSprop with momentum, centered or
//! both, with and without decay; and gradient clipping by norm and by value. The expected
//! values are in `tests/fixtures/pytorch_optim.rs`, written by `fixtures/generate.py` (see
//! `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances ([`Tolerance`]): f64 within 1e-9 and f32 within 1e-4 (at least 1e-6), relative
//! to the largest magnitude in each array. Every test reports the largest relative
//! difference it saw (`cargo test --test optimizer_parity -- --nocapture`). Measured with
//! torch 2.15, the largest of each optimizer's runs, f64 / f32:
//!
//! | runs | f64 | f32 |
//! | --- | --- | --- |
//! | SGD, L1 | 1.2e-16 | 1.2e-7 |
//! | momentum, dampening, L2, L1, annealed | 3.8e-16 | 2.0e-7 |
//! | Nesterov, L2, L1, annealed | 4.6e-16 | 1.9e-7 |
//! | Adam, L2, L1 | 5.6e-16 | 2.8e-7 |
//! | RMSprop, L2, L1 | 6.2e-16 | 4.3e-7 |
//! | Adagrad, L2, L1, initial accumulator with lr decay | 5.8e-16 | 3.7e-7 |
//! | AdamW (decoupled L2) | 5.0e-16 | 2.7e-7 |
//! | Adam with AMSGrad, L2, L1 | 5.5e-16 | 3.6e-7 |
//! | AdamW with AMSGrad | 5.3e-16 | 3.4e-7 |
//! | RMSprop with momentum, L2 | 9.8e-16 | 4.3e-7 |
//! | RMSprop centered, L2 | 5.5e-16 | 4.3e-7 |
//! | RMSprop centered with momentum, L1 | 8.6e-16 | 1.3e-6 |
//! | clipping by norm and by value | 2.8e-16 | 1.9e-7 |
//!
//! A wrong convention moves the parameters by 2.6e-2 or more: dampening the first buffer
//! 2.6e-2, decay on the biases or not 3.4e-2, decoupled (AdamW) decay 8.4e-2. Subtler slips
//! are still far outside the f64 tolerance (relative differences at the first step where
//! they show): RMSprop's ε inside the square root 4.8e-6, AdamW's decay after the Adam step
//! instead of before 1.0e-5, the annealed momentum one step early 3.5e-3, Adagrad's
//! accumulator added at every step 1.3e-2 or its lr decay one step early 3.6e-3, clipping
//! without PyTorch's 1e-6 6.3e-8.

mod common;
mod small;

use common::Comparisons;
use rand::{rngs::StdRng, SeedableRng};
use small::fixtures::*;
use small::{initial, Problem, Small, SmallCache, SmallGrads, SmallParams};
use small::{PARAMETERS, ROWS, STEPS};
use typenet::optim::{clip_grad_norm, clip_grad_value, StateOf};
use typenet::optim::{Adagrad, Adam, AdamState, AdamW, Momentum, RmsProp, Sgd, WeightDecay};
use typenet::optim::{Amsgrad, AmsgradState, Centered, NoMomentum, RmsPropState, WithMomentum};
use typenet::prelude::*;

/// The fixtures every run shares, in one precision (its name, for messages, is
/// [`Scalar::NAME`]).
trait Precision: Problem {
    const SGD_LR: Self;
    const MOMENTUM: Self;
    const DAMPENING: Self;
    const ADAM_LR: Self;
    /// Adam's decay rates: Python floats in PyTorch, f64 in typenet, whatever the dtype.
    const BETA1: f64;
    const BETA2: f64;
    const ADAM_EPS: Self;
    const WEIGHT_DECAY: Self;
    const RMSPROP_LR: Self;
    const RMSPROP_EPS: Self;
    const ADAGRAD_LR: Self;
    const ADAGRAD_EPS: Self;
    const ADAGRAD_LR_DECAY: Self;
    const ADAGRAD_INITIAL: Self;
    const ANNEAL_FROM: Self;
    const CLIP_SCALE: Self;
    const CLIP_MAX_NORM: Self;
    const CLIP_VALUE: Self;
    const CLIP_GRADS: [Self; PARAMETERS];
    const CLIP_NORM: Self;
    const CLIP_BY_NORM: [Self; PARAMETERS];
    const CLIP_BY_VALUE: [Self; PARAMETERS];
}

impl Precision for f64 {
    const SGD_LR: f64 = OPT_SGD_LR_F64;
    const MOMENTUM: f64 = OPT_MOMENTUM_F64;
    const DAMPENING: f64 = OPT_DAMPENING_F64;
    const ADAM_LR: f64 = OPT_ADAM_LR_F64;
    const BETA1: f64 = OPT_BETA1;
    const BETA2: f64 = OPT_BETA2;
    const ADAM_EPS: f64 = OPT_ADAM_EPS_F64;
    const WEIGHT_DECAY: f64 = OPT_WEIGHT_DECAY_F64;
    const RMSPROP_LR: f64 = OPT_RMSPROP_LR_F64;
    const RMSPROP_EPS: f64 = OPT_RMSPROP_EPS_F64;
    const ADAGRAD_LR: f64 = OPT_ADAGRAD_LR_F64;
    const ADAGRAD_EPS: f64 = OPT_ADAGRAD_EPS_F64;
    const ADAGRAD_LR_DECAY: f64 = OPT_ADAGRAD_LR_DECAY_F64;
    const ADAGRAD_INITIAL: f64 = OPT_ADAGRAD_INITIAL_F64;
    const ANNEAL_FROM: f64 = OPT_ANNEAL_FROM_F64;
    const CLIP_SCALE: f64 = CLIP_SCALE_F64;
    const CLIP_MAX_NORM: f64 = CLIP_MAX_NORM_F64;
    const CLIP_VALUE: f64 = CLIP_VALUE_F64;
    const CLIP_GRADS: [f64; PARAMETERS] = CLIP_GRADS_F64;
    const CLIP_NORM: f64 = CLIP_NORM_F64;
    const CLIP_BY_NORM: [f64; PARAMETERS] = CLIP_BY_NORM_F64;
    const CLIP_BY_VALUE: [f64; PARAMETERS] = CLIP_BY_VALUE_F64;
}

impl Precision for f32 {
    const SGD_LR: f32 = OPT_SGD_LR_F32;
    const MOMENTUM: f32 = OPT_MOMENTUM_F32;
    const DAMPENING: f32 = OPT_DAMPENING_F32;
    const ADAM_LR: f32 = OPT_ADAM_LR_F32;
    const BETA1: f64 = OPT_BETA1;
    const BETA2: f64 = OPT_BETA2;
    const ADAM_EPS: f32 = OPT_ADAM_EPS_F32;
    const WEIGHT_DECAY: f32 = OPT_WEIGHT_DECAY_F32;
    const RMSPROP_LR: f32 = OPT_RMSPROP_LR_F32;
    const RMSPROP_EPS: f32 = OPT_RMSPROP_EPS_F32;
    const ADAGRAD_LR: f32 = OPT_ADAGRAD_LR_F32;
    const ADAGRAD_EPS: f32 = OPT_ADAGRAD_EPS_F32;
    const ADAGRAD_LR_DECAY: f32 = OPT_ADAGRAD_LR_DECAY_F32;
    const ADAGRAD_INITIAL: f32 = OPT_ADAGRAD_INITIAL_F32;
    const ANNEAL_FROM: f32 = OPT_ANNEAL_FROM_F32;
    const CLIP_SCALE: f32 = CLIP_SCALE_F32;
    const CLIP_MAX_NORM: f32 = CLIP_MAX_NORM_F32;
    const CLIP_VALUE: f32 = CLIP_VALUE_F32;
    const CLIP_GRADS: [f32; PARAMETERS] = CLIP_GRADS_F32;
    const CLIP_NORM: f32 = CLIP_NORM_F32;
    const CLIP_BY_NORM: [f32; PARAMETERS] = CLIP_BY_NORM_F32;
    const CLIP_BY_VALUE: [f32; PARAMETERS] = CLIP_BY_VALUE_F32;
}

/// What PyTorch recorded for one run: per step, the loss before the update, then the
/// parameters and each of the optimizer's `K` state blocks after it.
struct Trajectory<'a, T, const K: usize> {
    losses: &'a [T; STEPS],
    params: &'a [[T; PARAMETERS]; STEPS],
    /// PyTorch's name for each state block, and its values.
    state: [(&'static str, &'a [[T; PARAMETERS]; STEPS]); K],
}

/// Which weight decay a run has: L2 through PyTorch's `weight_decay` (its parameter groups
/// choosing the tensors), or L1, which the fixtures add to the gradients before each step.
#[derive(Clone, Copy)]
enum Decay {
    /// No weight decay.
    None,
    /// L2, λ on l1.weight and l2.weight, 0 on the biases.
    WeightsOnly,
    /// L2, λ on every parameter.
    All,
    /// L1, λ·sign(p) on the weights only.
    L1WeightsOnly,
    /// L1, λ·sign(p) on every parameter.
    L1All,
}

impl Decay {
    /// typenet's weight decay for this choice, λ = 0.05.
    fn of<T: Precision>(self) -> WeightDecay<T> {
        let l2 = WeightDecay::new(T::WEIGHT_DECAY).unwrap();
        let l1 = WeightDecay::l1(T::WEIGHT_DECAY).unwrap();
        match self {
            Decay::None => WeightDecay::NONE,
            Decay::WeightsOnly => l2,
            Decay::All => l2.on_all_parameters(),
            Decay::L1WeightsOnly => l1,
            Decay::L1All => l1.on_all_parameters(),
        }
    }
}

/// `torch.optim.SGD(lr=0.1)`, with `decay`.
fn sgd<T: Precision>(decay: Decay) -> Sgd<T> {
    Sgd::new(T::SGD_LR).unwrap().with_weight_decay(decay.of())
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

/// `torch.optim.SGD(lr=0.1, momentum=0.9)` with `group['momentum']` rising from 0.5 to
/// 0.9 over 3 steps, Nesterov or not.
fn annealed<T: Precision>(nesterov: bool) -> Momentum<T> {
    let opt = momentum(Decay::None);
    let opt = if nesterov {
        opt.nesterov().unwrap()
    } else {
        opt
    };
    opt.annealed(T::ANNEAL_FROM, OPT_ANNEAL_STEPS as u64)
        .unwrap()
}

/// `torch.optim.RMSprop(lr=0.01, alpha=0.99, eps=1e-8)`, with `decay`.
fn rms_prop<T: Precision>(decay: Decay) -> RmsProp<T> {
    let opt = RmsProp::new(T::RMSPROP_LR).unwrap();
    let opt = opt.with_alpha(OPT_RMSPROP_ALPHA).unwrap();
    let opt = opt.with_eps(T::RMSPROP_EPS).unwrap();
    opt.with_weight_decay(decay.of())
}

/// `torch.optim.Adagrad(lr=0.1, eps=1e-10)`, with `decay`.
fn adagrad<T: Precision>(decay: Decay) -> Adagrad<T> {
    let opt = Adagrad::new(T::ADAGRAD_LR).unwrap();
    let opt = opt.with_eps(T::ADAGRAD_EPS).unwrap();
    opt.with_weight_decay(decay.of())
}

/// `torch.optim.Adagrad(lr=0.1, eps=1e-10, lr_decay=0.05, initial_accumulator_value=0.1)`.
fn adagrad_with_accumulator<T: Precision>() -> Adagrad<T> {
    let opt = adagrad(Decay::None)
        .with_lr_decay(T::ADAGRAD_LR_DECAY)
        .unwrap();
    opt.with_initial_accumulator(T::ADAGRAD_INITIAL).unwrap()
}

/// `torch.optim.AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8)`, with `decay` decoupled.
fn adam_w<T: Precision>(decay: Decay) -> AdamW<T> {
    let opt = AdamW::new(T::ADAM_LR).unwrap();
    let opt = opt.with_betas(T::BETA1, T::BETA2).unwrap();
    let opt = opt.with_eps(T::ADAM_EPS).unwrap();
    opt.with_weight_decay(decay.of())
}

/// `Adam(lr=0.01, betas=(0.9, 0.9), eps=1e-8, amsgrad=True)`, with `decay`.
fn amsgrad<T: Precision>(decay: Decay) -> Adam<T, Amsgrad> {
    let adam = adam(decay).with_betas(T::BETA1, OPT_AMSGRAD_BETA2).unwrap();
    adam.amsgrad()
}

/// `AdamW(lr=0.01, betas=(0.9, 0.9), eps=1e-8, amsgrad=True)`, with `decay` decoupled.
fn adam_w_amsgrad<T: Precision>(decay: Decay) -> AdamW<T, Amsgrad> {
    let opt = adam_w(decay)
        .with_betas(T::BETA1, OPT_AMSGRAD_BETA2)
        .unwrap();
    opt.amsgrad()
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.9)`, with `decay`.
fn rms_prop_momentum<T: Precision>(decay: Decay) -> RmsProp<T, WithMomentum> {
    rms_prop(decay).with_momentum(OPT_RMSPROP_MOMENTUM).unwrap()
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8, centered=True)`, with `decay`.
fn rms_prop_centered<T: Precision>(decay: Decay) -> RmsProp<T, NoMomentum, Centered> {
    rms_prop(decay).centered()
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.9, centered=True)`, with `decay`.
fn rms_prop_centered_momentum<T: Precision>(decay: Decay) -> RmsProp<T, WithMomentum, Centered> {
    rms_prop_centered(decay)
        .with_momentum(OPT_RMSPROP_MOMENTUM)
        .unwrap()
}

/// Picks the optimizer's state blocks out of its state, in the order PyTorch names them.
type Views<O, T, const K: usize> = fn(&StateOf<O, SmallParams<T>, T>) -> [&[T]; K];

/// No state (plain SGD).
fn stateless<T: Scalar>(_: &[T; 0]) -> [&[T]; 0] {
    []
}

/// The one state block of momentum (the buffer), RMSprop (`square_avg`) or Adagrad (`sum`).
fn buffer<T: Scalar>(state: &SmallParams<T>) -> [&[T]; 1] {
    [state.as_flat()]
}

/// Adam's `exp_avg` (m) and `exp_avg_sq` (v).
fn moments<T: Scalar>(state: &AdamState<SmallParams<T>, T>) -> [&[T]; 2] {
    [state.m.as_flat(), state.v.as_flat()]
}

/// AMSGrad's `exp_avg` (m), `exp_avg_sq` (v) and `max_exp_avg_sq` (v̄).
fn amsgrad_moments<T: Scalar>(state: &AmsgradState<SmallParams<T>, T>) -> [&[T]; 3] {
    [state.m.as_flat(), state.v.as_flat(), state.v_max.as_flat()]
}

/// RMSprop's `square_avg` and `momentum_buffer`.
fn square_avg_and_buffer<T: Scalar>(
    state: &RmsPropState<SmallParams<T>, T, SmallParams<T>, [T; 0]>,
) -> [&[T]; 2] {
    [state.square_avg.as_flat(), state.momentum_buffer.as_flat()]
}

/// Centered RMSprop's `square_avg` and `grad_avg`.
fn square_avg_and_grad_avg<T: Scalar>(
    state: &RmsPropState<SmallParams<T>, T, [T; 0], SmallParams<T>>,
) -> [&[T]; 2] {
    [state.square_avg.as_flat(), state.grad_avg.as_flat()]
}

/// Centered RMSprop with momentum: `square_avg`, `momentum_buffer` and `grad_avg`.
fn rms_prop_state<T: Scalar>(state: &RmsPropState<SmallParams<T>, T>) -> [&[T]; 3] {
    let RmsPropState {
        square_avg,
        momentum_buffer,
        grad_avg,
        ..
    } = state;
    [
        square_avg.as_flat(),
        momentum_buffer.as_flat(),
        grad_avg.as_flat(),
    ]
}

/// Trains `Small` from PyTorch's initial parameters with `opt` for five steps on the
/// fixture batch, comparing after each step the loss `Training::step` returns, the parameters
/// and the state blocks that `views` picks out with `expected`. Returns the largest relative
/// difference.
fn check<T: Precision, O: Optimizer<T>, const K: usize>(
    opt: O,
    views: Views<O, T, K>,
    expected: &Trajectory<'_, T, K>,
) -> f64 {
    let mut net = initial::<T>();
    let mut training = Training::<Small<T>, O, ROWS, T>::new(opt);
    let mut rng = StdRng::seed_from_u64(0); // no dropout: never drawn
    let mut worst = 0.0f64;
    for step in 0..STEPS {
        let mut parity = Comparisons::new(format!("{} step {}:", T::NAME, step + 1), T::TOL);
        let loss = training
            .step(&mut net, &T::X, &OPT_LABELS, &mut rng)
            .unwrap()
            .loss;
        parity.check("loss", &[loss], &expected.losses[step..=step]);
        parity.check("parameters", net.params.as_flat(), &expected.params[step]);
        for ((name, values), actual) in expected.state.iter().zip(views(&training.blocks().state)) {
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
        params: $params:ident / $params32:ident
        $(, $name:ident: $state:ident / $state32:ident)* $(,)?
    ) => {{
        let f64 = check(
            $optimizer,
            $views,
            &Trajectory {
                losses: &$losses,
                params: &$params,
                state: [$((stringify!($name), &$state)),*],
            },
        );
        let f32 = check(
            $optimizer,
            $views,
            &Trajectory {
                losses: &$losses32,
                params: &$params32,
                state: [$((stringify!($name), &$state32)),*],
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

/// `SGD(lr=0.1)` with 0.05·sign(p) added to the gradients of the weights (L1).
#[test]
fn sgd_with_l1_on_weights_matches_pytorch() {
    run!(
        "SGD, L1 on weights", sgd(Decay::L1WeightsOnly), stateless,
        losses: SGD_L1_WEIGHTS_LOSSES_F64 / SGD_L1_WEIGHTS_LOSSES_F32,
        params: SGD_L1_WEIGHTS_PARAMS_F64 / SGD_L1_WEIGHTS_PARAMS_F32,
    );
}

/// `SGD(lr=0.1)` with L1 on every parameter.
#[test]
fn sgd_with_l1_on_all_matches_pytorch() {
    run!(
        "SGD, L1 on all", sgd(Decay::L1All), stateless,
        losses: SGD_L1_ALL_LOSSES_F64 / SGD_L1_ALL_LOSSES_F32,
        params: SGD_L1_ALL_PARAMS_F64 / SGD_L1_ALL_PARAMS_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9)` with L1 on the weights: λ·sign(p) enters the buffer.
#[test]
fn momentum_with_l1_on_weights_matches_pytorch() {
    run!(
        "SGD momentum, L1 on weights", momentum(Decay::L1WeightsOnly), buffer,
        losses: MOMENTUM_L1_WEIGHTS_LOSSES_F64 / MOMENTUM_L1_WEIGHTS_LOSSES_F32,
        params: MOMENTUM_L1_WEIGHTS_PARAMS_F64 / MOMENTUM_L1_WEIGHTS_PARAMS_F32,
        momentum_buffer: MOMENTUM_L1_WEIGHTS_BUFFER_F64 / MOMENTUM_L1_WEIGHTS_BUFFER_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9)` with L1 on every parameter.
#[test]
fn momentum_with_l1_on_all_matches_pytorch() {
    run!(
        "SGD momentum, L1 on all", momentum(Decay::L1All), buffer,
        losses: MOMENTUM_L1_ALL_LOSSES_F64 / MOMENTUM_L1_ALL_LOSSES_F32,
        params: MOMENTUM_L1_ALL_PARAMS_F64 / MOMENTUM_L1_ALL_PARAMS_F32,
        momentum_buffer: MOMENTUM_L1_ALL_BUFFER_F64 / MOMENTUM_L1_ALL_BUFFER_F32,
    );
}

/// Nesterov with L1 on the weights.
#[test]
fn nesterov_with_l1_on_weights_matches_pytorch() {
    run!(
        "SGD Nesterov, L1 on weights", nesterov(Decay::L1WeightsOnly), buffer,
        losses: NESTEROV_L1_WEIGHTS_LOSSES_F64 / NESTEROV_L1_WEIGHTS_LOSSES_F32,
        params: NESTEROV_L1_WEIGHTS_PARAMS_F64 / NESTEROV_L1_WEIGHTS_PARAMS_F32,
        momentum_buffer: NESTEROV_L1_WEIGHTS_BUFFER_F64 / NESTEROV_L1_WEIGHTS_BUFFER_F32,
    );
}

/// Nesterov with L1 on every parameter.
#[test]
fn nesterov_with_l1_on_all_matches_pytorch() {
    run!(
        "SGD Nesterov, L1 on all", nesterov(Decay::L1All), buffer,
        losses: NESTEROV_L1_ALL_LOSSES_F64 / NESTEROV_L1_ALL_LOSSES_F32,
        params: NESTEROV_L1_ALL_PARAMS_F64 / NESTEROV_L1_ALL_PARAMS_F32,
        momentum_buffer: NESTEROV_L1_ALL_BUFFER_F64 / NESTEROV_L1_ALL_BUFFER_F32,
    );
}

/// Adam with L1 on the weights: λ·sign(p) enters m and v.
#[test]
fn adam_with_l1_on_weights_matches_pytorch() {
    run!(
        "Adam, L1 on weights", adam(Decay::L1WeightsOnly), moments,
        losses: ADAM_L1_WEIGHTS_LOSSES_F64 / ADAM_L1_WEIGHTS_LOSSES_F32,
        params: ADAM_L1_WEIGHTS_PARAMS_F64 / ADAM_L1_WEIGHTS_PARAMS_F32,
        exp_avg: ADAM_L1_WEIGHTS_EXP_AVG_F64 / ADAM_L1_WEIGHTS_EXP_AVG_F32,
        exp_avg_sq: ADAM_L1_WEIGHTS_EXP_AVG_SQ_F64 / ADAM_L1_WEIGHTS_EXP_AVG_SQ_F32,
    );
}

/// Adam with L1 on every parameter.
#[test]
fn adam_with_l1_on_all_matches_pytorch() {
    run!(
        "Adam, L1 on all", adam(Decay::L1All), moments,
        losses: ADAM_L1_ALL_LOSSES_F64 / ADAM_L1_ALL_LOSSES_F32,
        params: ADAM_L1_ALL_PARAMS_F64 / ADAM_L1_ALL_PARAMS_F32,
        exp_avg: ADAM_L1_ALL_EXP_AVG_F64 / ADAM_L1_ALL_EXP_AVG_F32,
        exp_avg_sq: ADAM_L1_ALL_EXP_AVG_SQ_F64 / ADAM_L1_ALL_EXP_AVG_SQ_F32,
    );
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8)`: ε outside the square root, no bias correction.
#[test]
fn rms_prop_matches_pytorch() {
    run!(
        "RMSprop", rms_prop(Decay::None), buffer,
        losses: RMSPROP_LOSSES_F64 / RMSPROP_LOSSES_F32,
        params: RMSPROP_PARAMS_F64 / RMSPROP_PARAMS_F32,
        square_avg: RMSPROP_SQUARE_AVG_F64 / RMSPROP_SQUARE_AVG_F32,
    );
}

/// RMSprop with `weight_decay=0.05` on the weights only.
#[test]
fn rms_prop_with_decay_on_weights_matches_pytorch() {
    run!(
        "RMSprop, decay on weights", rms_prop(Decay::WeightsOnly), buffer,
        losses: RMSPROP_DECAY_WEIGHTS_LOSSES_F64 / RMSPROP_DECAY_WEIGHTS_LOSSES_F32,
        params: RMSPROP_DECAY_WEIGHTS_PARAMS_F64 / RMSPROP_DECAY_WEIGHTS_PARAMS_F32,
        square_avg: RMSPROP_DECAY_WEIGHTS_SQUARE_AVG_F64 / RMSPROP_DECAY_WEIGHTS_SQUARE_AVG_F32,
    );
}

/// RMSprop with `weight_decay=0.05` on every parameter.
#[test]
fn rms_prop_with_decay_on_all_matches_pytorch() {
    run!(
        "RMSprop, decay on all", rms_prop(Decay::All), buffer,
        losses: RMSPROP_DECAY_ALL_LOSSES_F64 / RMSPROP_DECAY_ALL_LOSSES_F32,
        params: RMSPROP_DECAY_ALL_PARAMS_F64 / RMSPROP_DECAY_ALL_PARAMS_F32,
        square_avg: RMSPROP_DECAY_ALL_SQUARE_AVG_F64 / RMSPROP_DECAY_ALL_SQUARE_AVG_F32,
    );
}

/// RMSprop with L1 on the weights.
#[test]
fn rms_prop_with_l1_on_weights_matches_pytorch() {
    run!(
        "RMSprop, L1 on weights", rms_prop(Decay::L1WeightsOnly), buffer,
        losses: RMSPROP_L1_WEIGHTS_LOSSES_F64 / RMSPROP_L1_WEIGHTS_LOSSES_F32,
        params: RMSPROP_L1_WEIGHTS_PARAMS_F64 / RMSPROP_L1_WEIGHTS_PARAMS_F32,
        square_avg: RMSPROP_L1_WEIGHTS_SQUARE_AVG_F64 / RMSPROP_L1_WEIGHTS_SQUARE_AVG_F32,
    );
}

/// RMSprop with L1 on every parameter.
#[test]
fn rms_prop_with_l1_on_all_matches_pytorch() {
    run!(
        "RMSprop, L1 on all", rms_prop(Decay::L1All), buffer,
        losses: RMSPROP_L1_ALL_LOSSES_F64 / RMSPROP_L1_ALL_LOSSES_F32,
        params: RMSPROP_L1_ALL_PARAMS_F64 / RMSPROP_L1_ALL_PARAMS_F32,
        square_avg: RMSPROP_L1_ALL_SQUARE_AVG_F64 / RMSPROP_L1_ALL_SQUARE_AVG_F32,
    );
}

/// `Adagrad(lr=0.1, eps=1e-10)`.
#[test]
fn adagrad_matches_pytorch() {
    run!(
        "Adagrad", adagrad(Decay::None), buffer,
        losses: ADAGRAD_LOSSES_F64 / ADAGRAD_LOSSES_F32,
        params: ADAGRAD_PARAMS_F64 / ADAGRAD_PARAMS_F32,
        sum: ADAGRAD_SUM_F64 / ADAGRAD_SUM_F32,
    );
}

/// `Adagrad(lr=0.1, eps=1e-10, lr_decay=0.05, initial_accumulator_value=0.1)`: the
/// accumulator PyTorch fills at construction is applied to typenet's zeroed state on the first
/// step.
#[test]
fn adagrad_with_an_initial_accumulator_and_lr_decay_matches_pytorch() {
    run!(
        "Adagrad, initial accumulator and lr decay", adagrad_with_accumulator(), buffer,
        losses: ADAGRAD_ACCUMULATOR_LOSSES_F64 / ADAGRAD_ACCUMULATOR_LOSSES_F32,
        params: ADAGRAD_ACCUMULATOR_PARAMS_F64 / ADAGRAD_ACCUMULATOR_PARAMS_F32,
        sum: ADAGRAD_ACCUMULATOR_SUM_F64 / ADAGRAD_ACCUMULATOR_SUM_F32,
    );
}

/// Adagrad with `weight_decay=0.05` on the weights only.
#[test]
fn adagrad_with_decay_on_weights_matches_pytorch() {
    run!(
        "Adagrad, decay on weights", adagrad(Decay::WeightsOnly), buffer,
        losses: ADAGRAD_DECAY_WEIGHTS_LOSSES_F64 / ADAGRAD_DECAY_WEIGHTS_LOSSES_F32,
        params: ADAGRAD_DECAY_WEIGHTS_PARAMS_F64 / ADAGRAD_DECAY_WEIGHTS_PARAMS_F32,
        sum: ADAGRAD_DECAY_WEIGHTS_SUM_F64 / ADAGRAD_DECAY_WEIGHTS_SUM_F32,
    );
}

/// Adagrad with `weight_decay=0.05` on every parameter.
#[test]
fn adagrad_with_decay_on_all_matches_pytorch() {
    run!(
        "Adagrad, decay on all", adagrad(Decay::All), buffer,
        losses: ADAGRAD_DECAY_ALL_LOSSES_F64 / ADAGRAD_DECAY_ALL_LOSSES_F32,
        params: ADAGRAD_DECAY_ALL_PARAMS_F64 / ADAGRAD_DECAY_ALL_PARAMS_F32,
        sum: ADAGRAD_DECAY_ALL_SUM_F64 / ADAGRAD_DECAY_ALL_SUM_F32,
    );
}

/// Adagrad with L1 on the weights.
#[test]
fn adagrad_with_l1_on_weights_matches_pytorch() {
    run!(
        "Adagrad, L1 on weights", adagrad(Decay::L1WeightsOnly), buffer,
        losses: ADAGRAD_L1_WEIGHTS_LOSSES_F64 / ADAGRAD_L1_WEIGHTS_LOSSES_F32,
        params: ADAGRAD_L1_WEIGHTS_PARAMS_F64 / ADAGRAD_L1_WEIGHTS_PARAMS_F32,
        sum: ADAGRAD_L1_WEIGHTS_SUM_F64 / ADAGRAD_L1_WEIGHTS_SUM_F32,
    );
}

/// Adagrad with L1 on every parameter.
#[test]
fn adagrad_with_l1_on_all_matches_pytorch() {
    run!(
        "Adagrad, L1 on all", adagrad(Decay::L1All), buffer,
        losses: ADAGRAD_L1_ALL_LOSSES_F64 / ADAGRAD_L1_ALL_LOSSES_F32,
        params: ADAGRAD_L1_ALL_PARAMS_F64 / ADAGRAD_L1_ALL_PARAMS_F32,
        sum: ADAGRAD_L1_ALL_SUM_F64 / ADAGRAD_L1_ALL_SUM_F32,
    );
}

/// `AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8)` with `weight_decay=0.05` on the weights
/// only (typenet's default scope): p·(1 − lr·λ) before the Adam step, m and v untouched.
#[test]
fn adam_w_with_decay_on_weights_matches_pytorch() {
    run!(
        "AdamW, decay on weights", adam_w(Decay::WeightsOnly), moments,
        losses: ADAMW_DECAY_WEIGHTS_LOSSES_F64 / ADAMW_DECAY_WEIGHTS_LOSSES_F32,
        params: ADAMW_DECAY_WEIGHTS_PARAMS_F64 / ADAMW_DECAY_WEIGHTS_PARAMS_F32,
        exp_avg: ADAMW_DECAY_WEIGHTS_EXP_AVG_F64 / ADAMW_DECAY_WEIGHTS_EXP_AVG_F32,
        exp_avg_sq: ADAMW_DECAY_WEIGHTS_EXP_AVG_SQ_F64 / ADAMW_DECAY_WEIGHTS_EXP_AVG_SQ_F32,
    );
}

/// AdamW with `weight_decay=0.05` on every parameter.
#[test]
fn adam_w_with_decay_on_all_matches_pytorch() {
    run!(
        "AdamW, decay on all", adam_w(Decay::All), moments,
        losses: ADAMW_DECAY_ALL_LOSSES_F64 / ADAMW_DECAY_ALL_LOSSES_F32,
        params: ADAMW_DECAY_ALL_PARAMS_F64 / ADAMW_DECAY_ALL_PARAMS_F32,
        exp_avg: ADAMW_DECAY_ALL_EXP_AVG_F64 / ADAMW_DECAY_ALL_EXP_AVG_F32,
        exp_avg_sq: ADAMW_DECAY_ALL_EXP_AVG_SQ_F64 / ADAMW_DECAY_ALL_EXP_AVG_SQ_F32,
    );
}

/// `SGD(lr=0.1, momentum=0.9)` with `group['momentum']` set before each step to 0.5, 0.633,
/// 0.767, 0.9, 0.9: `Momentum::annealed(0.5, 3)`.
#[test]
fn annealed_momentum_matches_pytorch() {
    run!(
        "SGD momentum annealed 0.5 → 0.9", annealed(false), buffer,
        losses: ANNEALED_MOMENTUM_LOSSES_F64 / ANNEALED_MOMENTUM_LOSSES_F32,
        params: ANNEALED_MOMENTUM_PARAMS_F64 / ANNEALED_MOMENTUM_PARAMS_F32,
        momentum_buffer: ANNEALED_MOMENTUM_BUFFER_F64 / ANNEALED_MOMENTUM_BUFFER_F32,
    );
}

/// Nesterov with the same annealed momentum, which also weights the look-ahead.
#[test]
fn annealed_nesterov_matches_pytorch() {
    run!(
        "SGD Nesterov annealed 0.5 → 0.9", annealed(true), buffer,
        losses: ANNEALED_NESTEROV_LOSSES_F64 / ANNEALED_NESTEROV_LOSSES_F32,
        params: ANNEALED_NESTEROV_PARAMS_F64 / ANNEALED_NESTEROV_PARAMS_F32,
        momentum_buffer: ANNEALED_NESTEROV_BUFFER_F64 / ANNEALED_NESTEROV_BUFFER_F32,
    );
}
/// The gradients of `Small` at PyTorch's initial parameters, times 16, clipped by
/// `clip_grad_norm_(max_norm=5)` and by `clip_grad_value_(1)`: the gradient itself, the norm
/// before clipping and the clipped gradients. Returns the largest relative difference.
fn check_clipping<T: Precision>() -> f64 {
    let mut parity = Comparisons::new(format!("{} clipping:", T::NAME), T::TOL);
    let mut net = initial::<T>();
    let mut cache = SmallCache::<ROWS, T>::zeroed();
    let mut grads = SmallGrads::<T>::zeroed();
    let mut rng = StdRng::seed_from_u64(0); // no dropout: never drawn
    net.loss_and_grad(&T::X, &OPT_LABELS, &mut cache, &mut grads, &mut rng)
        .unwrap();
    for g in grads.as_flat_mut() {
        *g *= T::CLIP_SCALE; // a power of two: exact
    }
    parity.check("gradients", grads.as_flat(), &T::CLIP_GRADS);

    // Clipping alone, from exactly PyTorch's gradients.
    let mut by_norm = SmallGrads::<T>::zeroed();
    by_norm.as_flat_mut().copy_from_slice(&T::CLIP_GRADS);
    let mut by_value = SmallGrads::<T>::zeroed();
    by_value.as_flat_mut().copy_from_slice(&T::CLIP_GRADS);
    let norm = clip_grad_norm(&mut by_norm, T::CLIP_MAX_NORM).unwrap();
    parity.check("clip_grad_norm's norm", &[norm], &[T::CLIP_NORM]);
    parity.check("clipped by norm", by_norm.as_flat(), &T::CLIP_BY_NORM);
    let norm = clip_grad_value(&mut by_value, T::CLIP_VALUE).unwrap();
    parity.check("clip_grad_value's norm", &[norm], &[T::CLIP_NORM]);
    parity.check("clipped by value", by_value.as_flat(), &T::CLIP_BY_VALUE);
    parity.worst
}

/// Gradient clipping by global norm and by value, as `torch.nn.utils` clips.
#[test]
fn clipping_matches_pytorch() {
    report("Clipping", check_clipping::<f64>(), check_clipping::<f32>());
}

/// `Adam(lr=0.01, betas=(0.9, 0.9), eps=1e-8, amsgrad=True)`: the step divides by the
/// root of the largest v so far, which (β₂ = 0.9) falls below it on some parameters.
#[test]
fn adam_amsgrad_matches_pytorch() {
    run!(
        "Adam, AMSGrad", amsgrad(Decay::None), amsgrad_moments,
        losses: ADAM_AMSGRAD_LOSSES_F64 / ADAM_AMSGRAD_LOSSES_F32,
        params: ADAM_AMSGRAD_PARAMS_F64 / ADAM_AMSGRAD_PARAMS_F32,
        exp_avg: ADAM_AMSGRAD_EXP_AVG_F64 / ADAM_AMSGRAD_EXP_AVG_F32,
        exp_avg_sq: ADAM_AMSGRAD_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_EXP_AVG_SQ_F32,
        max_exp_avg_sq: ADAM_AMSGRAD_MAX_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_MAX_EXP_AVG_SQ_F32,
    );
}

/// AMSGrad with `weight_decay=0.05` on the weights only.
#[test]
fn adam_amsgrad_with_decay_on_weights_matches_pytorch() {
    run!(
        "Adam, AMSGrad, decay on weights", amsgrad(Decay::WeightsOnly), amsgrad_moments,
        losses: ADAM_AMSGRAD_DECAY_WEIGHTS_LOSSES_F64 / ADAM_AMSGRAD_DECAY_WEIGHTS_LOSSES_F32,
        params: ADAM_AMSGRAD_DECAY_WEIGHTS_PARAMS_F64 / ADAM_AMSGRAD_DECAY_WEIGHTS_PARAMS_F32,
        exp_avg: ADAM_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_F64 / ADAM_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_F32,
        exp_avg_sq: ADAM_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_SQ_F32,
        max_exp_avg_sq: ADAM_AMSGRAD_DECAY_WEIGHTS_MAX_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_DECAY_WEIGHTS_MAX_EXP_AVG_SQ_F32,
    );
}

/// AMSGrad with L1 on every parameter.
#[test]
fn adam_amsgrad_with_l1_on_all_matches_pytorch() {
    run!(
        "Adam, AMSGrad, L1 on all", amsgrad(Decay::L1All), amsgrad_moments,
        losses: ADAM_AMSGRAD_L1_ALL_LOSSES_F64 / ADAM_AMSGRAD_L1_ALL_LOSSES_F32,
        params: ADAM_AMSGRAD_L1_ALL_PARAMS_F64 / ADAM_AMSGRAD_L1_ALL_PARAMS_F32,
        exp_avg: ADAM_AMSGRAD_L1_ALL_EXP_AVG_F64 / ADAM_AMSGRAD_L1_ALL_EXP_AVG_F32,
        exp_avg_sq: ADAM_AMSGRAD_L1_ALL_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_L1_ALL_EXP_AVG_SQ_F32,
        max_exp_avg_sq: ADAM_AMSGRAD_L1_ALL_MAX_EXP_AVG_SQ_F64 / ADAM_AMSGRAD_L1_ALL_MAX_EXP_AVG_SQ_F32,
    );
}

/// `AdamW(…, amsgrad=True)` with `weight_decay=0.05` (decoupled) on the weights only.
#[test]
fn adam_w_amsgrad_with_decay_on_weights_matches_pytorch() {
    run!(
        "AdamW, AMSGrad, decay on weights", adam_w_amsgrad(Decay::WeightsOnly), amsgrad_moments,
        losses: ADAMW_AMSGRAD_DECAY_WEIGHTS_LOSSES_F64 / ADAMW_AMSGRAD_DECAY_WEIGHTS_LOSSES_F32,
        params: ADAMW_AMSGRAD_DECAY_WEIGHTS_PARAMS_F64 / ADAMW_AMSGRAD_DECAY_WEIGHTS_PARAMS_F32,
        exp_avg: ADAMW_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_F64 / ADAMW_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_F32,
        exp_avg_sq: ADAMW_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_SQ_F64 / ADAMW_AMSGRAD_DECAY_WEIGHTS_EXP_AVG_SQ_F32,
        max_exp_avg_sq: ADAMW_AMSGRAD_DECAY_WEIGHTS_MAX_EXP_AVG_SQ_F64 / ADAMW_AMSGRAD_DECAY_WEIGHTS_MAX_EXP_AVG_SQ_F32,
    );
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.9)`: the buffer starts at zero.
#[test]
fn rms_prop_with_momentum_matches_pytorch() {
    run!(
        "RMSprop, momentum", rms_prop_momentum(Decay::None), square_avg_and_buffer,
        losses: RMSPROP_MOMENTUM_LOSSES_F64 / RMSPROP_MOMENTUM_LOSSES_F32,
        params: RMSPROP_MOMENTUM_PARAMS_F64 / RMSPROP_MOMENTUM_PARAMS_F32,
        square_avg: RMSPROP_MOMENTUM_SQUARE_AVG_F64 / RMSPROP_MOMENTUM_SQUARE_AVG_F32,
        momentum_buffer: RMSPROP_MOMENTUM_BUFFER_F64 / RMSPROP_MOMENTUM_BUFFER_F32,
    );
}

/// RMSprop with momentum and `weight_decay=0.05` on the weights only.
#[test]
fn rms_prop_with_momentum_and_decay_on_weights_matches_pytorch() {
    run!(
        "RMSprop, momentum, decay on weights", rms_prop_momentum(Decay::WeightsOnly), square_avg_and_buffer,
        losses: RMSPROP_MOMENTUM_DECAY_WEIGHTS_LOSSES_F64 / RMSPROP_MOMENTUM_DECAY_WEIGHTS_LOSSES_F32,
        params: RMSPROP_MOMENTUM_DECAY_WEIGHTS_PARAMS_F64 / RMSPROP_MOMENTUM_DECAY_WEIGHTS_PARAMS_F32,
        square_avg: RMSPROP_MOMENTUM_DECAY_WEIGHTS_SQUARE_AVG_F64 / RMSPROP_MOMENTUM_DECAY_WEIGHTS_SQUARE_AVG_F32,
        momentum_buffer: RMSPROP_MOMENTUM_DECAY_WEIGHTS_BUFFER_F64 / RMSPROP_MOMENTUM_DECAY_WEIGHTS_BUFFER_F32,
    );
}

/// `RMSprop(lr=0.01, alpha=0.99, eps=1e-8, centered=True)`: √(r − ḡ²) + ε.
#[test]
fn rms_prop_centered_matches_pytorch() {
    run!(
        "RMSprop, centered", rms_prop_centered(Decay::None), square_avg_and_grad_avg,
        losses: RMSPROP_CENTERED_LOSSES_F64 / RMSPROP_CENTERED_LOSSES_F32,
        params: RMSPROP_CENTERED_PARAMS_F64 / RMSPROP_CENTERED_PARAMS_F32,
        square_avg: RMSPROP_CENTERED_SQUARE_AVG_F64 / RMSPROP_CENTERED_SQUARE_AVG_F32,
        grad_avg: RMSPROP_CENTERED_GRAD_AVG_F64 / RMSPROP_CENTERED_GRAD_AVG_F32,
    );
}

/// Centered RMSprop with `weight_decay=0.05` on the weights only.
#[test]
fn rms_prop_centered_with_decay_on_weights_matches_pytorch() {
    run!(
        "RMSprop, centered, decay on weights", rms_prop_centered(Decay::WeightsOnly), square_avg_and_grad_avg,
        losses: RMSPROP_CENTERED_DECAY_WEIGHTS_LOSSES_F64 / RMSPROP_CENTERED_DECAY_WEIGHTS_LOSSES_F32,
        params: RMSPROP_CENTERED_DECAY_WEIGHTS_PARAMS_F64 / RMSPROP_CENTERED_DECAY_WEIGHTS_PARAMS_F32,
        square_avg: RMSPROP_CENTERED_DECAY_WEIGHTS_SQUARE_AVG_F64 / RMSPROP_CENTERED_DECAY_WEIGHTS_SQUARE_AVG_F32,
        grad_avg: RMSPROP_CENTERED_DECAY_WEIGHTS_GRAD_AVG_F64 / RMSPROP_CENTERED_DECAY_WEIGHTS_GRAD_AVG_F32,
    );
}

/// `RMSprop(…, momentum=0.9, centered=True)`.
#[test]
fn rms_prop_centered_with_momentum_matches_pytorch() {
    run!(
        "RMSprop, centered, momentum", rms_prop_centered_momentum(Decay::None), rms_prop_state,
        losses: RMSPROP_CENTERED_MOMENTUM_LOSSES_F64 / RMSPROP_CENTERED_MOMENTUM_LOSSES_F32,
        params: RMSPROP_CENTERED_MOMENTUM_PARAMS_F64 / RMSPROP_CENTERED_MOMENTUM_PARAMS_F32,
        square_avg: RMSPROP_CENTERED_MOMENTUM_SQUARE_AVG_F64 / RMSPROP_CENTERED_MOMENTUM_SQUARE_AVG_F32,
        momentum_buffer: RMSPROP_CENTERED_MOMENTUM_BUFFER_F64 / RMSPROP_CENTERED_MOMENTUM_BUFFER_F32,
        grad_avg: RMSPROP_CENTERED_MOMENTUM_GRAD_AVG_F64 / RMSPROP_CENTERED_MOMENTUM_GRAD_AVG_F32,
    );
}

/// Centered RMSprop with momentum and L1 on every parameter.
#[test]
fn rms_prop_centered_with_momentum_and_l1_on_all_matches_pytorch() {
    run!(
        "RMSprop, centered, momentum, L1 on all", rms_prop_centered_momentum(Decay::L1All), rms_prop_state,
        losses: RMSPROP_CENTERED_MOMENTUM_L1_ALL_LOSSES_F64 / RMSPROP_CENTERED_MOMENTUM_L1_ALL_LOSSES_F32,
        params: RMSPROP_CENTERED_MOMENTUM_L1_ALL_PARAMS_F64 / RMSPROP_CENTERED_MOMENTUM_L1_ALL_PARAMS_F32,
        square_avg: RMSPROP_CENTERED_MOMENTUM_L1_ALL_SQUARE_AVG_F64 / RMSPROP_CENTERED_MOMENTUM_L1_ALL_SQUARE_AVG_F32,
        momentum_buffer: RMSPROP_CENTERED_MOMENTUM_L1_ALL_BUFFER_F64 / RMSPROP_CENTERED_MOMENTUM_L1_ALL_BUFFER_F32,
        grad_avg: RMSPROP_CENTERED_MOMENTUM_L1_ALL_GRAD_AVG_F64 / RMSPROP_CENTERED_MOMENTUM_L1_ALL_GRAD_AVG_F32,
    );
}
