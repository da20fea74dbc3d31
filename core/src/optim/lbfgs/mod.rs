//! L-BFGS: PyTorch's `torch.optim.LBFGS`, the limited-memory quasi-Newton method for
//! full-batch problems, with a fixed step or a strong-Wolfe line search.
//!
//! The reference is PyTorch's implementation, `torch/optim/lbfgs.py` (torch 2.15: `LBFGS.step`,
//! `_strong_wolfe` and `_cubic_interpolate`, themselves ports of minFunc and of Torch7's
//! `optim` package); the method is Nocedal and Wright's (*Numerical Optimization*, 2nd ed.:
//! Algorithm 7.4 for the two-loop recursion, Algorithms 3.5 and 3.6 for the line search and
//! its zoom). The code here is written afresh but takes PyTorch's steps in PyTorch's order,
//! so that its trajectories match (`tests/lbfgs_parity.rs`).
//!
//! `history` keeps the (s, y) pairs and turns them into a direction, `line_search` finds the
//! step along it, and `state` holds both's memory.

mod history;
mod line_search;
mod state;
#[cfg(test)]
mod tests;

use crate::error::{Error, InvalidHyperParameter};
use crate::flat::Flat;
use crate::math::{axpy, axpy_into, dot, max_abs, sum_abs};
use crate::scalar::Scalar;
use crate::validate::{self, check};
use history::History;
use line_search::{strong_wolfe, Slot, Trial, Wolfe, C1, C2};
pub use state::LbfgsState;

/// Why `Lbfgs::<T, 0>::new` does not compile.
const NO_HISTORY: &str = "an L-BFGS history must hold at least one (s, y) pair: give `Lbfgs` a history size H of 1 or more";

/// L-BFGS, like `torch.optim.LBFGS(params, lr, max_iter, max_eval, tolerance_grad,
/// tolerance_change, history_size, line_search_fn)`, for problems whose loss and gradient can
/// be computed exactly, on the whole data set at once.
///
/// Unlike the other optimizers it does not take a gradient: each [`step`](Lbfgs::step) calls
/// a closure that evaluates the loss and writes the gradient at the parameters it is given,
/// as often as the step needs (PyTorch's `step(closure)`). One step runs up to `max_iter`
/// iterations and `max_eval` evaluations. Each iteration:
///
/// ```text
/// s = t·d,  y = gₖ − gₖ₋₁    the last move and the change of gradient it brought, kept
///                           when y·s > 10⁻¹⁰ (dropping the oldest pair if H are kept);
///                           γ = y·s / y·y for the newest pair kept
/// d = −H̃ₖ·gₖ                the two-loop recursion over the kept pairs, H̃₀ = γI
///                           (d = −g on the very first iteration)
/// t = lr                    (min(1, 1/‖g‖₁)·lr on the very first iteration)
/// t ← a step satisfying the strong Wolfe conditions along d, starting from t
///                           (with LineSearch::StrongWolfe; else t stays lr)
/// p ← p + t·d
/// ```
///
/// and the step stops early when g·d > −`tolerance_change` (no descent), max |g| ≤
/// `tolerance_grad`, max |t·d| ≤ `tolerance_change`, or the loss changed by less than
/// `tolerance_change` ([`LbfgsStop`] names each test). With the fixed step, the loss is not
/// evaluated after the last iteration of a step (PyTorch saves that evaluation; the next
/// step starts with one).
///
/// The defaults are PyTorch's: `max_iter` 20, `max_eval` ⌊5·`max_iter`/4⌋, `tolerance_grad`
/// 10⁻⁷, `tolerance_change` 10⁻⁹, a fixed step; the Wolfe constants c₁ = 10⁻⁴ and c₂ = 0.9.
/// The history size `H` (PyTorch's `history_size`, 100 by default) is a type parameter, so
/// that the state is a [`Flat`] block: [`LbfgsState`].
///
/// # Rounding
/// PyTorch computes the vectors (g, d, sᵢ, yᵢ) and their dot products (g·d, ρᵢ = 1/yᵢ·sᵢ, γ,
/// the recursion's coefficients) in the tensors' type, and so does this, with sums taken in
/// order (PyTorch's BLAS sums in another order). Its line search mixes Python floats with
/// 0-dimensional tensors of the parameters' type, depending on where each number came from;
/// here the line search computes in `f64` throughout, from the losses and the directional
/// derivatives, which are `T` values, and the step length t is rounded to `T` where it meets a
/// vector (p + t·d). The tolerances are `f64`, as PyTorch keeps them in Python floats, and
/// are rounded to `T` where PyTorch compares them with a tensor (all but the test on the
/// loss). PyTorch's CPU kernels also fuse the multiply-adds of p + t·d and of the recursion's
/// updates, which this code does not. Measured against torch 2.15's trajectories
/// (tests/lbfgs_parity.rs, 10 to 20 iterations): within 1.7·10⁻¹⁴ relative in `f64` and
/// 5.6·10⁻⁶ in `f32`, with the same numbers of evaluations and iterations. Near a minimum,
/// where y = gₖ − gₖ₋₁ is a difference of nearly equal gradients, L-BFGS in `f32` amplifies
/// roundings (torch's own `f32` and `f64` runs then part): prefer `f64` when the loss gets
/// small.
///
/// A NaN loss or gradient is not caught (nor is it in PyTorch): return an error from the
/// closure to stop on one, e.g. [`Error::NonFiniteLoss`].
///
/// # One optimizer per state
/// The first iteration, which starts the history, is told by a count in the optimizer, and
/// the history's place in its ring buffer is kept there too. One `Lbfgs` value therefore
/// drives one state block: to optimize something else, or to start again, build a new one
/// and a zeroed state. It is deliberately not `Copy`.
///
/// # Type parameters
/// `T` scalar (`f32` by default); `H` the number of (s, y) pairs kept, at least 1 (100 by
/// default, as in PyTorch).
///
/// ```
/// use typenet_core::optim::{Lbfgs, LbfgsStop, LineSearch};
/// use typenet_core::Flat;
/// // f(x) = (x₀ − 1)² + 10·(x₁ + 2)², minimized at (1, −2)
/// let mut lbfgs = Lbfgs::<f64, 5>::new(1.0)
///     .unwrap()
///     .with_line_search(LineSearch::StrongWolfe);
/// let mut x = [0.0f64, 0.0];
/// let mut state = Flat::zeroed();
/// let report = lbfgs
///     .step(&mut x, &mut state, |x, grad| {
///         let (a, b) = (x[0] - 1.0, x[1] + 2.0);
///         *grad = [2.0 * a, 20.0 * b];
///         Ok(a * a + 10.0 * b * b)
///     })
///     .unwrap();
/// assert_eq!(report.loss, 41.0); // at the start
/// // Six evaluations, as in PyTorch: one at the start, one per line search, until the slope
/// // along the sixth direction is above −tolerance_change.
/// assert_eq!((report.iterations, report.evaluations), (6, 6));
/// assert_eq!(report.stop, LbfgsStop::NoDescent);
/// assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] + 2.0).abs() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs<T = f32, const H: usize = 100> {
    lr: T,
    max_iter: usize,
    /// `None`: ⌊5·`max_iter`/4⌋, computed when it is needed.
    max_eval: Option<usize>,
    tolerance_grad: f64,
    tolerance_change: f64,
    line_search: LineSearch,
    /// The Wolfe constants: sufficient decrease c₁ and curvature c₂.
    c1: f64,
    c2: f64,
    /// Where the kept pairs are in the state's ring buffer.
    history: History,
    /// Iterations since the optimizer was built (PyTorch's `state["n_iter"]`).
    iterations: u64,
    /// Loss evaluations since the optimizer was built (`state["func_evals"]`).
    evaluations: u64,
}

/// How [`Lbfgs`] chooses the step length along each direction (PyTorch's `line_search_fn`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineSearch {
    /// A fixed step: t = lr (`line_search_fn=None`, the default). The loss is evaluated
    /// once per iteration.
    #[default]
    Fixed,
    /// A line search for a step satisfying the strong Wolfe conditions
    /// (`line_search_fn="strong_wolfe"`): sufficient decrease, f(p + t·d) ≤ f(p) +
    /// c₁·t·(g·d), and curvature, |∇f(p + t·d)·d| ≤ c₂·|g·d|. It brackets such a step by
    /// cubic extrapolation, then zooms in on it by cubic interpolation, within the step's
    /// evaluation budget.
    StrongWolfe,
}

/// Why an [`Lbfgs`] step stopped: the test that ended it, in the order PyTorch makes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbfgsStop {
    /// The largest gradient component is at most `tolerance_grad`: a minimum (or a
    /// stationary point). Also reported when the step starts there, after no iteration.
    GradientSmall,
    /// The direction is not one of descent: g·d > −`tolerance_change`. The step ends
    /// before moving.
    NoDescent,
    /// `max_iter` iterations were run.
    IterationLimit,
    /// `max_eval` evaluations were made.
    EvaluationLimit,
    /// The last move was tiny: max |t·d| ≤ `tolerance_change`.
    StepSmall,
    /// The loss changed by less than `tolerance_change` in the last iteration.
    LossUnchanged,
}

/// What one [`Lbfgs::step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsReport<T> {
    /// The loss at the parameters the step started from (what PyTorch's `step` returns).
    pub loss: T,
    /// The iterations run: directions computed and, but for the last on
    /// [`LbfgsStop::NoDescent`], moved along.
    pub iterations: usize,
    /// The calls to the closure, the first (at the start) included.
    pub evaluations: usize,
    /// Why the step stopped.
    pub stop: LbfgsStop,
}

impl<T: Scalar, const H: usize> Lbfgs<T, H> {
    /// Stops compilation, where `new` is called, for a history that cannot hold a pair.
    /// The assertion is here, not in a helper, so that the error shows no frame between
    /// it and the caller's line.
    const HOLDS_A_PAIR: () = assert!(H > 0, "{}", NO_HISTORY);

    /// L-BFGS with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// `max_iter` 20, `max_eval` 25, `tolerance_grad` 10⁻⁷, `tolerance_change` 10⁻⁹, a fixed
    /// step. PyTorch's default lr is 1, the natural step of a quasi-Newton method.
    ///
    /// A history size `H` of 0 does not compile:
    ///
    /// ```compile_fail
    /// let lbfgs = typenet_core::optim::Lbfgs::<f64, 0>::new(1.0);
    /// ```
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        let () = Self::HOLDS_A_PAIR;
        validate::learning_rate(lr)?;
        Ok(Self {
            lr,
            max_iter: 20,
            max_eval: None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            line_search: LineSearch::Fixed,
            c1: C1,
            c2: C2,
            history: History::default(),
            iterations: 0,
            evaluations: 0,
        })
    }

    /// The same optimizer with at most `max_iter` iterations per step (at least 1). Unless
    /// [`with_max_eval`](Lbfgs::with_max_eval) set it, `max_eval` follows: ⌊5·`max_iter`/4⌋.
    ///
    /// ```
    /// use typenet_core::optim::Lbfgs;
    /// let lbfgs = Lbfgs::<f32>::new(1.0).unwrap().with_max_iter(4).unwrap();
    /// assert_eq!(lbfgs.max_eval(), 5);
    /// assert_eq!(lbfgs.with_max_iter(0).unwrap_err().name, "max_iter");
    /// ```
    pub fn with_max_iter(self, max_iter: usize) -> Result<Self, InvalidHyperParameter> {
        validate::at_least_one("max_iter", max_iter as u64)?;
        Ok(Self { max_iter, ..self })
    }

    /// The same optimizer with at most `max_eval` evaluations per step (at least 1), the
    /// first included. A line search stops when the budget is spent; as in PyTorch, its
    /// first trial is not counted against what is left, so a step that ends in a line
    /// search can make `max_eval` + 1.
    ///
    /// ```
    /// use typenet_core::optim::Lbfgs;
    /// assert_eq!(Lbfgs::<f32>::new(1.0).unwrap().with_max_eval(40).unwrap().max_eval(), 40);
    /// assert!(Lbfgs::<f32>::new(1.0).unwrap().with_max_eval(0).is_err());
    /// ```
    pub fn with_max_eval(self, max_eval: usize) -> Result<Self, InvalidHyperParameter> {
        validate::at_least_one("max_eval", max_eval as u64)?;
        Ok(Self {
            max_eval: Some(max_eval),
            ..self
        })
    }

    /// The same optimizer with the tolerance on the largest gradient component (finite, at
    /// least 0): a step stops when max |g| ≤ `tolerance_grad`.
    ///
    /// ```
    /// use typenet_core::optim::Lbfgs;
    /// assert!(Lbfgs::<f32>::new(1.0).unwrap().with_tolerance_grad(1e-5).is_ok());
    /// assert!(Lbfgs::<f32>::new(1.0).unwrap().with_tolerance_grad(-1.0).is_err());
    /// ```
    pub fn with_tolerance_grad(self, tolerance: f64) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("tolerance_grad", tolerance)?;
        Ok(Self {
            tolerance_grad: tolerance,
            ..self
        })
    }

    /// The same optimizer with the tolerance on changes (finite, at least 0): a step stops
    /// when the direction's slope g·d is above −`tolerance_change`, when max |t·d| is at
    /// most `tolerance_change`, or when the loss changed by less; a line search stops
    /// zooming when its bracket is shorter than `tolerance_change`/max |d|.
    ///
    /// ```
    /// use typenet_core::optim::Lbfgs;
    /// assert!(Lbfgs::<f32>::new(1.0).unwrap().with_tolerance_change(0.0).is_ok());
    /// assert!(Lbfgs::<f32>::new(1.0).unwrap().with_tolerance_change(f64::NAN).is_err());
    /// ```
    pub fn with_tolerance_change(self, tolerance: f64) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("tolerance_change", tolerance)?;
        Ok(Self {
            tolerance_change: tolerance,
            ..self
        })
    }

    /// The same optimizer with another way of choosing the step length.
    pub fn with_line_search(self, line_search: LineSearch) -> Self {
        Self {
            line_search,
            ..self
        }
    }

    /// The same optimizer with other Wolfe constants for its line search, 0 < c₁ < c₂ < 1
    /// (PyTorch's `_strong_wolfe` takes them; `LBFGS` always passes 10⁻⁴ and 0.9). A small
    /// c₂ asks for a nearly exact line search.
    ///
    /// ```
    /// use typenet_core::optim::Lbfgs;
    /// let lbfgs = Lbfgs::<f64>::new(1.0).unwrap();
    /// assert!(lbfgs.clone().with_wolfe_constants(1e-4, 0.1).is_ok());
    /// assert_eq!(lbfgs.clone().with_wolfe_constants(0.5, 0.5).unwrap_err().name, "c2");
    /// assert_eq!(lbfgs.with_wolfe_constants(0.0, 0.9).unwrap_err().name, "c1");
    /// ```
    pub fn with_wolfe_constants(self, c1: f64, c2: f64) -> Result<Self, InvalidHyperParameter> {
        check("c1", c1, c1 > 0.0 && c1 < 1.0, "a number in (0, 1)")?;
        check("c2", c2, c2 > c1 && c2 < 1.0, "a number between c1 and 1")?;
        Ok(Self { c1, c2, ..self })
    }

    /// The learning rate: the step length tried first along each direction.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// The most evaluations a step makes.
    pub fn max_eval(&self) -> usize {
        self.max_eval.unwrap_or(self.max_iter.saturating_mul(5) / 4)
    }

    /// The iterations run so far, over all steps (PyTorch's `state["n_iter"]`).
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// The evaluations made so far, over all steps (PyTorch's `state["func_evals"]`).
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// One step: up to `max_iter` iterations from `params`, which it leaves at the last
    /// point it moved to. `evaluate(p, grad)` returns the loss at `p` and writes its
    /// gradient into `grad` (overwriting it); the step calls it at the start and then at
    /// every point it tries, up to `max_eval` times in all. Returns the loss at the start,
    /// the counts and why it stopped.
    ///
    /// With a line search the parameters move only once a step length is chosen, to the
    /// point at which it was evaluated.
    ///
    /// # Errors
    /// The first error `evaluate` returns, at once. The parameters are then those of the
    /// last completed move (with a fixed step, the point whose evaluation failed); the
    /// optimizer and its state may be part-way through an iteration, so build new ones
    /// before going on.
    pub fn step<P: Flat<T>>(
        &mut self,
        params: &mut P,
        state: &mut LbfgsState<P, H, T>,
        mut evaluate: impl FnMut(&P, &mut P) -> Result<T, Error>,
    ) -> Result<LbfgsReport<T>, Error> {
        let max_eval = self.max_eval();
        // Compared with tensors in PyTorch, so in T.
        let tolerance_grad = T::from_f64(self.tolerance_grad);
        let tolerance_change = T::from_f64(self.tolerance_change);

        // The loss and gradient where the step starts.
        let start_loss = evaluate(params, &mut state.scratch[0])?;
        let mut grad = 0; // which scratch block holds the current gradient
        let mut loss = start_loss.to_f64();
        let mut evaluations = 1;
        self.evaluations += 1;
        let mut report = LbfgsReport {
            loss: start_loss,
            iterations: 0,
            evaluations,
            stop: LbfgsStop::GradientSmall,
        };
        if max_abs(state.scratch[0].as_flat()) <= tolerance_grad {
            return Ok(report);
        }

        let mut t = state.step_length.to_f64();
        let mut n_iter = 0;
        let stop = loop {
            n_iter += 1;
            self.iterations += 1;

            self.set_direction(state, grad, t);
            let g = state.scratch[grad].as_flat();
            state.previous_grad.as_flat_mut().copy_from_slice(g);
            let previous_loss = loss;
            t = self.first_step_length(g);

            // The slope along d.
            let gtd = dot(g, state.direction.as_flat());
            if gtd > -tolerance_change {
                break LbfgsStop::NoDescent;
            }

            // The step length, the move and the new loss and gradient.
            let mut small_gradient = false;
            let spent = match self.line_search {
                LineSearch::StrongWolfe => {
                    let budget = max_eval.saturating_sub(evaluations);
                    let start = Trial {
                        t: 0.0,
                        f: loss,
                        gtd: gtd.to_f64(),
                        grad: Slot::Start,
                    };
                    let moved = self.wolfe_move(params, state, &mut evaluate, start, t, budget)?;
                    (loss, t, grad) = (moved.loss, moved.t, moved.grad);
                    small_gradient = max_abs(state.scratch[grad].as_flat()) <= tolerance_grad;
                    moved.spent
                }
                LineSearch::Fixed => {
                    let p = params.as_flat_mut();
                    axpy(p, T::from_f64(t), state.direction.as_flat());
                    if n_iter == self.max_iter {
                        0 // the step ends here: the next one starts with an evaluation
                    } else {
                        loss = evaluate(params, &mut state.scratch[grad])?.to_f64();
                        small_gradient = max_abs(state.scratch[grad].as_flat()) <= tolerance_grad;
                        1
                    }
                }
            };
            evaluations += spent;
            self.evaluations += spent as u64;

            // The tests, in PyTorch's order.
            if n_iter == self.max_iter {
                break LbfgsStop::IterationLimit;
            }
            if evaluations >= max_eval {
                break LbfgsStop::EvaluationLimit;
            }
            if small_gradient {
                break LbfgsStop::GradientSmall;
            }
            if let Some(stop) = self.converged(state, t, loss - previous_loss) {
                break stop;
            }
        };
        state.step_length = T::from_f64(t);
        report.iterations = n_iter;
        report.evaluations = evaluations;
        report.stop = stop;
        Ok(report)
    }

    /// The search direction of the coming iteration: steepest descent (and an empty
    /// history) on the first, else the two-loop recursion after remembering the last move.
    fn set_direction<P: Flat<T>>(&mut self, state: &mut LbfgsState<P, H, T>, grad: usize, t: f64) {
        if self.iterations == 1 {
            let (d, g) = (state.direction.as_flat_mut(), state.scratch[0].as_flat());
            for (d, &g) in d.iter_mut().zip(g) {
                *d = -g;
            }
            self.history = History::default();
            state.gamma = T::ONE;
        } else {
            self.remember(state, grad, T::from_f64(t));
            self.history.two_loop(state, grad);
        }
    }

    /// The first step length to try: on the first iteration min(1, 1/‖g‖₁)·lr, a first
    /// step of length at most lr in the ℓ₁ norm; then lr.
    fn first_step_length(&self, g: &[T]) -> f64 {
        if self.iterations != 1 {
            return self.lr.to_f64();
        }
        let inverse = T::ONE / sum_abs(g);
        (if inverse < T::ONE {
            inverse * self.lr
        } else {
            self.lr
        })
        .to_f64()
    }

    /// A strong-Wolfe line search from `start` along the direction, trying `t` first with
    /// at most `budget` evaluations; then the move to the point it chose.
    fn wolfe_move<P: Flat<T>>(
        &self,
        params: &mut P,
        state: &mut LbfgsState<P, H, T>,
        evaluate: &mut impl FnMut(&P, &mut P) -> Result<T, Error>,
        start: Trial,
        t: f64,
        budget: usize,
    ) -> Result<Moved, Error> {
        let d = state.direction.as_flat();
        let rules = Wolfe {
            c1: self.c1,
            c2: self.c2,
            tolerance_change: self.tolerance_change,
            budget,
            d_norm: max_abs(d).to_f64(),
        };
        let (point, scratch, x) = (&mut state.point, &mut state.scratch, &*params);
        let mut probe = |t: f64, slot: usize| {
            axpy_into(point.as_flat_mut(), x.as_flat(), T::from_f64(t), d);
            let f = evaluate(point, &mut scratch[slot])?;
            Ok((f.to_f64(), dot(scratch[slot].as_flat(), d).to_f64()))
        };
        let (found, spent) = strong_wolfe(&mut probe, start, t, &rules)?;
        let grad = match found.grad {
            Slot::Scratch(i) => i,
            Slot::Start => {
                // The search settled on its start: the gradient is still g.
                let g = state.previous_grad.as_flat();
                state.scratch[0].as_flat_mut().copy_from_slice(g);
                0
            }
        };
        axpy(
            params.as_flat_mut(),
            T::from_f64(found.t),
            state.direction.as_flat(),
        );
        Ok(Moved {
            loss: found.f,
            t: found.t,
            grad,
            spent,
        })
    }

    /// After a move of `t` along the direction that changed the loss by `change`: why the
    /// step should stop, if the move or the change is too small to go on.
    fn converged<P: Flat<T>>(
        &self,
        state: &LbfgsState<P, H, T>,
        t: f64,
        change: f64,
    ) -> Option<LbfgsStop> {
        let t = T::from_f64(t);
        let largest_move = state
            .direction
            .as_flat()
            .iter()
            .fold(T::ZERO, |m, &d| m.max_nan((d * t).abs()));
        if largest_move <= T::from_f64(self.tolerance_change) {
            Some(LbfgsStop::StepSmall)
        } else if change.abs() < self.tolerance_change {
            Some(LbfgsStop::LossUnchanged)
        } else {
            None
        }
    }
}

/// Where a line search moved to: the loss there, the step length, the scratch block that
/// holds the gradient there, and the evaluations it spent.
struct Moved {
    loss: f64,
    t: f64,
    grad: usize,
    spent: usize,
}
