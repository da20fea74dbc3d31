//! Every learning-rate schedule gives the rates PyTorch's schedulers give, over 30 epochs:
//! the rate when the schedule is built, then after each `step` (PyTorch: `scheduler.step()`
//! after each epoch, reading `optimizer.param_groups[0]['lr']`). The expected values are in
//! `tests/fixtures/pytorch_schedules.rs`, written by `fixtures/generate.py` (see
//! `fixtures/README.md`); no Python is needed here.
//!
//! PyTorch keeps learning rates in Python floats whatever the model's dtype, so the fixtures
//! are `f64` only, and typenet's `f32` schedules are held to them too. Each rate is compared
//! relative to itself: `f64` within 1e-9, `f32` within 1e-4. Every test prints the largest
//! relative difference it saw (`cargo test --test schedule_parity -- --nocapture`). Measured
//! with torch 2.15: 0 in `f64` for every schedule in PyTorch's own form (the same operations
//! in the same order, and the same libm); in `f32`, at most 6.7e-8, the rounding of η0 and
//! of the result to `f32`. The closed forms differ from PyTorch's recursive ones by at most
//! 2.0e-16 (step decay), 4.6e-16 (warm-up) and 4.6e-15 (cosine annealing, T = 10).

mod common;
mod fixtures {
    include!("fixtures/pytorch_schedules.rs");
}

use common::{Comparisons, Tolerance};
use fixtures::*;
use typenet::optim::{Optimizer, Sgd};
use typenet::schedule::{
    Constant, CosineAnnealing, ExponentialDecay, InverseDecay, LinearWarmup, ReduceOnPlateau,
    Schedule, StepDecay, Threshold,
};
use typenet::Scalar;

/// The epochs of every fixture: each has the rate at construction and after each of these.
const EPOCHS: usize = 30;
/// Every rate against PyTorch's, relative to PyTorch's: as [`Tolerance::F64`].
const F64: Tolerance = Tolerance::F64;
/// As [`Tolerance::F32`] but without its absolute floor, which is meant for arrays compared
/// relative to their largest element; here each rate is its own scale.
const F32: Tolerance = Tolerance {
    relative: Tolerance::F32.relative,
    absolute: 0.0,
};

/// η0, in `T`.
fn lr<T: Scalar>() -> T {
    T::from_f64(SCHED_LR)
}

/// The rates of `schedule` before any step and after each of [`EPOCHS`], each also applied
/// to an optimizer, which must then hold it (or the smallest normal `f32` for 0).
fn rates<T: Scalar, S: Schedule<T>>(mut schedule: S) -> [f64; EPOCHS + 1] {
    let mut sgd = Sgd::new(T::ONE).unwrap();
    core::array::from_fn(|t| {
        if t > 0 {
            schedule.step();
        }
        schedule.apply(&mut sgd).unwrap();
        held_by(&sgd, schedule.lr())
    })
}

/// The rates of a plateau schedule given `metrics`, one per epoch, applied as in [`rates`].
fn plateau_rates<T: Scalar>(
    mut schedule: ReduceOnPlateau<T>,
    metrics: &[f64; EPOCHS],
) -> [f64; EPOCHS + 1] {
    let mut sgd = Sgd::new(T::ONE).unwrap();
    core::array::from_fn(|t| {
        if t > 0 {
            let metric = T::from_f64(metrics[t - 1]);
            assert_eq!(metric.to_f64(), metrics[t - 1], "the losses are f32 values");
            schedule.step_with(metric);
        }
        schedule.apply(&mut sgd).unwrap();
        held_by(&sgd, schedule.lr())
    })
}

/// `lr` in `f64`, after checking that `sgd` holds it.
fn held_by<T: Scalar>(sgd: &Sgd<T>, lr: T) -> f64 {
    let smallest = T::from_f64(f32::MIN_POSITIVE.into());
    let expected = if lr == T::ZERO { smallest } else { lr };
    assert_eq!(sgd.lr(), expected, "the optimizer's rate");
    lr.to_f64()
}

/// Compares `actual` with PyTorch's `expected`, epoch by epoch, within `tol` of each rate;
/// returns the largest relative difference.
fn compare(what: &str, tol: Tolerance, actual: &[f64], expected: &[f64]) -> f64 {
    let mut parity = Comparisons::new(what, tol);
    for (t, (a, e)) in actual.iter().zip(expected).enumerate() {
        parity.check(&format!("epoch {t}"), &[*a], &[*e]);
    }
    parity.worst
}

/// Checks a schedule's `f64` and `f32` rates against `expected` and prints the largest
/// relative differences.
fn check(what: &str, f64: [f64; EPOCHS + 1], f32: [f64; EPOCHS + 1], expected: &[f64]) {
    let d64 = compare(&format!("{what}, f64:"), F64, &f64, expected);
    let d32 = compare(&format!("{what}, f32:"), F32, &f32, expected);
    eprintln!("{what}: largest relative difference f64 {d64:.1e}, f32 {d32:.1e}");
}

/// The largest relative difference between two runs of `f64` rates.
fn largest_difference(a: &[f64], b: &[f64]) -> f64 {
    let relative = |(a, b): (&f64, &f64)| {
        if *b == 0.0 {
            a.abs()
        } else {
            (a - b).abs() / b.abs()
        }
    };
    a.iter().zip(b).map(relative).fold(0.0, f64::max)
}

fn constant<T: Scalar>() -> Constant<T> {
    Constant::new(lr()).unwrap()
}

/// No scheduler: `LambdaLR(lambda t: 1.0)`.
#[test]
fn constant_matches_pytorch() {
    check(
        "Constant",
        rates(constant::<f64>()),
        rates(constant::<f32>()),
        &CONSTANT_LRS,
    );
}

fn step_decay<T: Scalar>() -> StepDecay<T> {
    StepDecay::new(lr(), STEP_SIZE as u64, STEP_GAMMA).unwrap()
}

/// `StepLR(step_size=3, gamma=0.7)`, recursive (lr ← lr·γ) as PyTorch; the closed form
/// η0·γ^⌊t/T⌋ within the tolerance too.
#[test]
fn step_decay_matches_pytorch() {
    check(
        "StepLR",
        rates(step_decay::<f64>()),
        rates(step_decay::<f32>()),
        &STEP_LRS,
    );
    let closed = rates(step_decay::<f64>().closed_form());
    check(
        "StepLR, closed form",
        closed,
        rates(step_decay::<f32>().closed_form()),
        &STEP_LRS,
    );
    assert_ne!(
        closed, STEP_LRS,
        "the closed form should round differently somewhere"
    );
}

fn inverse<T: Scalar>() -> InverseDecay<T> {
    InverseDecay::new(lr(), INVERSE_RATE).unwrap()
}

/// η0/(1 + εt): `LambdaLR(lambda t: 1 / (1 + 0.3 * t))`.
#[test]
fn inverse_decay_matches_pytorch() {
    check(
        "Inverse",
        rates(inverse::<f64>()),
        rates(inverse::<f32>()),
        &INVERSE_LRS,
    );
}

fn course<T: Scalar>() -> ExponentialDecay<T> {
    ExponentialDecay::new(lr(), EXP_RATE).unwrap()
}

fn exponential_lr<T: Scalar>() -> ExponentialDecay<T> {
    ExponentialDecay::recursive(lr(), EXPONENTIAL_GAMMA).unwrap()
}

/// η0·e^(−εt): `LambdaLR(lambda t: math.exp(-0.15 * t))`; and `ExponentialLR(gamma=e^(−ε))`,
/// lr ← lr·γ. Each form also stays within the tolerance of the other.
#[test]
fn exponential_decay_matches_pytorch() {
    let (course64, recursive64) = (rates(course::<f64>()), rates(exponential_lr::<f64>()));
    check(
        "Exponential e^(−εt)",
        course64,
        rates(course::<f32>()),
        &EXP_LRS,
    );
    check(
        "ExponentialLR",
        recursive64,
        rates(exponential_lr::<f32>()),
        &EXPONENTIAL_LRS,
    );
    compare(
        "e^(−εt) against ExponentialLR:",
        F64,
        &course64,
        &EXPONENTIAL_LRS,
    );
    let diff = largest_difference(&recursive64, &EXP_LRS);
    eprintln!("  ExponentialLR against e^(−εt): {diff:.1e}");
}

fn warmup<T: Scalar>() -> LinearWarmup<T> {
    LinearWarmup::new(lr(), WARMUP_START, WARMUP_ITERS as u64).unwrap()
}

/// `LinearLR(start_factor=0.1, end_factor=1.0, total_iters=10)`, recursive as PyTorch; the
/// closed form within the tolerance too.
#[test]
fn linear_warmup_matches_pytorch() {
    check(
        "LinearLR",
        rates(warmup::<f64>()),
        rates(warmup::<f32>()),
        &WARMUP_LRS,
    );
    let closed = rates(warmup::<f64>().closed_form());
    check(
        "LinearLR, closed form",
        closed,
        rates(warmup::<f32>().closed_form()),
        &WARMUP_LRS,
    );
}

fn cosine<T: Scalar>(t_max: usize, eta_min: f64) -> CosineAnnealing<T> {
    CosineAnnealing::new(lr(), t_max as u64, T::from_f64(eta_min)).unwrap()
}

/// `CosineAnnealingLR(T_max=10, eta_min=0.001)` over three half-periods, and
/// `CosineAnnealingLR(T_max=30)` down to 0, recursive as PyTorch; the closed forms within
/// the tolerance too.
#[test]
fn cosine_annealing_matches_pytorch() {
    for (what, t_max, eta_min, expected) in [
        (
            "CosineAnnealingLR",
            COSINE_T_MAX,
            COSINE_ETA_MIN,
            &COSINE_LRS,
        ),
        (
            "CosineAnnealingLR to 0",
            COSINE_FULL_T_MAX,
            0.0,
            &COSINE_FULL_LRS,
        ),
    ] {
        let (f64, f32) = (cosine::<f64>(t_max, eta_min), cosine::<f32>(t_max, eta_min));
        check(what, rates(f64.clone()), rates(f32.clone()), expected);
        let closed = rates(f64.closed_form());
        check(
            &format!("{what}, closed form"),
            closed,
            rates(f32.closed_form()),
            expected,
        );
    }
    assert_eq!(COSINE_FULL_LRS[EPOCHS], 0.0);
}

fn warmup_then_cosine<T: Scalar>() -> impl Schedule<T> {
    let milestone = SEQUENTIAL_MILESTONE as u64;
    let warmup = LinearWarmup::new(lr(), SEQUENTIAL_WARMUP_START, milestone).unwrap();
    warmup.then(milestone, cosine(SEQUENTIAL_T_MAX, COSINE_ETA_MIN))
}

/// `SequentialLR([LinearLR(0.1, total_iters=5), CosineAnnealingLR(T_max=25,
/// eta_min=0.001)], milestones=[5])`.
#[test]
fn warmup_then_cosine_matches_pytorch() {
    let (f64, f32) = (warmup_then_cosine::<f64>(), warmup_then_cosine::<f32>());
    check("SequentialLR", rates(f64), rates(f32), &SEQUENTIAL_LRS);
}

fn plateau<T: Scalar>() -> ReduceOnPlateau<T> {
    let schedule = ReduceOnPlateau::new(lr()).unwrap();
    let schedule = schedule.with_factor(PLATEAU_FACTOR).unwrap();
    let schedule = schedule.with_patience(PLATEAU_PATIENCE as u64);
    let schedule = schedule
        .with_threshold(Threshold::Relative(PLATEAU_THRESHOLD))
        .unwrap();
    let schedule = schedule.with_cooldown(PLATEAU_COOLDOWN as u64);
    schedule.with_min_lr(T::from_f64(PLATEAU_MIN_LR)).unwrap()
}

/// The same with eps = 0.03 and no min_lr.
fn plateau_eps<T: Scalar>() -> ReduceOnPlateau<T> {
    let schedule = plateau().with_min_lr(T::ZERO).unwrap();
    schedule.with_eps(PLATEAU_EPS_EPS).unwrap()
}

/// The same for a metric to maximize, with an absolute threshold.
fn plateau_max<T: Scalar>() -> ReduceOnPlateau<T> {
    let threshold = Threshold::Absolute(PLATEAU_MAX_THRESHOLD);
    plateau().maximize().with_threshold(threshold).unwrap()
}

/// `ReduceLROnPlateau(factor=0.5, patience=2, threshold=1e-4, cooldown=2, min_lr=0.02)` on
/// the scripted losses; the same with eps=0.03; and in mode 'max' with an absolute threshold
/// on the losses negated.
#[test]
fn reduce_on_plateau_matches_pytorch() {
    let losses = &PLATEAU_LOSSES;
    let negated = &losses.map(|loss| -loss);
    for (what, f64, f32, metrics, expected) in [
        (
            "ReduceLROnPlateau",
            plateau(),
            plateau(),
            losses,
            &PLATEAU_LRS,
        ),
        (
            "ReduceLROnPlateau, eps 0.03",
            plateau_eps(),
            plateau_eps(),
            losses,
            &PLATEAU_EPS_LRS,
        ),
        (
            "ReduceLROnPlateau, max, abs",
            plateau_max(),
            plateau_max(),
            negated,
            &PLATEAU_MAX_LRS,
        ),
    ] {
        let (f64, f32) = (
            plateau_rates::<f64>(f64, metrics),
            plateau_rates::<f32>(f32, metrics),
        );
        check(what, f64, f32, expected);
    }
}

/// The scripted losses exercise every rule: with any one of them changed, the rates differ
/// from PyTorch's.
#[test]
fn the_plateau_script_exercises_every_rule() {
    let losses = &PLATEAU_LOSSES;
    let differs = |schedule: ReduceOnPlateau<f64>, what: &str| {
        assert_ne!(plateau_rates(schedule, losses), PLATEAU_LRS, "{what}");
    };
    // An improvement smaller than the relative threshold (epoch 3) counts as bad.
    differs(
        plateau().with_threshold(Threshold::Relative(0.0)).unwrap(),
        "threshold",
    );
    // Bad epochs in a cooldown are not counted (epochs 6 and 7).
    differs(plateau().with_cooldown(0), "cooldown");
    differs(
        plateau().with_patience(PLATEAU_PATIENCE as u64 + 1),
        "patience",
    );
    // The third cut is clamped to min_lr (epoch 19), later ones are below eps (epoch 24).
    differs(plateau().with_min_lr(0.0).unwrap(), "min_lr");
    let exact = PLATEAU_LRS
        .iter()
        .filter(|&&lr| lr == PLATEAU_MIN_LR)
        .count();
    assert_eq!(exact, 11, "the rate stays at min_lr from epoch 20 on");
}
