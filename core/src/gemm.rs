//! Matrix products on row-major slices: a built-in kernel for small shapes and for builds
//! without `alloc`, matrixmultiply for the rest.
//!
//! Each function computes `c ← alpha·op(a)·op(b) + beta·c` for an m×n `c`; with `beta` zero
//! `c` is overwritten, as BLAS does.

use crate::Scalar;

/// Below this many multiply-adds the built-in kernel beats matrixmultiply, whose packing
/// costs a heap allocation per call (measured with `benches/gemm.rs`).
#[cfg(feature = "alloc")]
const SMALL: usize = 32 * 32 * 32;

#[cfg(feature = "alloc")]
fn large(m: usize, k: usize, n: usize) -> bool {
    m * k * n >= SMALL
}

#[cfg(feature = "alloc")]
use crate::raw::{matrixmultiply_gemm, Strides};

/// `a`: m×k, `b`: k×n.
pub(crate) fn nn<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    #[cfg(feature = "alloc")]
    if large(m, k, n) {
        let (sa, sb, sc) = (
            Strides { row: k, col: 1 },
            Strides { row: n, col: 1 },
            Strides { row: n, col: 1 },
        );
        return matrixmultiply_gemm((m, k, n), alpha, a, sa, b, sb, beta, c, sc);
    }
    rows_times_b((m, k, n), alpha, |i, p| a[i * k + p], b, beta, c);
}

/// `a`: k×m used as its transpose, `b`: k×n.
pub(crate) fn tn<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    #[cfg(feature = "alloc")]
    if large(m, k, n) {
        let (sa, sb, sc) = (
            Strides { row: 1, col: m },
            Strides { row: n, col: 1 },
            Strides { row: n, col: 1 },
        );
        return matrixmultiply_gemm((m, k, n), alpha, a, sa, b, sb, beta, c, sc);
    }
    rows_times_b((m, k, n), alpha, |i, p| a[p * m + i], b, beta, c);
}

/// `a`: m×k, `b`: n×k used as its transpose.
pub(crate) fn nt<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    #[cfg(feature = "alloc")]
    if large(m, k, n) {
        let (sa, sb, sc) = (
            Strides { row: k, col: 1 },
            Strides { row: 1, col: k },
            Strides { row: n, col: 1 },
        );
        return matrixmultiply_gemm((m, k, n), alpha, a, sa, b, sb, beta, c, sc);
    }
    if m == 0 || n == 0 {
        return;
    }
    for (a_row, c_row) in a.chunks_exact(k.max(1)).zip(c.chunks_exact_mut(n)).take(m) {
        for (b_row, cij) in b.chunks_exact(k.max(1)).zip(c_row.iter_mut()) {
            let d = alpha * dot(&a_row[..k], &b_row[..k]);
            *cij = if beta == T::ZERO { d } else { beta * *cij + d };
        }
    }
}

/// Row i of `c` gets Σₚ a(i, p)·(row p of `b`): the inner loop runs along contiguous rows of
/// `b` and `c`, which the compiler vectorizes.
fn rows_times_b<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: impl Fn(usize, usize) -> T,
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    if n == 0 {
        return;
    }
    for (i, c_row) in c.chunks_exact_mut(n).take(m).enumerate() {
        if beta == T::ZERO {
            c_row.fill(T::ZERO);
        } else if beta != T::ONE {
            c_row.iter_mut().for_each(|x| *x *= beta);
        }
        for (p, b_row) in b.chunks_exact(n).take(k).enumerate() {
            let aip = alpha * a(i, p);
            for (cij, &bpj) in c_row.iter_mut().zip(b_row) {
                *cij += aip * bpj;
            }
        }
    }
}

/// A dot product with eight independent partial sums, so that it vectorizes.
fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = T::ZERO;
    for (&a, &b) in xr.iter().zip(yr) {
        tail += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}
