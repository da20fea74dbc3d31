//! Matrix products on row-major slices: a built-in kernel for small shapes and for builds
//! without `alloc`, matrixmultiply for the rest.
//!
//! [`gemm`] computes `c ← alpha·a·b + beta·c` for an m×k `a`, a k×n `b` and a row-major
//! m×n `c`, where `a` and `b` are read through strides, so a transposed operand costs
//! nothing. With `beta` zero `c` is overwritten, as BLAS does.

#[cfg(feature = "alloc")]
use crate::raw::matrixmultiply_gemm;
use crate::Scalar;

/// The strides of one operand: element (r, c) lives at `r * row + c * col`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strides {
    pub row: usize,
    pub col: usize,
}

impl Strides {
    /// A row-major `rows`×`cols` matrix.
    pub fn row_major(cols: usize) -> Self {
        Strides { row: cols, col: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(cols: usize) -> Self {
        Strides { row: 1, col: cols }
    }
}

/// Below this many multiply-adds the built-in kernel beats matrixmultiply, whose packing
/// costs a heap allocation per call (measured with `benches/gemm.rs`).
#[cfg(feature = "alloc")]
const SMALL: usize = 32 * 32 * 32;

#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    sa: Strides,
    b: &[T],
    sb: Strides,
    beta: T,
    c: &mut [T],
) {
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(feature = "alloc")]
    if m * k * n >= SMALL {
        let sc = Strides::row_major(n);
        return matrixmultiply_gemm((m, k, n), alpha, a, sa, b, sb, beta, c, sc);
    }
    for (i, c_row) in c.chunks_exact_mut(n).take(m).enumerate() {
        if beta == T::ZERO {
            c_row.fill(T::ZERO);
        } else if beta != T::ONE {
            c_row.iter_mut().for_each(|x| *x *= beta);
        }
        let a_at = |p: usize| a[i * sa.row + p * sa.col];
        if sb.col == 1 {
            // Row i of c gets Σₚ a(i, p)·(row p of b): the inner loop runs along contiguous
            // rows of b and c, which the compiler vectorizes.
            for p in 0..k {
                let aip = alpha * a_at(p);
                let b_row = &b[p * sb.row..][..n];
                for (cij, &bpj) in c_row.iter_mut().zip(b_row) {
                    *cij += aip * bpj;
                }
            }
        } else {
            // b is transposed (the only other form `Matrix` asks for, with a row-major a):
            // each element is a dot product of two contiguous rows.
            debug_assert!(sa.col == 1 && sb.row == 1, "unsupported operand layout");
            let a_row = &a[i * sa.row..][..k];
            for (j, cij) in c_row.iter_mut().enumerate() {
                *cij += alpha * dot(a_row, &b[j * sb.col..][..k]);
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
