//! Gradient clipping, against exploding gradients and the cliffs of a loss surface: by
//! global norm, as `torch.nn.utils.clip_grad_norm_`, and by value, as `clip_grad_value_`.
//!
//! Both take a gradient block (any [`Flat`] block: a network's gradients, an array) between
//! the backward pass and the optimizer's step, and return the gradients' L2 norm *before*
//! clipping, for logging or for skipping a step whose norm is not finite.
//!
//! ```
//! use typenet_core::optim::{clip_grad_norm, Optimizer, Sgd};
//! let mut sgd = Sgd::new(0.1).unwrap();
//! let mut p = [0.0f64; 2];
//! let mut g = [30.0, 40.0]; // norm 50: a cliff
//! let norm = clip_grad_norm(&mut g, 5.0)?;
//! assert_eq!(norm, 50.0);
//! sgd.step(&mut p, &g, &mut []); // a step of length 0.1·5, not 0.1·50
//! assert!((p[0] + 0.3).abs() < 1e-6 && (p[1] + 0.4).abs() < 1e-6);
//! # Ok::<(), typenet_core::InvalidHyperParameter>(())
//! ```

use crate::error::InvalidHyperParameter;
use crate::flat::Flat;
use crate::math::{l2_norm, scale};
use crate::scalar::Scalar;
use crate::validate;

/// PyTorch's guard against dividing by a zero norm, added to the norm in the scale factor.
const NORM_EPS: f64 = 1e-6;

/// Clips `grads` by their global L2 norm, as `torch.nn.utils.clip_grad_norm_(…, max_norm)`,
/// and returns that norm before clipping; `max_norm` must be finite and greater than 0, or
/// nothing changes and the error names it.
///
/// The norm ‖g‖ is taken over every value of the block at once (one vector, all tensors
/// together). Then, as PyTorch computes it in the gradients' type:
///
/// ```text
/// c = max_norm / (‖g‖ + 10⁻⁶)
/// g ← c·g    when c < 1
/// ```
///
/// so the gradients are scaled only when their norm exceeds about `max_norm` (from
/// `max_norm − 10⁻⁶` on), and the result has a norm just under `max_norm`.
///
/// The squares are summed in `f64` whatever `T` is, so an `f32` block does not overflow to
/// an infinite norm while its values are finite; the norm is then rounded to `T`.
///
/// # Non-finite gradients
/// As PyTorch with `error_if_nonfinite=False` (its default), nothing is checked: a NaN
/// anywhere makes the norm NaN, and every gradient becomes NaN; an infinite gradient (and
/// no NaN) makes the norm infinite and c = 0, so the finite gradients become 0 and the
/// infinite ones NaN. The norm returned is then not finite, which is the signal to skip the
/// step.
///
/// ```
/// use typenet_core::optim::clip_grad_norm;
/// let mut g = [0.3f64, 0.4];
/// assert_eq!(clip_grad_norm(&mut g, 1.0), Ok(0.5)); // under the limit: unchanged
/// assert_eq!(g, [0.3, 0.4]);
/// assert_eq!(clip_grad_norm(&mut g, 0.0).unwrap_err().name, "max norm");
/// let mut bad = [f64::NAN, 1.0];
/// assert!(clip_grad_norm(&mut bad, 1.0).unwrap().is_nan());
/// assert!(bad[1].is_nan());
/// ```
pub fn clip_grad_norm<T: Scalar, P: Flat<T>>(
    grads: &mut P,
    max_norm: T,
) -> Result<T, InvalidHyperParameter> {
    validate::finite_positive("max norm", max_norm)?;
    let g = grads.as_flat_mut();
    let norm = l2_norm(g);
    // clip_coef = max_norm / (total_norm + 1e-6), in the tensors' type
    let coef = max_norm / (norm + T::from_f64(NORM_EPS));
    // grads.mul_(clamp(clip_coef, max=1)): a NaN coefficient passes the clamp, as here.
    if coef < T::ONE || coef.is_nan() {
        scale(g, coef);
    }
    Ok(norm)
}

/// Clamps every gradient to [−`limit`, `limit`], as
/// `torch.nn.utils.clip_grad_value_(…, limit)`, and returns the gradients' global L2 norm
/// before clipping (which PyTorch does not return; it is computed as in
/// [`clip_grad_norm`]). `limit` must be finite and greater than 0, or nothing changes
/// and the error names it.
///
/// Unlike clipping by norm, this changes the gradient's direction. A NaN gradient stays NaN
/// (as `clamp_` leaves it), and ±∞ becomes ±`limit`; the norm returned is then NaN or ∞.
///
/// ```
/// use typenet_core::optim::clip_grad_value;
/// let mut g = [f32::INFINITY, -0.25];
/// assert_eq!(clip_grad_value(&mut g, 0.5), Ok(f32::INFINITY));
/// assert_eq!(g, [0.5, -0.25]);
/// assert_eq!(clip_grad_value(&mut g, -1.0).unwrap_err().name, "clip value");
/// ```
pub fn clip_grad_value<T: Scalar, P: Flat<T>>(
    grads: &mut P,
    limit: T,
) -> Result<T, InvalidHyperParameter> {
    validate::finite_positive("clip value", limit)?;
    let g = grads.as_flat_mut();
    let norm = l2_norm(g);
    for g in g {
        // clamp_(min=−limit, max=limit), NaN kept
        if *g > limit {
            *g = limit;
        } else if *g < -limit {
            *g = -limit;
        }
    }
    Ok(norm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::layers::DenseParams;
    use std::string::ToString;

    #[test]
    fn clipping_by_norm_scales_every_tensor_by_one_factor() {
        // A weight and a bias: the norm is over both together.
        type Grads = DenseParams<U1, U1, f64>;
        let mut g = Grads::zeroed();
        g.as_flat_mut().copy_from_slice(&[6.0, -8.0]);
        let norm = clip_grad_norm(&mut g, 2.0).unwrap();
        assert_eq!(norm, 10.0);
        let c = 2.0 / (10.0 + 1e-6);
        assert_eq!(g.as_flat(), &[6.0 * c, -8.0 * c]);
        // Just under max_norm afterwards.
        let after = norm_of(g.as_flat());
        assert!(after < 2.0 && after > 2.0 - 1e-6, "{after}");
    }

    fn norm_of(g: &[f64]) -> f64 {
        g.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    #[test]
    fn a_norm_within_the_limit_is_left_alone_except_at_the_very_edge() {
        let mut g = [0.6f64, 0.8];
        assert_eq!(clip_grad_norm(&mut g, 1.5).unwrap(), 1.0);
        assert_eq!(g, [0.6, 0.8]);
        // PyTorch's 1e-6: a norm equal to max_norm is still scaled, by 1/(1 + 1e-6).
        let mut g = [0.6f64, 0.8];
        clip_grad_norm(&mut g, 1.0).unwrap();
        assert!(g[0] < 0.6 && g[0] > 0.6 * (1.0 - 2e-6));
        // A zero gradient stays zero.
        let mut g = [0.0f32; 3];
        assert_eq!(clip_grad_norm(&mut g, 1.0).unwrap(), 0.0);
        assert_eq!(g, [0.0; 3]);
    }

    #[test]
    fn the_norm_of_a_large_f32_block_does_not_overflow() {
        // 1e20² overflows f32; the squares are summed in f64.
        let mut g = [3e20f32, 4e20];
        let norm = clip_grad_norm(&mut g, 1.0).unwrap();
        assert!((norm / 5e20 - 1.0).abs() < 1e-6, "{norm}");
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn non_finite_gradients_follow_pytorch() {
        let mut g = [1.0f64, f64::NAN, -2.0];
        assert!(clip_grad_norm(&mut g, 1.0).unwrap().is_nan());
        assert!(g.iter().all(|g| g.is_nan()));
        let mut g = [1.0f64, f64::INFINITY, -2.0];
        assert_eq!(clip_grad_norm(&mut g, 1.0).unwrap(), f64::INFINITY);
        // c = 0: finite values become (signed) zeros, ∞·0 is NaN.
        assert_eq!((g[0], g[2]), (0.0, 0.0));
        assert!(g[1].is_nan());

        let mut g = [f64::NAN, f64::NEG_INFINITY, 3.0];
        assert!(clip_grad_value(&mut g, 1.0).unwrap().is_nan());
        assert!(g[0].is_nan());
        assert_eq!(&g[1..], &[-1.0, 1.0]);
    }

    #[test]
    fn clipping_by_value_clamps_each_and_returns_the_norm_before() {
        type Grads = DenseParams<U2, U1, f32>;
        let mut g = Grads::zeroed();
        g.as_flat_mut().copy_from_slice(&[-6.0, 2.0, 3.0]);
        let norm = clip_grad_value(&mut g, 2.5).unwrap();
        assert_eq!(norm, 7.0);
        assert_eq!(g.as_flat(), &[-2.5, 2.0, 2.5]);
    }

    #[test]
    fn limits_are_validated() {
        for bad in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut g = [1.0f64, 2.0];
            let err = clip_grad_norm(&mut g, bad).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("max norm", "a finite number greater than 0")
            );
            let err = clip_grad_value(&mut g, bad).unwrap_err();
            assert_eq!(err.name, "clip value");
            assert_eq!(g, [1.0, 2.0], "nothing changes on an error");
        }
        assert_eq!(
            clip_grad_norm(&mut [1.0f32], -2.0).unwrap_err().to_string(),
            "invalid max norm: -2 (expected a finite number greater than 0)"
        );
    }

    #[test]
    fn refused_f32_limits_leave_the_gradients_alone() {
        for bad in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
            let mut g = [3.0f32, -4.0];
            assert_eq!(clip_grad_norm(&mut g, bad).unwrap_err().name, "max norm");
            assert_eq!(clip_grad_value(&mut g, bad).unwrap_err().name, "clip value");
            assert_eq!(g, [3.0, -4.0]);
        }
    }
}
