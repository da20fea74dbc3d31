//! The call into matrixmultiply: one of the modules allowed `unsafe` (with `flat` and, with the
//! `threads` feature, `gemm::threads`). The kernel (`sgemm` or `dgemm`) comes from
//! [`Scalar::MATRIXMULTIPLY`], so no type test or pointer cast is needed.
#![allow(unsafe_code)]

use super::{fits, Operand, Strides};
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
    assert!(
        fits(c.len(), (m, n), Strides::row_major(n)),
        "matrixmultiply gemm: result shorter than its shape"
    );
    // SAFETY: `c` holds the m×n matrix (checked above) and is borrowed mutably.
    unsafe { call((m, k, n), alpha, a, b, beta, c.as_mut_ptr(), n) }
}

/// The call itself, for a row-major m×n `c` at `c` whose rows are `c_row` apart.
///
/// # Safety
/// Every element of that `c` must be valid for writes, and nothing else may read or write
/// them during the call.
unsafe fn call<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: *mut T,
    c_row: usize,
) {
    assert!(
        fits(a.data.len(), (m, k), a.strides) && fits(b.data.len(), (k, n), b.strides),
        "matrixmultiply gemm: operand shorter than its shape"
    );
    let (sa, sb) = (a.strides, b.strides);
    // SAFETY: every index the kernel reads is in bounds (checked above), and the caller
    // vouches for `c`, which aliases neither input (they are shared borrows).
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
            c,
            c_row as isize,
            1,
        );
    }
}

/// Some adjacent columns of a row-major matrix, borrowed mutably: one half of a result split
/// by columns, whose other half another thread computes at the same time.
#[cfg(feature = "threads")]
pub(crate) struct Columns<'a, T> {
    first: *mut T,
    rows: usize,
    cols: usize,
    row: usize,
    borrow: core::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: a `Columns` is an exclusive borrow of its elements, which no other value reaches
// (`split` hands out disjoint column ranges), like a `&mut [T]`.
#[cfg(feature = "threads")]
unsafe impl<T: Send> Send for Columns<'_, T> {}

#[cfg(feature = "threads")]
impl<'a, T: Scalar> Columns<'a, T> {
    /// Columns `0..left` and `left..n` of the row-major m×n matrix `c`.
    ///
    /// # Panics
    /// If `c` is shorter than m×n or `left` is over `n`.
    pub fn split(c: &'a mut [T], (m, n): (usize, usize), left: usize) -> (Self, Self) {
        assert!(c.len() >= m * n && left <= n, "columns out of the matrix");
        let first = c.as_mut_ptr();
        let columns = |first, cols| Columns {
            first,
            rows: m,
            cols,
            row: n,
            borrow: core::marker::PhantomData,
        };
        (
            columns(first, left),
            columns(first.wrapping_add(left), n - left),
        )
    }

    /// `self ← alpha·a·b + beta·self` for an m×k `a` and a k×(its columns) `b`, through
    /// `kernel` (matrixmultiply unless it is the packed kernel).
    pub fn gemm(
        self,
        kernel: super::Kernel,
        k: usize,
        alpha: T,
        a: Operand<'_, T>,
        b: Operand<'_, T>,
        beta: T,
    ) {
        if self.rows == 0 || self.cols == 0 {
            return;
        }
        let shape = (self.rows, k, self.cols);
        // SAFETY: `split` checked that the columns lie in the borrowed slice, and no other
        // `Columns` reaches them.
        #[cfg(target_arch = "x86_64")]
        if kernel == super::Kernel::Packed {
            return unsafe { super::packed::call(shape, alpha, a, b, beta, self.first, self.row) };
        }
        let _ = kernel;
        // SAFETY: as above.
        unsafe { call(shape, alpha, a, b, beta, self.first, self.row) }
    }
}
