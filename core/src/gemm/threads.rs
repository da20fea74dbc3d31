//! Two threads for the large products (feature `threads`): the rows of `c` split in two, the
//! second half computed on a scoped thread while the calling thread computes the first.
//! Each half is an ordinary single-threaded matrixmultiply call on its own rows of `a` and
//! `c`, so the result is the same, bit for bit, as one call's.

use super::{matrixmultiply, Operand};
use crate::Scalar;

/// Below this many multiply-adds a product stays on one thread: starting a thread costs
/// tens of microseconds, the time of a product of about a million multiply-adds.
const LEAST_MULTIPLY_ADDS: usize = 4 << 20;
/// Below this many rows of `c` a product stays on one thread: the kernels compute in tiles
/// of 8 to 16 rows, so fewer rows leave a half mostly padding.
const LEAST_ROWS: usize = 32;
/// The first half's rows are a multiple of this, so that both halves fill whole tiles.
const ROW_TILE: usize = 16;

/// `c ← alpha·a·b + beta·c`, as [`matrixmultiply::gemm`], on two threads when the product is
/// large enough to pay for the second.
pub(crate) fn gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    if m < LEAST_ROWS || m * k * n < LEAST_MULTIPLY_ADDS {
        return matrixmultiply::gemm((m, k, n), alpha, a, b, beta, c);
    }
    let top = (m / 2).next_multiple_of(ROW_TILE).min(m);
    let (c_top, c_bottom) = c.split_at_mut(top * n);
    let a_bottom = Operand {
        data: &a.data[top * a.strides.row..],
        strides: a.strides,
    };
    std::thread::scope(|scope| {
        scope.spawn(|| matrixmultiply::gemm((m - top, k, n), alpha, a_bottom, b, beta, c_bottom));
        matrixmultiply::gemm((top, k, n), alpha, a, b, beta, c_top);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::Strides;
    use std::vec::Vec;

    /// Values in [-1, 1) from a fixed sequence.
    fn values(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Both halves together write what one call writes, bit for bit, in each operand layout a
    /// dense layer uses, with an odd number of rows and with `beta` zero and one.
    #[test]
    fn two_threads_match_one_bit_for_bit() {
        let (m, k, n) = (203, 160, 150);
        assert!(m * k * n >= LEAST_MULTIPLY_ADDS);
        let a = values(m * k, 1);
        let b = values(k * n, 2);
        let layouts = [
            (Strides::row_major(k), Strides::row_major(n)),
            (Strides::row_major(k), Strides::transposed(k)),
            (Strides::transposed(m), Strides::row_major(n)),
        ];
        for (sa, sb) in layouts {
            for beta in [0.0, 1.0] {
                let a = Operand {
                    data: &a,
                    strides: sa,
                };
                let b = Operand {
                    data: &b,
                    strides: sb,
                };
                let (mut one, mut two) = (values(m * n, 3), values(m * n, 3));
                matrixmultiply::gemm((m, k, n), 0.5, a, b, beta, &mut one);
                gemm((m, k, n), 0.5, a, b, beta, &mut two);
                let bits = |c: &[f32]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&one), bits(&two), "strides {sa:?} {sb:?}, beta {beta}");
            }
        }
    }
}
