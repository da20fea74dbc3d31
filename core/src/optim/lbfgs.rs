//! L-BFGS: PyTorch's `torch.optim.LBFGS`, the limited-memory quasi-Newton method for
//! full-batch problems, with a fixed step or a strong-Wolfe line search.
//!
//! The reference is PyTorch's implementation, `torch/optim/lbfgs.py` (torch 2.15: `LBFGS.step`,
//! `_strong_wolfe` and `_cubic_interpolate`, themselves ports of minFunc and of Torch7's
//! `optim` package); the method is Nocedal and Wright's (*Numerical Optimization*, 2nd ed.:
//! Algorithm 7.4 for the two-loop recursion, Algorithms 3.5 and 3.6 for the line search and
//! its zoom). The code here is written afresh but takes PyTorch's steps in PyTorch's order,
//! so that its trajectories match (`tests/lbfgs_parity.rs`).

use super::{check, check_count, check_lr};
use crate::{Error, Flat, InvalidHyperParameter, Scalar};

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

/// The kept pairs' place in the state's ring buffer: `len` pairs from slot `oldest` on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct History {
    oldest: usize,
    len: usize,
}

impl History {
    /// The slot of the `i`th oldest pair.
    fn slot<const H: usize>(self, i: usize) -> usize {
        (self.oldest + i) % H
    }
}

crate::flat_struct! { @core
    /// [`Lbfgs`]'s state for parameters of type `P`, keeping `H` pairs: PyTorch's state
    /// (`old_stps`, `old_dirs`, `ro`, `d`, `t`, `H_diag`, `prev_flat_grad`) and scratch
    /// space for the line search, zero at the start. It takes 2·`H` + 6 copies of the
    /// parameters: build it with `Flat::zeroed_boxed()` when that is large.
    ///
    /// The pairs are kept in a ring buffer whose order only the optimizer knows: slot `i`
    /// is not the `i`th oldest pair.
    ///
    /// ```
    /// use typenet_core::optim::{Lbfgs, LbfgsState};
    /// use typenet_core::Flat;
    /// let mut lbfgs = Lbfgs::<f64, 3>::new(0.5).unwrap().with_max_iter(1).unwrap();
    /// let mut state = LbfgsState::<[f64; 1], 3, f64>::zeroed();
    /// let mut x = [2.0];
    /// // f(x) = x², from x = 2: d = −g = −4, t = min(1, 1/‖g‖₁)·lr = 0.125
    /// let report = lbfgs
    ///     .step(&mut x, &mut state, |x, g| {
    ///         g[0] = 2.0 * x[0];
    ///         Ok(x[0] * x[0])
    ///     })
    ///     .unwrap();
    /// assert_eq!((state.direction, state.step_length), ([-4.0], 0.125));
    /// assert_eq!(x, [1.5]);
    /// // One iteration: no evaluation after the move, which the next step starts with.
    /// assert_eq!((report.iterations, report.evaluations), (1, 1));
    /// ```
    pub struct LbfgsState
        [P, const H: usize, T = f32]
        [T: Scalar, P: Flat<T>, const H: usize]
        [P, H, T]
        (T, ())
    {
        /// sᵢ, the steps t·d of the kept pairs (`old_stps`), by ring-buffer slot.
        pub s: [P; H],
        /// yᵢ, the gradient changes of the kept pairs (`old_dirs`), by slot.
        pub y: [P; H],
        /// ρᵢ = 1/(yᵢ·sᵢ) of the kept pairs (`ro`), by slot.
        pub rho: [T; H],
        /// d, the last direction (`d`).
        pub direction: P,
        /// The gradient at the start of the last iteration (`prev_flat_grad`).
        pub previous_grad: P,
        /// t, the last step length (`t`), rounded to `T` as it is when applied.
        pub step_length: T,
        /// γ, the scale of the initial inverse Hessian H̃₀ = γI (`H_diag`).
        pub gamma: T,
        // The point a line search tries.
        point: P,
        // Gradients: the current one and, in a line search, those at the two ends of its
        // bracket and at its next trial (never more than three at once).
        scratch: [P; 3],
    }
}

/// The Wolfe constants PyTorch's `_strong_wolfe` uses: sufficient decrease and curvature.
const C1: f64 = 1e-4;
const C2: f64 = 0.9;
/// The least curvature y·s of a pair that is kept.
const MIN_CURVATURE: f64 = 1e-10;

impl<T: Scalar, const H: usize> Lbfgs<T, H> {
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
        const { assert_history(H) };
        check_lr(lr)?;
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
        check_count("max_iter", max_iter, max_iter >= 1, "at least 1")?;
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
        check_count("max_eval", max_eval, max_eval >= 1, "at least 1")?;
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
        check_tolerance("tolerance_grad", tolerance)?;
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
        check_tolerance("tolerance_change", tolerance)?;
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

            // The direction.
            if self.iterations == 1 {
                // Steepest descent, and an empty history.
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
            let g = state.scratch[grad].as_flat();
            state.previous_grad.as_flat_mut().copy_from_slice(g);
            let previous_loss = loss;

            // The first step length to try.
            t = if self.iterations == 1 {
                // min(1, 1/‖g‖₁)·lr: a first step of length at most lr in the ℓ₁ norm.
                let inverse = T::ONE / sum_abs(g);
                (if inverse < T::ONE {
                    inverse * self.lr
                } else {
                    self.lr
                })
                .to_f64()
            } else {
                self.lr.to_f64()
            };

            // The slope along d.
            let gtd = dot(g, state.direction.as_flat());
            if gtd > -tolerance_change {
                break LbfgsStop::NoDescent;
            }

            // The step length, the move and the new loss and gradient.
            let mut small_gradient = false;
            let spent = match self.line_search {
                LineSearch::StrongWolfe => {
                    let d = state.direction.as_flat();
                    let rules = Wolfe {
                        c1: self.c1,
                        c2: self.c2,
                        tolerance_change: self.tolerance_change,
                        budget: max_eval.saturating_sub(evaluations),
                        d_norm: max_abs(d).to_f64(),
                    };
                    let start = Trial {
                        t: 0.0,
                        f: loss,
                        gtd: gtd.to_f64(),
                        grad: Slot::Start,
                    };
                    let (point, scratch, x) = (&mut state.point, &mut state.scratch, &*params);
                    let mut probe = |t: f64, slot: usize| {
                        axpy_into(point.as_flat_mut(), x.as_flat(), T::from_f64(t), d);
                        let f = evaluate(point, &mut scratch[slot])?;
                        Ok((f.to_f64(), dot(scratch[slot].as_flat(), d).to_f64()))
                    };
                    let (found, spent) = strong_wolfe(&mut probe, start, t, &rules)?;
                    (loss, t) = (found.f, found.t);
                    grad = match found.grad {
                        Slot::Scratch(i) => i,
                        Slot::Start => {
                            // The search settled on its start: the gradient is still g.
                            let g = state.previous_grad.as_flat();
                            state.scratch[0].as_flat_mut().copy_from_slice(g);
                            0
                        }
                    };
                    let p = params.as_flat_mut();
                    axpy(p, T::from_f64(t), state.direction.as_flat());
                    small_gradient = max_abs(state.scratch[grad].as_flat()) <= tolerance_grad;
                    spent
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
            let t_d = T::from_f64(t);
            let largest_move = state
                .direction
                .as_flat()
                .iter()
                .fold(T::ZERO, |m, &d| m.max_nan((d * t_d).abs()));
            if largest_move <= tolerance_change {
                break LbfgsStop::StepSmall;
            }
            if (loss - previous_loss).abs() < self.tolerance_change {
                break LbfgsStop::LossUnchanged;
            }
        };
        state.step_length = T::from_f64(t);
        report.iterations = n_iter;
        report.evaluations = evaluations;
        report.stop = stop;
        Ok(report)
    }

    /// Keeps the pair s = t·d (the last move) and y = g − g_prev (the change of gradient it
    /// brought) when its curvature y·s is above 10⁻¹⁰, dropping the oldest pair if the
    /// history is full; γ becomes y·s / y·y.
    fn remember<P: Flat<T>>(&mut self, state: &mut LbfgsState<P, H, T>, grad: usize, t: T) {
        let g = state.scratch[grad].as_flat();
        let (previous, d) = (state.previous_grad.as_flat(), state.direction.as_flat());
        // y·s and y·y, without writing y and s anywhere yet.
        let (mut ys, mut yy) = (T::ZERO, T::ZERO);
        for ((&g, &previous), &d) in g.iter().zip(previous).zip(d) {
            let (y, s) = (g - previous, d * t);
            ys += y * s;
            yy += y * y;
        }
        if ys <= T::from_f64(MIN_CURVATURE) || ys.is_nan() {
            return; // not positive enough: H̃ would not stay positive definite
        }
        if self.history.len == H {
            self.history.oldest = (self.history.oldest + 1) % H;
            self.history.len -= 1;
        }
        let slot = self.history.slot::<H>(self.history.len);
        self.history.len += 1;
        let (s_slot, y_slot) = (state.s[slot].as_flat_mut(), state.y[slot].as_flat_mut());
        for (((s, y), (&g, &previous)), &d) in s_slot
            .iter_mut()
            .zip(y_slot)
            .zip(g.iter().zip(previous))
            .zip(d)
        {
            *y = g - previous;
            *s = d * t;
        }
        state.rho[slot] = T::ONE / ys;
        state.gamma = ys / yy;
    }
}

impl History {
    /// d ← −H̃·g by the two-loop recursion: H̃ is γI updated by BFGS with each kept pair,
    /// oldest first. The first loop runs newest to oldest:
    ///
    /// ```text
    /// q = −g;  for each pair, newest first:  αᵢ = ρᵢ·sᵢ·q;  q ← q − αᵢ·yᵢ
    /// r = γ·q; for each pair, oldest first:  βᵢ = ρᵢ·yᵢ·r;  r ← r + (αᵢ − βᵢ)·sᵢ
    /// ```
    ///
    /// `grad` is the scratch block holding g; d is written into `state.direction`.
    fn two_loop<P: Flat<T>, const H: usize, T: Scalar>(
        self,
        state: &mut LbfgsState<P, H, T>,
        grad: usize,
    ) {
        let d = state.direction.as_flat_mut();
        for (q, &g) in d.iter_mut().zip(state.scratch[grad].as_flat()) {
            *q = -g;
        }
        let mut alpha = [T::ZERO; H];
        for i in (0..self.len).rev() {
            let k = self.slot::<H>(i);
            alpha[i] = dot(state.s[k].as_flat(), d) * state.rho[k];
            axpy(d, -alpha[i], state.y[k].as_flat());
        }
        for r in d.iter_mut() {
            *r *= state.gamma;
        }
        for (i, &alpha) in alpha.iter().enumerate().take(self.len) {
            let k = self.slot::<H>(i);
            let beta = dot(state.y[k].as_flat(), d) * state.rho[k];
            axpy(d, alpha - beta, state.s[k].as_flat());
        }
    }
}

/// Where the gradient at a trial point is: in `previous_grad` for the start of the line,
/// else in one of the three scratch blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Start,
    Scratch(usize),
}

/// A point tried along the line: its step length t, loss f and slope g·d.
#[derive(Clone, Copy, Debug)]
struct Trial {
    t: f64,
    f: f64,
    gtd: f64,
    grad: Slot,
}

/// What a line search needs besides the function.
struct Wolfe {
    c1: f64,
    c2: f64,
    tolerance_change: f64,
    /// The evaluations the search may make after its first (PyTorch's `max_ls`: the step's
    /// budget left, so that the first trial may take the step one past `max_eval`).
    budget: usize,
    /// max |d|, to turn a bracket's length into a largest move.
    d_norm: f64,
}

/// The scratch block used by neither `a` nor `b`.
fn free_slot(a: Slot, b: Slot) -> usize {
    (0..3)
        .find(|&i| Slot::Scratch(i) != a && Slot::Scratch(i) != b)
        .unwrap_or(0)
}

/// PyTorch's `_strong_wolfe`: from `start` (t = 0, with the loss and slope there), tries
/// step `t` and looks for a step satisfying the strong Wolfe conditions, first by bracketing
/// one (extrapolating while the slope stays negative and the loss decreases enough), then
/// by zooming in on the bracket. `probe(t, slot)` returns the loss and slope at step `t`,
/// writing the gradient into scratch block `slot`. Returns the point settled on (the best
/// found, when the budget or the bracket runs out first) and the evaluations it made.
fn strong_wolfe(
    probe: &mut impl FnMut(f64, usize) -> Result<(f64, f64), Error>,
    start: Trial,
    t: f64,
    rules: &Wolfe,
) -> Result<(Trial, usize), Error> {
    let (f, gtd) = (start.f, start.gtd);
    // f + c₁·t·(g·d), as PyTorch groups it.
    let sufficient = |t: f64| f + rules.c1 * t * gtd;
    let curvature = -rules.c2 * gtd;
    let mut try_step = |t: f64, slot: usize| -> Result<Trial, Error> {
        let (f, gtd) = probe(t, slot)?;
        let grad = Slot::Scratch(slot);
        Ok(Trial { t, f, gtd, grad })
    };

    // Bracketing: an interval that contains a point satisfying the conditions, or the
    // point itself.
    let mut new = try_step(t, 0)?;
    let mut evals = 1;
    let mut previous = start;
    let mut searched = 0; // PyTorch's `ls_iter`
    let mut done = false;
    let mut bracket = None;
    while searched < rules.budget {
        if new.f > sufficient(new.t) || (searched > 1 && new.f >= previous.f) {
            bracket = Some([previous, new]);
            break;
        }
        if new.gtd.abs() <= curvature {
            bracket = Some([new, new]);
            done = true;
            break;
        }
        if new.gtd >= 0.0 {
            bracket = Some([previous, new]);
            break;
        }
        // Still going down steeply: extrapolate, between 1.01 and 10 times as far.
        let min_step = new.t + 0.01 * (new.t - previous.t);
        let max_step = new.t * 10.0;
        let t = cubic_interpolate(previous, new, Some((min_step, max_step)));
        previous = new;
        new = try_step(t, free_slot(previous.grad, Slot::Start))?;
        evals += 1;
        searched += 1;
    }
    // Out of evaluations: the start and the last point tried.
    let mut bracket = bracket.unwrap_or([start, new]);

    // Zoom: shrink the bracket until a point satisfies the conditions.
    let mut insufficient_progress = false;
    let order = |b: &[Trial; 2]| if b[0].f <= b[1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&bracket);
    while !done && searched < rules.budget {
        if (bracket[1].t - bracket[0].t).abs() * rules.d_norm < rules.tolerance_change {
            break; // the bracket is too small to matter
        }
        let mut t = cubic_interpolate(bracket[0], bracket[1], None);
        // A trial close to an end of the bracket makes little progress: the second time in
        // a row (or when it is at or past the end), move it to 10% of the bracket inside.
        let (lo, hi) = (
            py_min(bracket[0].t, bracket[1].t),
            py_max(bracket[0].t, bracket[1].t),
        );
        let eps = 0.1 * (hi - lo);
        if py_min(hi - t, t - lo) < eps {
            if insufficient_progress || t >= hi || t <= lo {
                t = if (t - hi).abs() < (t - lo).abs() {
                    hi - eps
                } else {
                    lo + eps
                };
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        let new = try_step(t, free_slot(bracket[0].grad, bracket[1].grad))?;
        evals += 1;
        searched += 1;
        if new.f > sufficient(t) || new.f >= bracket[low].f {
            // Not low enough: the new point is the bracket's high end.
            bracket[high] = new;
            (low, high) = order(&bracket);
        } else {
            if new.gtd.abs() <= curvature {
                done = true;
            } else if new.gtd * (bracket[high].t - bracket[low].t) >= 0.0 {
                // The minimum lies between the new point and the low end.
                bracket[high] = bracket[low];
            }
            bracket[low] = new;
        }
    }
    Ok((bracket[low], evals))
}

/// PyTorch's `_cubic_interpolate`: the minimizer of the cubic through two points with
/// their values and slopes, clamped to `bounds` (by default, the interval between the two
/// points); the middle of the bounds when the cubic has no minimum.
fn cubic_interpolate(a: Trial, b: Trial, bounds: Option<(f64, f64)>) -> f64 {
    let (x1, f1, g1, x2, f2, g2) = (a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = <f64 as Scalar>::sqrt(d2_square);
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        py_min(py_max(min_pos, lo), hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// Σ aᵢ·bᵢ, summed in order.
fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::ZERO, |sum, (&a, &b)| sum + a * b)
}

/// Σ |aᵢ|, summed in order.
fn sum_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |sum, &a| sum + a.abs())
}

/// max |aᵢ| (0 for none; NaN if any is NaN, as `abs().max()` is in PyTorch).
fn max_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |m, &a| m.max_nan(a.abs()))
}

/// y ← y + a·x (PyTorch's `y.add_(x, alpha=a)`).
fn axpy<T: Scalar>(y: &mut [T], a: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// out ← y + a·x, the same sums as [`axpy`] into another block.
fn axpy_into<T: Scalar>(out: &mut [T], y: &[T], a: T, x: &[T]) {
    for ((out, &y), &x) in out.iter_mut().zip(y).zip(x) {
        *out = y + a * x;
    }
}

/// A tolerance: finite, at least 0.
fn check_tolerance(name: &'static str, tolerance: f64) -> Result<(), InvalidHyperParameter> {
    check(
        name,
        tolerance,
        tolerance.is_finite() && tolerance >= 0.0,
        "a finite number at least 0",
    )
}

/// Stops compilation for a history that cannot hold a pair.
const fn assert_history(h: usize) {
    if h == 0 {
        panic!("an L-BFGS history must hold at least one (s, y) pair: give `Lbfgs` a history size H of 1 or more");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;
    use std::string::ToString;
    use std::vec::Vec;

    /// Asserts |a − b| ≤ tol·max(1, |b|) for each pair.
    #[track_caller]
    fn assert_near(actual: &[f64], expected: &[f64], tol: f64) {
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            let allowed = tol * e.abs().max(1.0);
            assert!((a - e).abs() <= allowed, "[{i}]: {a:e} against {e:e}");
        }
    }

    /// A state whose history holds `pairs` (s, y), oldest first, starting at slot `oldest`,
    /// with the gradient `g` in scratch block 0; and the history that says so.
    fn state_with<const N: usize, const H: usize>(
        pairs: &[([f64; N], [f64; N])],
        oldest: usize,
        g: [f64; N],
    ) -> (LbfgsState<[f64; N], H, f64>, History) {
        let mut state = LbfgsState::<[f64; N], H, f64>::zeroed();
        let history = History {
            oldest,
            len: pairs.len(),
        };
        for (i, (s, y)) in pairs.iter().enumerate() {
            let k = history.slot::<H>(i);
            (state.s[k], state.y[k]) = (*s, *y);
            state.rho[k] = 1.0 / dot(s, y);
        }
        let (s, y) = pairs[pairs.len() - 1];
        state.gamma = dot(&s, &y) / dot(&y, &y);
        state.scratch[0] = g;
        (state, history)
    }

    #[test]
    fn two_loop_by_hand() {
        // f(x) = x₀² + 2x₁² (Hessian diag(2, 4)); one pair s = (1, 1), y = Hs = (2, 4):
        // y·s = 6, ρ = 1/6, γ = y·s / y·y = 6/20 = 0.3.
        let (mut state, history) = state_with::<2, 3>(&[([1.0, 1.0], [2.0, 4.0])], 0, [1.0, -1.0]);
        history.two_loop(&mut state, 0);
        // q = −g = (−1, 1); α = ρ·s·q = 0, so q stays; r = γq = (−0.3, 0.3);
        // β = ρ·y·r = (−0.6 + 1.2)/6 = 0.1; r + (α − β)s = (−0.4, 0.2).
        assert_near(&state.direction, &[-0.4, 0.2], 1e-15);
        // The same from the matrix: H̃ = (I − ρsyᵀ)·γ·(I − ρysᵀ) + ρssᵀ
        // = 0.3·[[8/9, −4/9], [−4/9, 2/9]] + [[1/6, 1/6], [1/6, 1/6]]
        // = [[13/30, 1/30], [1/30, 7/30]], and −H̃g = −(12/30, −6/30).
        // The secant equation H̃y = s: with g = −y the direction is s.
        state.scratch[0] = [-2.0, -4.0];
        history.two_loop(&mut state, 0);
        assert_near(&state.direction, &[1.0, 1.0], 1e-15);
    }

    /// The BFGS update of an inverse Hessian: (I − ρsyᵀ)·H·(I − ρysᵀ) + ρssᵀ.
    fn bfgs_update(h: [[f64; 3]; 3], s: [f64; 3], y: [f64; 3]) -> [[f64; 3]; 3] {
        let rho = 1.0 / dot(&s, &y);
        let v = |i: usize, j: usize| f64::from(u8::from(i == j)) - rho * y[i] * s[j];
        let mut out = [[0.0; 3]; 3];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, out) in row.iter_mut().enumerate() {
                for (k, row) in h.iter().enumerate() {
                    for (l, &h) in row.iter().enumerate() {
                        *out += v(k, i) * h * v(l, j);
                    }
                }
                *out += rho * s[i] * s[j];
            }
        }
        out
    }

    #[test]
    fn two_loop_applies_the_bfgs_matrix_of_the_pairs_oldest_first() {
        // Three pairs from a quadratic with Hessian A, kept in a ring of 3 whose oldest pair
        // is in slot 2 (the ring has wrapped).
        let a = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
        let times = |s: [f64; 3]| a.map(|row| dot(&row, &s));
        let steps = [[1.0, 0.0, 0.5], [0.0, 1.0, -1.0], [0.3, -0.2, 0.7]];
        let pairs = steps.map(|s| (s, times(s)));
        let g = [0.5, -1.5, 2.0];
        let (mut state, history) = state_with::<3, 3>(&pairs, 2, g);
        history.two_loop(&mut state, 0);

        let gamma = state.gamma;
        let mut h = [[gamma, 0.0, 0.0], [0.0, gamma, 0.0], [0.0, 0.0, gamma]];
        for (s, y) in pairs {
            h = bfgs_update(h, s, y);
        }
        let expected = h.map(|row| -dot(&row, &g));
        assert_near(&state.direction, &expected, 1e-14);
        // And the newest pair's secant equation holds exactly (up to rounding).
        state.scratch[0] = pairs[2].1.map(|y| -y);
        history.two_loop(&mut state, 0);
        assert_near(&state.direction, &pairs[2].0, 1e-14);
    }

    #[test]
    fn the_history_keeps_the_newest_pairs_with_enough_curvature() {
        let mut lbfgs = Lbfgs::<f64, 2>::new(1.0).unwrap();
        let mut state = LbfgsState::<[f64; 2], 2, f64>::zeroed();
        // The pair from a move t·d with d = (1, 0), t = 0.5: s = (0.5, 0), y = g − g_prev.
        let mut offer = |state: &mut LbfgsState<[f64; 2], 2, f64>, y: [f64; 2]| {
            state.previous_grad = [1.0, 1.0];
            state.scratch[1] = [1.0 + y[0], 1.0 + y[1]];
            state.direction = [1.0, 0.0];
            lbfgs.remember(state, 1, 0.5);
            lbfgs.history
        };
        assert_eq!(offer(&mut state, [2.0, 1.0]), History { oldest: 0, len: 1 });
        assert_eq!(
            (state.s[0], state.y[0], state.rho[0]),
            ([0.5, 0.0], [2.0, 1.0], 1.0)
        );
        assert_eq!(state.gamma, 0.2); // y·s / y·y = 1/5
                                      // y·s = 0.5·1e-10 ≤ 1e-10: skipped, γ unchanged.
        assert_eq!(
            offer(&mut state, [1e-10, 3.0]),
            History { oldest: 0, len: 1 }
        );
        assert_eq!(state.gamma, 0.2);
        assert_eq!(offer(&mut state, [4.0, 0.0]), History { oldest: 0, len: 2 });
        // Full: the third pair replaces the oldest, in slot 0, which the next one follows.
        assert_eq!(offer(&mut state, [8.0, 0.0]), History { oldest: 1, len: 2 });
        assert_eq!((state.y[0], state.y[1]), ([8.0, 0.0], [4.0, 0.0]));
        assert_eq!(
            offer(&mut state, [16.0, 0.0]),
            History { oldest: 0, len: 2 }
        );
        assert_eq!((state.y[0], state.y[1]), ([8.0, 0.0], [16.0, 0.0]));
        assert_eq!(state.rho[1], 1.0 / 8.0);
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

    /// A polynomial Σ cₖtᵏ and its derivative, by Horner's rule.
    fn polynomial(c: &[f64], t: f64) -> (f64, f64) {
        let f = c.iter().rev().fold(0.0, |f, &c| f * t + c);
        let derivative: Vec<f64> = (1..c.len()).map(|k| k as f64 * c[k]).collect();
        let g = derivative.iter().rev().fold(0.0, |g, &c| g * t + c);
        (f, g)
    }

    /// Runs the line search on φ(t) = `c`(t) from step `t`: the point settled on and the
    /// evaluations.
    fn search(c: &[f64], t: f64, budget: usize, tolerance_change: f64) -> (Trial, usize) {
        let (f, gtd) = polynomial(c, 0.0);
        let start = Trial {
            t: 0.0,
            f,
            gtd,
            grad: Slot::Start,
        };
        let rules = Wolfe {
            c1: C1,
            c2: C2,
            tolerance_change,
            budget,
            d_norm: 1.0,
        };
        strong_wolfe(&mut |t, _| Ok(polynomial(c, t)), start, t, &rules).unwrap()
    }

    #[test]
    fn the_line_search_finds_strong_wolfe_points_as_pytorch() {
        // The polynomials φ, by their coefficients from t⁰ up.
        const CUBIC: &[f64] = &[0.0, -0.5, 0.0, 0.25];
        const CUBIC_2: &[f64] = &[0.0, -0.5, -2.0, 2.0];
        const CUBIC_3: &[f64] = &[0.0, -0.5, -2.0, 0.25];
        const QUARTIC: &[f64] = &[0.0, -1.0, 1.0, -3.0, 0.5];
        const QUARTIC_2: &[f64] = &[0.0, -0.5, 0.5, -3.0, 0.25];
        const QUARTIC_3: &[f64] = &[0.0, -0.5, 3.0, 3.0, 0.5];
        // torch 2.15's `_strong_wolfe(obj_func, x=[0], t, d=[1], f, g, gtd,
        // tolerance_change, max_ls)` on polynomials, φ and φ' by Horner's rule as here; in
        // all, these cases take every branch of the search. Each case: φ's coefficients, the
        // first t, max_ls, tolerance_change; then what torch returned: t, φ(t), evaluations.
        type Case = (&'static [f64], f64, usize, f64, f64, f64, usize);
        #[rustfmt::skip]
        let cases: [Case; 8] = [
            // extrapolates, then the Wolfe conditions hold
            (CUBIC, 0.01, 25, 1e-9, 0.8164965809277165, -0.2721655269759087, 3),
            // bracketed by the sufficient-decrease test, zooms once
            (CUBIC, 10.0, 25, 1e-9, 0.8164965809277245, -0.2721655269759087, 2),
            // bracketed by a positive slope
            (CUBIC_2, 1.0, 25, 1e-9, 0.7742918851774317, -0.6577825773602247, 2),
            // a cubic without a minimum (the midpoint), the high end replaced
            (QUARTIC, 0.01, 25, 1e-9, 4.301720477572395, -53.39054639408632, 9),
            // the high end becomes the low end
            (QUARTIC, 1.0, 25, 1e-9, 4.301953640608087, -53.390483592586776, 4),
            // insufficient progress twice: the trial moves away from the bracket's end
            (QUARTIC_2, 0.1, 25, 1e-9, 8.89308868006674, -511.1974143122863, 9),
            // the bracket gets shorter than tolerance_change: settles on the start
            (QUARTIC_3, 10.0, 25, 0.5, 0.0, 0.0, 3),
            // out of evaluations while extrapolating
            (CUBIC_3, 0.01, 3, 1e-9, 5.455533421780251, -21.660407751367647, 4),
        ];
        for (i, &(c, t, budget, tolerance, expected_t, expected_f, evals)) in
            cases.iter().enumerate()
        {
            let (found, n) = search(c, t, budget, tolerance);
            assert_near(&[found.t, found.f], &[expected_t, expected_f], 1e-13);
            assert_eq!(n, evals, "case {i}");
            let (f0, g0) = polynomial(c, 0.0);
            if i < 6 {
                // Both strong Wolfe conditions, at the point and slope returned.
                assert!(
                    found.f <= f0 + C1 * found.t * g0,
                    "case {i}: sufficient decrease"
                );
                assert!(found.gtd.abs() <= C2 * g0.abs(), "case {i}: curvature");
                assert_eq!(polynomial(c, found.t), (found.f, found.gtd), "case {i}");
            }
        }
    }

    #[test]
    fn the_line_search_keeps_the_gradients_it_returns() {
        // The gradient blocks of the bracket and of the next trial are always distinct.
        let c = [0.0, -0.5, 0.5, -3.0, 0.25];
        let (f, gtd) = polynomial(&c, 0.0);
        let start = Trial {
            t: 0.0,
            f,
            gtd,
            grad: Slot::Start,
        };
        let rules = Wolfe {
            c1: C1,
            c2: C2,
            tolerance_change: 1e-9,
            budget: 25,
            d_norm: 1.0,
        };
        // Each scratch block remembers the t it was last evaluated at.
        let mut written = [f64::NAN; 3];
        let (found, _) = strong_wolfe(
            &mut |t, slot| {
                written[slot] = t;
                Ok(polynomial(&c, t))
            },
            start,
            0.1,
            &rules,
        )
        .unwrap();
        let Slot::Scratch(slot) = found.grad else {
            panic!("the search settled on its start")
        };
        assert_eq!(written[slot], found.t);
    }

    #[test]
    fn cubic_interpolation_is_exact_for_a_quadratic() {
        // φ(t) = (t − 3)²: from t = 0 and t = 1 the cubic is φ itself, minimized at 3.
        let at = |t: f64| Trial {
            t,
            f: (t - 3.0) * (t - 3.0),
            gtd: 2.0 * (t - 3.0),
            grad: Slot::Start,
        };
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), Some((0.0, 10.0))), 3.0);
        assert_eq!(cubic_interpolate(at(1.0), at(0.0), Some((0.0, 10.0))), 3.0);
        // Clamped to the bounds, by default the two points.
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), None), 1.0);
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), Some((1.01, 2.0))), 2.0);
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
        for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = Lbfgs::<f64>::new(lr).unwrap_err();
            assert_eq!(err.name, "learning rate");
        }
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
}
