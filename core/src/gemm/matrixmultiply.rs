//! The call into matrixmultiply: one of the two modules allowed `unsafe` (the other is
//! `flat`). The kernel (`sgemm` or `dgemm`) comes from [`Scalar::MATRIXMULTIPLY`], so no type
//! test or pointer cast is needed.
#![allow(unsafe_code)]

use super::{Operand, Strides};
use crate::scalar::Scalar;

/// `c ← alpha·a·b + beta·c` for an m×k `a` and a k×n `b`, with a row-major m×n `c`;
/// matrixmultiply ignores `c` when `beta` is zero.
///
/// # Panics
/// If a slice is too short for its shape and strides (callers pass shapes from types, so
/// this is a bug check, not input validation).
pub(crate) fn gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let fits = |len: usize, rows: usize, cols: usize, s: Strides| {
        rows == 0 || cols == 0 || (rows - 1) * s.row + (cols - 1) * s.col < len
    };
    let sc = Strides::row_major(n);
    assert!(
        fits(a.data.len(), m, k, a.strides)
            && fits(b.data.len(), k, n, b.strides)
            && fits(c.len(), m, n, sc),
        "matrixmultiply gemm: operand shorter than its shape"
    );
    let (sa, sb) = (a.strides, b.strides);
    // SAFETY: every index the kernel touches is in bounds (checked above), and `c` is
    // borrowed mutably, so it aliases neither input.
    unsafe {
        (T::MATRIXMULTIPLY)(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            sa.row as isize,
            sa.col as isize,
            b.data.as_ptr(),
            sb.row as isize,
            sb.col as isize,
            beta,
            c.as_mut_ptr(),
            sc.row as isize,
            sc.col as isize,
        );
    }
}
