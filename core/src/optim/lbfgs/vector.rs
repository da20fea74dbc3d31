//! The few vector operations of L-BFGS, on slices, summed in order as PyTorch sums them.

use crate::Scalar;

/// Σ aᵢ·bᵢ, summed in order.
pub(super) fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::ZERO, |sum, (&a, &b)| sum + a * b)
}

/// Σ |aᵢ|, summed in order.
pub(super) fn sum_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |sum, &a| sum + a.abs())
}

/// max |aᵢ| (0 for none; NaN if any is NaN, as `abs().max()` is in PyTorch).
pub(super) fn max_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |m, &a| m.max_nan(a.abs()))
}

/// y ← y + a·x (PyTorch's `y.add_(x, alpha=a)`).
pub(super) fn axpy<T: Scalar>(y: &mut [T], a: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// out ← y + a·x, the same sums as [`axpy`] into another block.
pub(super) fn axpy_into<T: Scalar>(out: &mut [T], y: &[T], a: T, x: &[T]) {
    for ((out, &y), &x) in out.iter_mut().zip(y).zip(x) {
        *out = y + a * x;
    }
}
