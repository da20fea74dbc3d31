//! Whitening: decorrelating the features and giving every direction variance 1, by PCA or
//! ZCA, from the eigendecomposition of the training set's covariance.

use super::eigen::symmetric_eigen;
use super::{Normalizer, Scaled};
use crate::error::Error;
use crate::scalar::Scalar;
use alloc::vec;
use alloc::vec::Vec;

/// Which whitening a [`Whitening`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhiteningKind {
    /// x ↦ Λ^(-1/2)·Uᵀ(x − μ): the coordinates along the principal axes, each scaled to
    /// variance 1.
    Pca,
    /// x ↦ U·Λ^(-1/2)·Uᵀ(x − μ): PCA whitening rotated back to the original axes.
    Zca,
}

/// PCA or ZCA whitening fitted on a training set: after it, the training rows have mean 0
/// and, up to ε, the identity as covariance.
///
/// With μ the mean of the training rows and C = UΛUᵀ their covariance (the columns of U the
/// principal axes, Λ = diag(λ₁ ≥ … ≥ λ_W) the variance along each), a row x becomes
///
/// ```text
/// PCA:  y = D·Uᵀ(x − μ)        D = diag(1/√(λᵢ + ε))
/// ZCA:  y = U·D·Uᵀ(x − μ)      (= C^(-1/2)·(x − μ) when ε = 0)
/// ```
///
/// so the covariance of the whitened training rows is D²Λ = diag(λᵢ/(λᵢ + ε)) for PCA and
/// U·D²Λ·Uᵀ for ZCA: the identity when ε = 0, and close to it wherever λᵢ ≫ ε.
///
/// - **Covariance.** The population covariance: C = (1/n)·Σ (x − μ)(x − μ)ᵀ, as numpy's
///   `np.cov(rows, rowvar=False, bias=True)`; accumulated in `f64`.
/// - **Eigendecomposition.** Cyclic Jacobi rotations in `f64`, accurate for hundreds of
///   features (about 6·W³ operations a sweep, a dozen sweeps at most in practice). The
///   eigenvalues are sorted largest first and reported as 0 where rounding makes them
///   slightly negative. Each axis's sign is fixed so that its component of largest
///   magnitude is positive (the first one, if several are equally large), which makes PCA's
///   output reproducible; axes that share an eigenvalue are not unique, so then PCA's
///   output is one of many equally valid ones (ZCA's is unique).
/// - **ε.** A small ε ≥ 0 keeps directions of tiny variance from being blown up (see the
///   [module documentation](super)). A direction whose λᵢ + ε is within rounding error of
///   0, at most (n + W)·2⁻⁵²·λ₁ for n rows, is left unscaled (1 instead of 1/√(λᵢ + ε)), as
///   [`Standardizer`](super::Standardizer) leaves a constant feature; this happens only with
///   ε about that small and data without variance in some direction, and keeps the output
///   free of infinities and NaN.
/// - **Width.** The output keeps all `W` components, so that its type stays `[T; W]`:
///   there is no dimensionality reduction. The trailing PCA components are the directions of
///   least variance, and [`eigenvalues`](Whitening::eigenvalues) tells how much each holds.
/// - **Storage.** The W×W matrices are on the heap (`alloc`).
///
/// Applying costs W² multiply-adds per row, in `T`; it does not check the rows, so a NaN
/// in a row makes that row's output NaN.
///
/// # Type parameters
/// `W` features per row, `T` scalar (`f32` unless given).
///
/// ```
/// use typenet_core::data::Dataset;
/// use typenet_core::normalize::{Normalizer, Whitening};
/// // Two features with covariance [[5, 4], [4, 5]]: variance 9 along (1, 1)/√2, 1 along
/// // (1, −1)/√2.
/// let data = Dataset::<2, f64>::from_csv("13,23,0\n7,17,1\n11,19,0\n9,21,1\n").unwrap();
/// let white = Whitening::pca(data.features(), 0.0)?;
/// assert_eq!(white.mean(), &[10.0, 20.0]);
/// let [l1, l2] = *white.eigenvalues();
/// assert!((l1 - 9.0).abs() < 1e-12 && (l2 - 1.0).abs() < 1e-12);
/// let y = white.normalized(&[12.0, 20.0]); // centred: (2, 0)
/// let h = std::f64::consts::FRAC_1_SQRT_2;
/// assert!((y[0] - 2.0 * h / 3.0).abs() < 1e-12 && (y[1] - 2.0 * h).abs() < 1e-12);
/// let mut rows = data.features().to_vec();
/// white.apply(&mut rows);
/// assert!((rows[0][0] - 2.0 * h).abs() < 1e-12 && rows[0][1].abs() < 1e-12);
/// # Ok::<(), typenet_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Whitening<const W: usize, T = f32> {
    kind: WhiteningKind,
    eps: f64,
    mean: [T; W],
    eigenvalues: [T; W],
    /// The principal axes, as rows.
    components: Vec<[T; W]>,
    /// What multiplies the centred row: row i gives output i.
    matrix: Vec<[T; W]>,
}

impl<const W: usize, T: Scalar> Whitening<W, T> {
    /// PCA whitening fitted on `rows`: x ↦ Λ^(-1/2)·Uᵀ(x − μ), each eigenvalue regularized
    /// as 1/√(λ + ε).
    ///
    /// Fails with [`Error::InvalidHyperParameter`] if `eps` is negative or not finite
    /// (checked first), and with [`Error::Empty`] without
    /// rows or [`Error::NonFiniteValue`] naming the row and column (counting from 0) of the
    /// first NaN or infinity.
    ///
    /// ```
    /// use typenet_core::normalize::Whitening;
    /// use typenet_core::{Error, InvalidHyperParameter};
    /// let rows = [[1.0f32, 2.0], [2.0, 1.0], [f32::NAN, 0.0]];
    /// let e = Whitening::pca(&rows, -1.0).unwrap_err();
    /// let Error::InvalidHyperParameter(InvalidHyperParameter { name, .. }) = e else { panic!() };
    /// assert_eq!(name, "whitening eps");
    /// let e = Whitening::pca(&rows, 1e-5).unwrap_err();
    /// let place = Error::NonFiniteValue { what: "feature", row: 2, column: 0 };
    /// assert_eq!(e, (place));
    /// // Without the bad row: the first axis is (1, −1)/√2, with variance 0.5.
    /// let white = Whitening::pca(&rows[..2], 1e-5)?;
    /// assert!((white.eigenvalues()[0] - 0.5).abs() < 1e-6);
    /// let h = std::f32::consts::FRAC_1_SQRT_2;
    /// let [u1, u2] = white.components()[0];
    /// assert!((u1 - h).abs() < 1e-6 && (u2 + h).abs() < 1e-6);
    /// # Ok::<(), typenet_core::Error>(())
    /// ```
    pub fn pca(rows: &[[T; W]], eps: f64) -> Result<Self, Error> {
        Self::fit(rows, eps, WhiteningKind::Pca)
    }

    /// ZCA whitening fitted on `rows`: U·(the PCA whitening), which is x ↦ C^(-1/2)·(x − μ)
    /// when ε = 0. Fails as [`pca`](Whitening::pca) does.
    ///
    /// ```
    /// use typenet_core::normalize::{Normalizer, Whitening, WhiteningKind};
    /// // Covariance [[5, 4], [4, 5]], whose inverse square root is [[2, −1], [−1, 2]]/3.
    /// let train = [[13.0f64, 23.0], [7.0, 17.0], [11.0, 19.0], [9.0, 21.0]];
    /// let white = Whitening::zca(&train, 0.0)?;
    /// assert_eq!(white.kind(), WhiteningKind::Zca);
    /// let y = white.normalized(&[12.0, 20.0]);
    /// assert!((y[0] - 4.0 / 3.0).abs() < 1e-12 && (y[1] + 2.0 / 3.0).abs() < 1e-12);
    /// let m = white.matrix();
    /// assert!((m[0][0] - 2.0 / 3.0).abs() < 1e-12 && (m[0][1] + 1.0 / 3.0).abs() < 1e-12);
    /// # Ok::<(), typenet_core::Error>(())
    /// ```
    pub fn zca(rows: &[[T; W]], eps: f64) -> Result<Self, Error> {
        Self::fit(rows, eps, WhiteningKind::Zca)
    }

    fn fit(rows: &[[T; W]], eps: f64, kind: WhiteningKind) -> Result<Self, Error> {
        crate::validate::finite_non_negative("whitening eps", eps)?;
        let scaled = Scaled::new(rows)?;
        // Everything in units of the scale s, so that nothing overflows: C = s²·C'.
        let s = scaled.scale;
        let n = rows.len() as f64;
        let mut covariance = vec![[0.0f64; W]; W];
        for row in rows {
            let d: [f64; W] = core::array::from_fn(|k| scaled.deviation(row, k));
            // Both halves, each product computed alike, so the matrix is exactly symmetric.
            for (c, &di) in covariance.iter_mut().zip(&d) {
                c.iter_mut().zip(&d).for_each(|(c, &dj)| *c += di * dj);
            }
        }
        covariance.iter_mut().flatten().for_each(|c| *c /= n);
        let (values, axes) = symmetric_eigen(covariance);
        let values = values.map(|v| v.max(0.0));
        // 1/√(λ + ε) = 1/(s·√(λ' + ε/s²)); ε/s² overflows only when s is so small that λ
        // is negligible next to ε, and then the multiplier is 1/√ε.
        let eps_scaled = eps / s / s;
        let noise = values[0] * (rows.len() + W) as f64 * f64::EPSILON;
        let multipliers = values.map(|v| {
            if v + eps_scaled <= noise {
                1.0
            } else if eps_scaled.is_finite() {
                1.0 / (s * libm::sqrt(v + eps_scaled))
            } else {
                1.0 / libm::sqrt(eps)
            }
        });
        let matrix = match kind {
            WhiteningKind::Pca => axes
                .iter()
                .zip(multipliers)
                .map(|(u, m)| u.map(|x| T::from_f64(m * x)))
                .collect(),
            WhiteningKind::Zca => (0..W)
                .map(|i| {
                    core::array::from_fn(|j| {
                        let terms = axes.iter().zip(multipliers).map(|(u, m)| u[i] * m * u[j]);
                        T::from_f64(terms.sum())
                    })
                })
                .collect(),
        };
        Ok(Whitening {
            kind,
            eps,
            mean: scaled.mean(),
            eigenvalues: values.map(|v| T::from_f64(v * s * s)),
            components: axes.iter().map(|u| u.map(T::from_f64)).collect(),
            matrix,
        })
    }

    /// PCA or ZCA.
    pub fn kind(&self) -> WhiteningKind {
        self.kind
    }

    /// ε, added to each eigenvalue under the square root.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Each feature's mean over the training rows.
    pub fn mean(&self) -> &[T; W] {
        &self.mean
    }

    /// The covariance's eigenvalues, largest first: the variance of the training rows along
    /// each principal axis (the explained variance), before whitening. Their sum is the
    /// total variance; in `f32`, an eigenvalue beyond `f32::MAX` (features beyond about
    /// 10¹⁹) is infinite.
    pub fn eigenvalues(&self) -> &[T; W] {
        &self.eigenvalues
    }

    /// The principal axes, unit vectors as rows, in the order of
    /// [`eigenvalues`](Whitening::eigenvalues) (numpy's `eigh` gives them as columns;
    /// scikit-learn's `PCA.components_` as rows). Each one's component of largest magnitude
    /// is positive.
    pub fn components(&self) -> &[[T; W]] {
        &self.components
    }

    /// The W×W matrix that multiplies a centred row, row i giving output i: D·Uᵀ for PCA,
    /// U·D·Uᵀ for ZCA, with D the diagonal of multipliers 1/√(λᵢ + ε).
    pub fn matrix(&self) -> &[[T; W]] {
        &self.matrix
    }
}

impl<const W: usize, T: Scalar> Normalizer<W, T> for Whitening<W, T> {
    fn apply_row(&self, row: &mut [T; W]) {
        let centred: [T; W] = core::array::from_fn(|k| row[k] - self.mean[k]);
        for (y, weights) in row.iter_mut().zip(&self.matrix) {
            *y = weights
                .iter()
                .zip(&centred)
                .fold(T::ZERO, |sum, (&w, &x)| sum + w * x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The mean of each column and the population covariance of rows, in f64.
    fn moments<const W: usize, T: Scalar>(rows: &[[T; W]]) -> ([f64; W], [[f64; W]; W]) {
        let n = rows.len() as f64;
        let mean: [f64; W] =
            core::array::from_fn(|k| rows.iter().map(|r| r[k].to_f64()).sum::<f64>() / n);
        let cov = core::array::from_fn(|i| {
            core::array::from_fn(|j| {
                let products = rows
                    .iter()
                    .map(|r| (r[i].to_f64() - mean[i]) * (r[j].to_f64() - mean[j]));
                products.sum::<f64>() / n
            })
        });
        (mean, cov)
    }

    /// The largest |a − b| over two square matrices.
    fn distance<const W: usize>(a: &[[f64; W]; W], b: &[[f64; W]; W]) -> f64 {
        let pairs = a.iter().flatten().zip(b.iter().flatten());
        pairs.fold(0.0, |m, (x, y)| m.max((x - y).abs()))
    }

    /// `n` rows of four correlated features on different scales and off-centre: mixtures of
    /// four deterministic, nearly uncorrelated signals.
    fn correlated<T: Scalar>(n: usize, phase: f64) -> Vec<[T; 4]> {
        (0..n)
            .map(|i| {
                let t = i as f64 + phase;
                let z = [
                    libm::sin(0.7 * t),
                    libm::cos(1.9 * t + 0.3),
                    libm::sin(3.1 * t + 1.0),
                    libm::cos(0.37 * t * t),
                ];
                [
                    10.0 + 3.0 * z[0] + z[1],
                    -5.0 + 2.0 * z[0] - z[1] + 0.5 * z[2],
                    0.1 * z[2] + 0.05 * z[3],
                    100.0 + 4.0 * z[1] + 0.2 * z[3],
                ]
                .map(T::from_f64)
            })
            .collect()
    }

    /// The covariance a whitening of `white`'s kind gives its training rows: diag(λ/(λ + ε))
    /// for PCA, U·diag(λ/(λ + ε))·Uᵀ for ZCA, computed from the reported eigenvalues and
    /// axes; 0 instead of λ/(λ + ε) along a direction without variance (λ below 10⁻¹² of
    /// the largest).
    fn expected_covariance<const W: usize, T: Scalar>(white: &Whitening<W, T>) -> [[f64; W]; W] {
        let largest = white.eigenvalues()[0].to_f64();
        let shrink = white.eigenvalues().map(|l| {
            let l = l.to_f64();
            if l <= 1e-12 * largest {
                0.0
            } else {
                l / (l + white.eps())
            }
        });
        let u = |k: usize, i: usize| white.components()[k][i].to_f64();
        core::array::from_fn(|i| {
            core::array::from_fn(|j| match white.kind() {
                WhiteningKind::Pca => {
                    if i == j {
                        shrink[i]
                    } else {
                        0.0
                    }
                }
                WhiteningKind::Zca => (0..W).map(|k| u(k, i) * shrink[k] * u(k, j)).sum(),
            })
        })
    }

    /// Whitens the training rows and checks their mean (0) and covariance (as expected)
    /// within `tol`; returns the rows.
    fn whitens_the_training_rows<T: Scalar>(kind: WhiteningKind, eps: f64, tol: f64) {
        let mut rows = correlated::<T>(200, 0.0);
        let white = match kind {
            WhiteningKind::Pca => Whitening::pca(&rows, eps),
            WhiteningKind::Zca => Whitening::zca(&rows, eps),
        }
        .unwrap();
        white.apply(&mut rows);
        let (mean, cov) = moments(&rows);
        assert!(
            mean.iter().all(|m| m.abs() < tol),
            "{kind:?} {eps}: {mean:?}"
        );
        let off = distance(&cov, &expected_covariance(&white));
        assert!(
            off < tol,
            "{kind:?} {eps}: covariance off by {off:e}: {cov:?}"
        );
        // And the identity, up to ε/λ: the eigenvalues are about 9.1, 6.4, 0.076 and 5.0e-4.
        let identity = core::array::from_fn(|i| core::array::from_fn(|j| (i == j) as u8 as f64));
        let from_identity = distance(&cov, &identity);
        assert!(from_identity < tol + eps / 5e-4, "{from_identity:e}");
    }

    #[test]
    fn training_rows_come_out_white_in_f64() {
        for kind in [WhiteningKind::Pca, WhiteningKind::Zca] {
            for eps in [0.0, 1e-5, 0.1] {
                whitens_the_training_rows::<f64>(kind, eps, 1e-10);
            }
        }
    }

    #[test]
    fn training_rows_come_out_white_in_f32() {
        // The data's smallest variance is 1e-4 of its largest, so f32's rounding of the
        // rows (6e-8 relative, on values near 100) is amplified about a hundredfold.
        for kind in [WhiteningKind::Pca, WhiteningKind::Zca] {
            for eps in [0.0, 1e-5, 0.1] {
                whitens_the_training_rows::<f32>(kind, eps, 1e-3);
            }
        }
    }

    /// The hand-computed example of the documentation: covariance [[5, 4], [4, 5]].
    const TRAIN: [[f64; 2]; 4] = [[13.0, 23.0], [7.0, 17.0], [11.0, 19.0], [9.0, 21.0]];

    #[test]
    fn a_test_split_uses_the_training_statistics() {
        // Centred with μ = (10, 20): (2, 0) and (−1, 4). Along (1, 1)/√2 (λ = 9) and
        // (1, −1)/√2 (λ = 1), with ε = 1: PCA gives ((x₁ + x₂)/√2/√10, (x₁ − x₂)/√2/√2).
        let test = [[12.0, 20.0], [9.0, 24.0]];
        let h = core::f64::consts::FRAC_1_SQRT_2;
        let pca = [
            [2.0 * h / libm::sqrt(10.0), 2.0 * h / libm::sqrt(2.0)],
            [3.0 * h / libm::sqrt(10.0), -5.0 * h / libm::sqrt(2.0)],
        ];
        let white = Whitening::pca(&TRAIN, 1.0).unwrap();
        let mut rows = test;
        white.apply(&mut rows);
        let close = |a: &[[f64; 2]; 2], b: &[[f64; 2]; 2]| {
            a.iter()
                .flatten()
                .zip(b.iter().flatten())
                .all(|(x, y)| (x - y).abs() < 1e-14)
        };
        assert!(close(&rows, &pca), "{rows:?}");
        // ZCA rotates back: U·y, U's columns the two axes.
        let zca = pca.map(|[a, b]| [h * (a + b), h * (a - b)]);
        let mut rows = test;
        Whitening::zca(&TRAIN, 1.0).unwrap().apply(&mut rows);
        assert!(close(&rows, &zca), "{rows:?}");
        // Fitted on the test split itself, the result would differ.
        let mut own = test;
        Whitening::zca(&test, 1.0).unwrap().apply(&mut own);
        assert!(!close(&own, &zca), "{own:?}");
    }

    #[test]
    fn one_row_at_prediction_time_equals_the_batch() {
        let train = correlated::<f32>(60, 0.0);
        let test = correlated::<f32>(5, 1000.5);
        for white in [Whitening::pca(&train, 1e-5), Whitening::zca(&train, 1e-5)] {
            let white = white.unwrap();
            let mut batch = test.clone();
            white.apply(&mut batch);
            for (row, want) in test.iter().zip(&batch) {
                assert_eq!(&white.normalized(row), want);
            }
        }
    }

    #[test]
    fn a_constant_feature_stays_zero_and_never_makes_nan() {
        // Feature 1 is constant: an eigenvalue of exactly 0 along the axis (0, 1, 0).
        let train: Vec<[f64; 3]> = correlated::<f64>(50, 0.0)
            .iter()
            .map(|r| [r[0], 7.5, r[1]])
            .collect();
        for eps in [0.0, 1e-5] {
            for kind in [WhiteningKind::Pca, WhiteningKind::Zca] {
                let white = match kind {
                    WhiteningKind::Pca => Whitening::pca(&train, eps),
                    WhiteningKind::Zca => Whitening::zca(&train, eps),
                }
                .unwrap();
                assert_eq!(white.eigenvalues()[2], 0.0);
                assert_eq!(white.components()[2], [0.0, 1.0, 0.0]);
                let mut rows = train.clone();
                white.apply(&mut rows);
                let (_, cov) = moments(&rows);
                let out = if kind == WhiteningKind::Pca { 2 } else { 1 };
                assert!(rows.iter().all(|r| r[out] == 0.0), "{kind:?} {eps}");
                assert!((0..3)
                    .filter(|&k| k != out)
                    .all(|k| (cov[k][k] - 1.0).abs() < 1e-3));
                // A test row off the constant value: scaled by 1/√ε, or left as it is when
                // ε = 0 (the constant direction has no variance to divide by).
                let y = white.normalized(&[train[0][0], 8.5, train[0][2]]);
                let want = if eps == 0.0 {
                    1.0
                } else {
                    1.0 / libm::sqrt(eps)
                };
                assert!((y[out] - want).abs() < 1e-9 * want, "{kind:?} {eps}: {y:?}");
            }
        }
    }

    #[test]
    fn rank_deficient_data_is_whitened_without_nan() {
        // Feature 2 is the sum of features 0 and 1: the covariance has rank 3 of 4.
        for eps in [0.0, 1e-5] {
            let train: Vec<[f64; 4]> = correlated::<f64>(80, 0.0)
                .iter()
                .map(|r| [r[0], r[1], r[0] + r[1], r[3]])
                .collect();
            let test = correlated::<f64>(10, 500.0);
            for white in [Whitening::pca(&train, eps), Whitening::zca(&train, eps)] {
                let white = white.unwrap();
                assert!(
                    white.eigenvalues()[3].abs() < 1e-12,
                    "{:?}",
                    white.eigenvalues()
                );
                let mut rows = train.clone();
                white.apply(&mut rows);
                let mut test = test.clone();
                white.apply(&mut test);
                assert!(rows.iter().chain(&test).flatten().all(|x| x.is_finite()));
                // Along the three directions with variance, white; along the fourth, ≈ 0.
                let (_, cov) = moments(&rows);
                let off = distance(&cov, &expected_covariance(&white));
                assert!(off < 1e-9, "{eps}: {off:e}");
            }
        }
    }

    #[test]
    fn rejects_bad_eps_first_then_bad_rows() {
        let rows = correlated::<f32>(10, 0.0);
        for eps in [-1e-9, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = Whitening::pca(&rows, eps).unwrap_err();
            let Error::InvalidHyperParameter(e) = e else {
                panic!("{e:?}")
            };
            assert_eq!(
                (e.name, e.expected),
                ("whitening eps", "a finite number at least 0")
            );
            assert!(e.value_f64().to_bits() == eps.to_bits());
            // Checked before the rows.
            let e = Whitening::<4, f32>::zca(&[], eps).unwrap_err();
            assert!(matches!(e, Error::InvalidHyperParameter(_)));
        }
        let e = Whitening::<4, f32>::zca(&[], 0.0).unwrap_err();
        assert_eq!(
            e,
            (Error::Empty {
                what: "training set"
            })
        );
        let mut bad = rows.clone();
        bad[4][3] = f32::INFINITY;
        bad[6][0] = f32::NAN;
        let e = Whitening::pca(&bad, 0.0).unwrap_err();
        let place = Error::NonFiniteValue {
            what: "feature",
            row: 4,
            column: 3,
        };
        assert_eq!(e, (place));
    }

    #[test]
    fn huge_and_tiny_values_are_whitened_like_ordinary_ones() {
        // The same data times 2^±600: its covariance alone would overflow or underflow f64.
        let rows = correlated::<f64>(40, 0.0);
        let mut reference = rows.clone();
        let white = Whitening::zca(&rows, 0.0).unwrap();
        white.apply(&mut reference);
        for power in [600, -600] {
            let factor = libm::ldexp(1.0, power);
            let mut scaled: Vec<[f64; 4]> = rows.iter().map(|r| r.map(|x| x * factor)).collect();
            let white = Whitening::zca(&scaled, 0.0).unwrap();
            white.apply(&mut scaled);
            let pairs = scaled.iter().flatten().zip(reference.iter().flatten());
            let off = pairs.fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(off < 1e-9, "2^{power}: {off:e}");
        }
    }
}
