//! L-BFGS's memory: the last `H` pairs (s, y) in a ring buffer of the state, and the
//! two-loop recursion that turns them and a gradient into a direction.

use super::{Lbfgs, LbfgsState};
use crate::flat::Flat;
use crate::math::{axpy, dot};
use crate::scalar::Scalar;

/// The kept pairs' place in the state's ring buffer: `len` pairs from slot `oldest` on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct History {
    pub(super) oldest: usize,
    pub(super) len: usize,
}

impl History {
    /// The slot of the `i`th oldest pair.
    pub(super) fn slot<const H: usize>(self, i: usize) -> usize {
        (self.oldest + i) % H
    }
}

/// The least curvature y·s of a pair that is kept.
const MIN_CURVATURE: f64 = 1e-10;

impl<T: Scalar, const H: usize> Lbfgs<T, H> {
    /// Keeps the pair s = t·d (the last move) and y = g − g_prev (the change of gradient it
    /// brought) when its curvature y·s is above 10⁻¹⁰, dropping the oldest pair if the
    /// history is full; γ becomes y·s / y·y.
    pub(super) fn remember<P: Flat<T>>(
        &mut self,
        state: &mut LbfgsState<P, H, T>,
        grad: usize,
        t: T,
    ) {
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
    pub(super) fn two_loop<P: Flat<T>, const H: usize, T: Scalar>(
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

#[cfg(test)]
mod tests {
    use super::super::tests::assert_near;
    use super::*;

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
}
