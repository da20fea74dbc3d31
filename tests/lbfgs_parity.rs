//! L-BFGS trains the small network of `optimizer_parity.rs` as PyTorch's `torch.optim.LBFGS`
//! does, in f64 and in f32, with a strong-Wolfe line search (three learning rates, so that
//! first trials are accepted, too short or too long) and with a fixed step: five
//! `step(closure)` calls each, comparing after every call the loss it returned, the 43
//! parameters and the counts of evaluations and iterations so far. The expected values are
//! in `tests/fixtures/pytorch_lbfgs.rs` (the network and batch in `pytorch_optim.rs`), written
//! by `fixtures/generate.py` (see `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances ([`Tolerance`]): f64 within 1e-9 and f32 within 1e-4 (at least 1e-6), relative
//! to the largest magnitude in each array; the counts must be equal. Each test reports the
//! largest relative difference it saw (`cargo test --test lbfgs_parity -- --nocapture`).
//! Measured with torch 2.15: at most 1.7e-14 in f64 (the fixed-step run, whose 20 iterations
//! carry differences of rounding furthest) and 5.6e-6 in f32, which torch's own f32 and f64
//! runs differ by up to 4.1e-6. A wrong convention is off by far more in the first step's
//! parameters: a first step of lr instead of min(1, 1/‖g‖₁)·lr by 5e-5 to 1.2e-1, an
//! unscaled H̃₀ = I instead of γI by 3e-4 to 3e-2 (in the first or second step). The pairs of
//! these runs all pass the curvature check; the unit tests check that it drops one.

mod common;
mod small;
mod fixtures {
    include!("fixtures/pytorch_lbfgs.rs");
}

use common::Comparisons;
use fixtures::*;
use rand::{rngs::StdRng, SeedableRng};
use small::fixtures::OPT_LABELS;
use small::{initial, Problem as Precision, SmallCache, SmallParams};
use small::{PARAMETERS, ROWS, STEPS};
use typenet::optim::{Lbfgs, LbfgsState, LineSearch};
use typenet::prelude::*;

/// What PyTorch recorded for one run, per `step` call.
struct Run<'a, T> {
    /// The loss `step` returned: at the start of the call.
    losses: &'a [T; STEPS],
    /// The parameters after the call.
    params: &'a [[T; PARAMETERS]; STEPS],
    /// `state["func_evals"]` and `state["n_iter"]` after the call.
    evals: &'a [usize; STEPS],
    iters: &'a [usize; STEPS],
}

/// Runs `lbfgs` on `Small` from PyTorch's initial parameters for five steps, the closure
/// evaluating the loss and gradient on the fixture batch, and compares every step with
/// `expected`. Returns the largest relative difference.
fn check<T: Precision, const H: usize>(mut lbfgs: Lbfgs<T, H>, expected: &Run<'_, T>) -> f64 {
    let mut net = initial::<T>();
    let mut params = net.params().clone();

    let mut state = LbfgsState::<SmallParams<T>, H, T>::zeroed();
    let mut cache = SmallCache::<ROWS, T>::zeroed();
    let mut rng = StdRng::seed_from_u64(0); // no dropout: never drawn
    let mut worst = 0.0f64;
    for step in 0..STEPS {
        let mut parity = Comparisons::new(format!("{} step {}:", T::NAME, step + 1), T::TOL);
        let report = lbfgs
            .step(&mut params, &mut state, |p, grads| {
                *net.params_mut() = p.clone();
                net.loss_and_grad(&T::X, &OPT_LABELS, &mut cache, grads, &mut rng)
            })
            .unwrap();
        parity.check("loss", &[report.loss], &expected.losses[step..=step]);
        parity.check("parameters", params.as_flat(), &expected.params[step]);
        let counts = (lbfgs.evaluations(), lbfgs.iterations());
        let torch = (expected.evals[step] as u64, expected.iters[step] as u64);
        assert_eq!(
            counts,
            torch,
            "{} step {}: (evaluations, iterations) so far",
            T::NAME,
            step + 1
        );
        worst = worst.max(parity.worst);
    }
    worst
}

/// Prints a test's largest relative differences, for the record.
fn report(what: &str, f64: f64, f32: f64) {
    eprintln!("{what}: largest relative difference f64 {f64:.1e}, f32 {f32:.1e}");
}

/// `LBFGS(lr, max_iter, history_size, line_search_fn)` as typenet builds it.
fn lbfgs<T: Scalar, const H: usize>(
    lr: T,
    max_iter: usize,
    line_search: LineSearch,
) -> Lbfgs<T, H> {
    let lbfgs = Lbfgs::new(lr).unwrap().with_max_iter(max_iter).unwrap();
    lbfgs.with_line_search(line_search)
}

/// Checks one run in f64 and in f32 and reports: `run!(title, line search, NAME)` reads the
/// fixtures `NAME_HISTORY`, `NAME_MAX_ITER`, `NAME_EVALS`, `NAME_ITERS` and, in each
/// precision, `NAME_LR_F64`, `NAME_LOSSES_F64`, `NAME_PARAMS_F64` (all given by name).
macro_rules! run {
    (
        $what:expr, $line_search:expr,
        history: $history:ident, max_iter: $max_iter:ident,
        evals: $evals:ident, iters: $iters:ident,
        f64: $lr:ident, $losses:ident, $params:ident,
        f32: $lr32:ident, $losses32:ident, $params32:ident $(,)?
    ) => {{
        let (evals, iters) = (&$evals, &$iters);
        let f64 = check(
            lbfgs::<f64, $history>($lr, $max_iter, $line_search),
            &Run {
                losses: &$losses,
                params: &$params,
                evals,
                iters,
            },
        );
        let f32 = check(
            lbfgs::<f32, $history>($lr32, $max_iter, $line_search),
            &Run {
                losses: &$losses32,
                params: &$params32,
                evals,
                iters,
            },
        );
        report($what, f64, f32);
    }};
}

/// `LBFGS(lr=1, max_iter=3, history_size=5, line_search_fn="strong_wolfe")`: PyTorch's lr,
/// whose first trial the line search accepts at every iteration here.
#[test]
fn strong_wolfe_matches_pytorch() {
    run!(
        "L-BFGS, strong Wolfe, lr 1", LineSearch::StrongWolfe,
        history: LBFGS_WOLFE_HISTORY, max_iter: LBFGS_WOLFE_MAX_ITER,
        evals: LBFGS_WOLFE_EVALS, iters: LBFGS_WOLFE_ITERS,
        f64: LBFGS_WOLFE_LR_F64, LBFGS_WOLFE_LOSSES_F64, LBFGS_WOLFE_PARAMS_F64,
        f32: LBFGS_WOLFE_LR_F32, LBFGS_WOLFE_LOSSES_F32, LBFGS_WOLFE_PARAMS_F32,
    );
}

/// lr 0.25: a first trial is too short, and the line search extrapolates.
#[test]
fn strong_wolfe_extrapolating_matches_pytorch() {
    run!(
        "L-BFGS, strong Wolfe, lr 0.25", LineSearch::StrongWolfe,
        history: LBFGS_WOLFE_SHORT_HISTORY, max_iter: LBFGS_WOLFE_SHORT_MAX_ITER,
        evals: LBFGS_WOLFE_SHORT_EVALS, iters: LBFGS_WOLFE_SHORT_ITERS,
        f64: LBFGS_WOLFE_SHORT_LR_F64, LBFGS_WOLFE_SHORT_LOSSES_F64, LBFGS_WOLFE_SHORT_PARAMS_F64,
        f32: LBFGS_WOLFE_SHORT_LR_F32, LBFGS_WOLFE_SHORT_LOSSES_F32, LBFGS_WOLFE_SHORT_PARAMS_F32,
    );
}

/// lr 6 with a history of 3: first trials overshoot, and the line search zooms in.
#[test]
fn strong_wolfe_zooming_matches_pytorch() {
    run!(
        "L-BFGS, strong Wolfe, lr 6", LineSearch::StrongWolfe,
        history: LBFGS_WOLFE_LONG_HISTORY, max_iter: LBFGS_WOLFE_LONG_MAX_ITER,
        evals: LBFGS_WOLFE_LONG_EVALS, iters: LBFGS_WOLFE_LONG_ITERS,
        f64: LBFGS_WOLFE_LONG_LR_F64, LBFGS_WOLFE_LONG_LOSSES_F64, LBFGS_WOLFE_LONG_PARAMS_F64,
        f32: LBFGS_WOLFE_LONG_LR_F32, LBFGS_WOLFE_LONG_LOSSES_F32, LBFGS_WOLFE_LONG_PARAMS_F32,
    );
}

/// `LBFGS(lr=0.1, max_iter=4, history_size=5)`: a fixed step, one evaluation per iteration
/// but none after the last of each step.
#[test]
fn fixed_step_matches_pytorch() {
    run!(
        "L-BFGS, fixed step, lr 0.1", LineSearch::Fixed,
        history: LBFGS_FIXED_HISTORY, max_iter: LBFGS_FIXED_MAX_ITER,
        evals: LBFGS_FIXED_EVALS, iters: LBFGS_FIXED_ITERS,
        f64: LBFGS_FIXED_LR_F64, LBFGS_FIXED_LOSSES_F64, LBFGS_FIXED_PARAMS_F64,
        f32: LBFGS_FIXED_LR_F32, LBFGS_FIXED_LOSSES_F32, LBFGS_FIXED_PARAMS_F32,
    );
}
