//! L-BFGS's state: the pairs, the last direction and step, and the line search's scratch.

use crate::flat::Flat;
use crate::scalar::Scalar;

crate::flat_struct! { @core
    /// [`Lbfgs`](super::Lbfgs)'s state for parameters of type `P`, keeping `H` pairs: PyTorch's state
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
        pub(super) point: P,
        // Gradients: the current one and, in a line search, those at the two ends of its
        // bracket and at its next trial (never more than three at once).
        pub(super) scratch: [P; 3],
    }
}
