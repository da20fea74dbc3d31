//! The eigendecomposition of a symmetric matrix by cyclic Jacobi rotations, in `f64`.
//!
//! Jacobi is slower than LAPACK's symmetric QR (about 6·W³ flops a sweep, and about ten
//! sweeps, against some 9·W³ in all), but short, free of dependencies, and accurate: the
//! eigenvectors come out orthonormal to rounding, and each eigenvalue's error is about
//! `f64::EPSILON` times the largest. Measured on covariances of cumulative sums of uniform
//! noise: 7, 10 and 11 sweeps for W = 8, 64 and 200, with residuals |Cu − λu| below 5e-16
//! of the largest eigenvalue; W = 200 takes 0.1 s in a release build.

use alloc::vec::Vec;

/// Sweeps at most; quadratic convergence needs far fewer (about log₂ of the digits wanted,
/// plus a few), so the cap only guards against a loop that rounding keeps alive.
const MAX_SWEEPS: usize = 64;

/// The eigenvalues of the symmetric matrix `a` (rows of width `W`, `W` of them), largest
/// first, and a unit eigenvector for each, as the rows of the second result in the same
/// order. Equal eigenvalues keep the order of the diagonal they end up on.
///
/// Each eigenvector's sign is fixed so that its component of largest magnitude is positive
/// (the first such component, if several are equally large).
///
/// Only the symmetric matrix is read: `a[i][j]` and `a[j][i]` must be equal, and every entry
/// finite.
pub(crate) fn symmetric_eigen<const W: usize>(mut a: Vec<[f64; W]>) -> ([f64; W], Vec<[f64; W]>) {
    debug_assert_eq!(a.len(), W);
    // The rows of `v` are the eigenvectors: v accumulates the transposed rotations.
    let mut v: Vec<[f64; W]> = (0..W)
        .map(|i| core::array::from_fn(|j| if i == j { 1.0 } else { 0.0 }))
        .collect();
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..W {
            for q in p + 1..W {
                rotated |= rotate(&mut a, &mut v, p, q);
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: [usize; W] = core::array::from_fn(|i| i);
    // Stable, so that equal eigenvalues keep a reproducible order.
    order.sort_by(|&i, &j| a[j][j].total_cmp(&a[i][i]));
    let values = order.map(|i| a[i][i]);
    let vectors = order
        .iter()
        .map(|&i| {
            let mut u = v[i];
            let largest =
                u.iter().enumerate().fold(
                    0,
                    |best, (k, x)| if x.abs() > u[best].abs() { k } else { best },
                );
            if u[largest] < 0.0 {
                u.iter_mut().for_each(|x| *x = -*x);
            }
            u
        })
        .collect();
    (values, vectors)
}

/// One Jacobi rotation in the (p, q) plane that makes `a[p][q]` zero, applied to `a` on both
/// sides and to the rows p and q of `v`. Returns false, changing nothing but that entry, when
/// `a[p][q]` is already negligible: below `f64::EPSILON` times the geometric mean of the two
/// diagonal entries, which perturbs the eigenvalues by less than their own rounding.
fn rotate<const W: usize>(a: &mut [[f64; W]], v: &mut [[f64; W]], p: usize, q: usize) -> bool {
    let (app, aqq, apq) = (a[p][p], a[q][q], a[p][q]);
    if apq == 0.0 {
        return false;
    }
    if apq.abs() <= f64::EPSILON * libm::sqrt(app.abs() * aqq.abs()) {
        a[p][q] = 0.0;
        a[q][p] = 0.0;
        return false;
    }
    // t = tan θ, the smaller root of t² + 2τt − 1 = 0, so that |θ| ≤ π/4 (Golub and Van
    // Loan, Algorithm 8.5.1); hypot keeps τ² from overflowing.
    let tau = (aqq - app) / (2.0 * apq);
    let t = if tau >= 0.0 { 1.0 } else { -1.0 } / (tau.abs() + libm::hypot(1.0, tau));
    let c = 1.0 / libm::sqrt(1.0 + t * t);
    let s = t * c;
    // The new rows p and q, which are also the new columns p and q.
    let (row_p, row_q) = (a[p], a[q]);
    let mut new_p: [f64; W] = core::array::from_fn(|k| c * row_p[k] - s * row_q[k]);
    let mut new_q: [f64; W] = core::array::from_fn(|k| s * row_p[k] + c * row_q[k]);
    new_p[p] = app - t * apq;
    new_q[q] = aqq + t * apq;
    new_p[q] = 0.0;
    new_q[p] = 0.0;
    for (r, row) in a.iter_mut().enumerate() {
        row[p] = new_p[r];
        row[q] = new_q[r];
    }
    a[p] = new_p;
    a[q] = new_q;
    let (vp, vq) = (v[p], v[q]);
    v[p] = core::array::from_fn(|k| c * vp[k] - s * vq[k]);
    v[q] = core::array::from_fn(|k| s * vp[k] + c * vq[k]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// max |A·u − λu| over the eigenpairs, and max |uᵢ·uⱼ − δᵢⱼ|.
    fn residuals<const W: usize>(
        a: &[[f64; W]],
        values: &[f64; W],
        vectors: &[[f64; W]],
    ) -> (f64, f64) {
        let mut pair: f64 = 0.0;
        let mut orthonormal: f64 = 0.0;
        for (i, u) in vectors.iter().enumerate() {
            for r in 0..W {
                let au: f64 = (0..W).map(|k| a[r][k] * u[k]).sum();
                pair = pair.max((au - values[i] * u[r]).abs());
            }
            for (j, w) in vectors.iter().enumerate() {
                let dot: f64 = u.iter().zip(w).map(|(x, y)| x * y).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                orthonormal = orthonormal.max((dot - want).abs());
            }
        }
        (pair, orthonormal)
    }

    #[test]
    fn decomposes_a_two_by_two_by_hand() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, −1)/√2; the
        // second has two components of equal magnitude, so the first is made positive.
        let (values, vectors) = symmetric_eigen(vec![[2.0, 1.0], [1.0, 2.0]]);
        assert!((values[0] - 3.0).abs() < 1e-15 && (values[1] - 1.0).abs() < 1e-15);
        let h = core::f64::consts::FRAC_1_SQRT_2;
        for (u, want) in vectors.iter().zip([[h, h], [h, -h]]) {
            assert!(
                u.iter().zip(want).all(|(x, w)| (x - w).abs() < 1e-15),
                "{u:?}"
            );
        }
    }

    #[test]
    fn diagonal_and_zero_matrices_are_left_as_they_are() {
        let (values, vectors) =
            symmetric_eigen(vec![[1.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]);
        assert_eq!(values, [5.0, 1.0, 0.0]);
        assert_eq!(vectors, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
        let (values, vectors) = symmetric_eigen(vec![[0.0; 2]; 2]);
        assert_eq!(values, [0.0, 0.0]);
        assert_eq!(vectors, [[1.0, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn a_larger_matrix_has_small_residuals_and_signs_by_the_rule() {
        // The Hilbert-like matrix 1/(i + j + 1) + δᵢⱼ·i: dense, with eigenvalues spread
        // from about 0.3 to 20 and none repeated.
        const W: usize = 20;
        let a: Vec<[f64; W]> = (0..W)
            .map(|i| {
                core::array::from_fn(|j| {
                    1.0 / (i + j + 1) as f64 + if i == j { i as f64 } else { 0.0 }
                })
            })
            .collect();
        let (values, vectors) = symmetric_eigen(a.clone());
        let (pair, orthonormal) = residuals(&a, &values, &vectors);
        assert!(
            pair < 1e-13 && orthonormal < 1e-14,
            "{pair:e}, {orthonormal:e}"
        );
        assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
        // The trace is the sum of the eigenvalues.
        let trace: f64 = (0..W).map(|i| a[i][i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-12);
        for u in &vectors {
            let largest = u.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let first = u.iter().find(|x| x.abs() == largest).unwrap();
            assert!(*first > 0.0, "{u:?}");
        }
    }

    #[test]
    fn a_singular_matrix_gets_a_zero_eigenvalue() {
        // The outer product of (1, 2, 3) with itself: rank 1, eigenvalue 14 along (1, 2, 3).
        let x = [1.0, 2.0, 3.0];
        let a: Vec<[f64; 3]> = x.iter().map(|xi| x.map(|xj| xi * xj)).collect();
        let (values, vectors) = symmetric_eigen(a.clone());
        assert!((values[0] - 14.0).abs() < 1e-13, "{values:?}");
        assert!(
            values[1].abs() < 1e-14 && values[2].abs() < 1e-14,
            "{values:?}"
        );
        let n = libm::sqrt(14.0);
        assert!(vectors[0]
            .iter()
            .zip(x)
            .all(|(u, x)| (u - x / n).abs() < 1e-15));
        let (pair, orthonormal) = residuals(&a, &values, &vectors);
        assert!(
            pair < 1e-14 && orthonormal < 1e-15,
            "{pair:e}, {orthonormal:e}"
        );
    }
}
