//! The optimizer's tests: steps by hand, PyTorch's trajectories, hyper-parameters.

use super::*;
use crate::math::dot;
use crate::optim::testing::assert_rejects_bad_learning_rates;
use core::mem::size_of;
use std::string::ToString;

/// Asserts |a − b| ≤ tol·max(1, |b|) for each pair.
#[track_caller]
pub(super) fn assert_near(actual: &[f64], expected: &[f64], tol: f64) {
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let allowed = tol * e.abs().max(1.0);
        assert!((a - e).abs() <= allowed, "[{i}]: {a:e} against {e:e}");
    }
}

/// f(x) = x₀² + x₁², writing its gradient.
fn bowl(x: &[f64; 2], g: &mut [f64; 2]) -> Result<f64, Error> {
    *g = [2.0 * x[0], 2.0 * x[1]];
    Ok(x[0] * x[0] + x[1] * x[1])
}

#[test]
fn a_fixed_first_step_by_hand() {
    let mut lbfgs = Lbfgs::<f64, 4>::new(0.5).unwrap().with_max_iter(1).unwrap();
    let mut state = Flat::zeroed();
    let mut x = [1.0, 2.0];
    let report = lbfgs.step(&mut x, &mut state, bowl).unwrap();
    // g = (2, 4), d = −g; t = min(1, 1/‖g‖₁)·lr = (1/6)·0.5; x + t·d = (5/6, 5/3).
    assert_near(&x, &[5.0 / 6.0, 5.0 / 3.0], 1e-15);
    assert_eq!(state.step_length, 1.0 / 6.0 * 0.5);
    // One iteration, and no evaluation after its move.
    let expected = LbfgsReport {
        loss: 5.0,
        iterations: 1,
        evaluations: 1,
        stop: LbfgsStop::IterationLimit,
    };
    assert_eq!(report, expected);
    // The next step starts with the evaluation, then keeps the pair s = t·d, y = Δg.
    let report = lbfgs.step(&mut x, &mut state, bowl).unwrap();
    assert!((report.loss - (25.0 / 36.0 + 25.0 / 9.0)).abs() < 1e-15);
    assert_eq!(lbfgs.history.len, 1);
    assert_near(&state.s[0], &[-1.0 / 6.0, -1.0 / 3.0], 1e-15);
    assert_near(&state.y[0], &[-1.0 / 3.0, -2.0 / 3.0], 1e-15);
    assert_eq!((lbfgs.iterations(), lbfgs.evaluations()), (2, 2));
}

#[test]
fn a_step_at_a_minimum_does_nothing() {
    let mut lbfgs = Lbfgs::<f64, 4>::new(1.0).unwrap();
    let mut state = Flat::zeroed();
    let mut x = [0.0, 0.0];
    let report = lbfgs.step(&mut x, &mut state, bowl).unwrap();
    assert_eq!((report.iterations, report.evaluations), (0, 1));
    assert_eq!(report.stop, LbfgsStop::GradientSmall);
    assert_eq!(x, [0.0, 0.0]);
}

#[test]
fn an_exact_line_search_solves_a_quadratic_in_n_iterations() {
    // f(x) = ½xᵀAx − bᵀx in 3-D. With exact line searches L-BFGS takes conjugate
    // directions, so it reaches the minimum A⁻¹b in at most 3 iterations; a tiny c₂
    // makes the strong-Wolfe search exact (it interpolates a quadratic exactly).
    let a = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
    let b = [1.0, 2.0, 3.0];
    let quadratic = |x: &[f64; 3], g: &mut [f64; 3]| {
        let ax = a.map(|row| dot(&row, x));
        for ((g, ax), b) in g.iter_mut().zip(ax).zip(b) {
            *g = ax - b;
        }
        Ok(0.5 * dot(x, &ax) - dot(&b, x))
    };
    let lbfgs = Lbfgs::<f64, 5>::new(1.0).unwrap();
    let lbfgs = lbfgs.with_line_search(LineSearch::StrongWolfe);
    let mut lbfgs = lbfgs.with_wolfe_constants(1e-10, 1e-8).unwrap();
    let mut state = Flat::zeroed();
    let mut x = [0.0; 3];
    let report = lbfgs.step(&mut x, &mut state, quadratic).unwrap();
    assert_eq!(report.stop, LbfgsStop::GradientSmall);
    assert!(report.iterations <= 3, "{report:?}");
    // A⁻¹b = (2, 1, 13)/9, by elimination.
    assert_near(&x, &[2.0 / 9.0, 1.0 / 9.0, 13.0 / 9.0], 1e-12);

    // With PyTorch's c₂ = 0.9 the first acceptable step is taken instead: more
    // iterations.
    let lbfgs = Lbfgs::<f64, 5>::new(1.0).unwrap();
    let mut lbfgs = lbfgs.with_line_search(LineSearch::StrongWolfe);
    let mut x = [0.0; 3];
    let inexact = lbfgs.step(&mut x, &mut Flat::zeroed(), quadratic).unwrap();
    assert!(inexact.iterations > report.iterations, "{inexact:?}");
}

/// Rosenbrock's function (1 − x₀)² + 100(x₁ − x₀²)², writing its gradient.
fn rosenbrock(x: &[f64; 2], g: &mut [f64; 2]) -> Result<f64, Error> {
    let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    *g = [-2.0 * a - 400.0 * x[0] * b, 200.0 * b];
    Ok(a * a + 100.0 * b * b)
}

#[test]
fn rosenbrock_from_the_classic_start_as_pytorch() {
    // torch 2.15, float64, the same gradient formula written into x.grad:
    //   x = torch.tensor([-1.2, 1.0], requires_grad=True)
    //   opt = torch.optim.LBFGS([x], lr=1, max_iter=100, history_size=10,
    //                           line_search_fn="strong_wolfe")
    //   opt.step(closure)  # then state["func_evals"], state["n_iter"], x
    let lbfgs = Lbfgs::<f64, 10>::new(1.0)
        .unwrap()
        .with_max_iter(100)
        .unwrap();
    let mut lbfgs = lbfgs.with_line_search(LineSearch::StrongWolfe);
    let mut state = Flat::zeroed();
    let mut x = [-1.2, 1.0];
    let report = lbfgs.step(&mut x, &mut state, rosenbrock).unwrap();
    assert!((report.loss - 24.2).abs() < 1e-14);
    assert_eq!((report.evaluations, report.iterations), (44, 36));
    assert_near(&x, &[0.9999993334076399, 0.9999986743824542], 1e-12);
    // At (1, 1) to 6 digits, the slope along the next direction is below 10⁻⁹.
    assert_eq!(report.stop, LbfgsStop::NoDescent);
}

#[test]
fn errors_from_the_closure_stop_the_step() {
    let mut lbfgs = Lbfgs::<f64, 4>::new(1.0).unwrap();
    let mut state = Flat::zeroed();
    let mut x = [1.0, 2.0];
    let mut calls = 0;
    let err = lbfgs.step(&mut x, &mut state, |x, g| {
        calls += 1;
        if calls == 3 {
            return Err(Error::NonFiniteLoss {
                loss: f64::NAN,
                epoch: None,
                step: None,
            });
        }
        bowl(x, g)
    });
    assert!(matches!(err, Err(Error::NonFiniteLoss { .. })));
    assert_eq!(calls, 3);
}

#[test]
fn hyper_parameters_are_checked() {
    assert_rejects_bad_learning_rates(Lbfgs::<f64>::new);
    let lbfgs = Lbfgs::<f64>::new(1.0).unwrap();
    assert_eq!(lbfgs.clone().with_max_iter(0).unwrap_err().name, "max_iter");
    assert_eq!(lbfgs.clone().with_max_eval(0).unwrap_err().name, "max_eval");
    for tolerance in [-1e-9, f64::NAN, f64::INFINITY] {
        let err = lbfgs.clone().with_tolerance_grad(tolerance).unwrap_err();
        assert_eq!(err.name, "tolerance_grad");
        let err = lbfgs.clone().with_tolerance_change(tolerance).unwrap_err();
        assert_eq!(err.name, "tolerance_change");
    }
    for (c1, c2, name) in [
        (0.0, 0.9, "c1"),
        (1.0, 0.9, "c1"),
        (f64::NAN, 0.9, "c1"),
        (0.5, 0.4, "c2"),
        (1e-4, 1.0, "c2"),
        (1e-4, f64::NAN, "c2"),
    ] {
        let err = lbfgs.clone().with_wolfe_constants(c1, c2).unwrap_err();
        assert_eq!(err.name, name, "c1 {c1}, c2 {c2}");
    }
    assert_eq!(
        lbfgs.clone().with_max_iter(0).unwrap_err().to_string(),
        "invalid max_iter: 0 (expected at least 1)"
    );
    // Zero tolerances are valid: the step runs to its limits.
    let lbfgs = lbfgs.with_tolerance_grad(0.0).unwrap();
    let lbfgs = lbfgs.with_tolerance_change(0.0).unwrap();
    // max_eval follows max_iter unless it is set.
    assert_eq!(lbfgs.max_eval(), 25);
    let lbfgs = lbfgs.with_max_iter(8).unwrap();
    assert_eq!(lbfgs.max_eval(), 10);
    let lbfgs = lbfgs.with_max_eval(3).unwrap().with_max_iter(100).unwrap();
    assert_eq!((lbfgs.max_eval(), lbfgs.lr()), (3, 1.0));
}

#[test]
fn the_state_is_2h_plus_6_copies_of_the_parameters_and_2h_plus_2_scalars() {
    type State = LbfgsState<[f32; 7], 4, f32>;
    assert_eq!(<State as Flat<f32>>::LEN, (2 * 4 + 6) * 7 + 4 + 2);
    assert_eq!(size_of::<State>(), <State as Flat<f32>>::LEN * 4);
}
