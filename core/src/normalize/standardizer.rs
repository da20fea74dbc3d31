//! Standardization: each feature centred and divided by its training standard deviation.

use super::{Normalizer, Scaled};
use crate::error::Error;
use crate::scalar::Scalar;

/// Per-feature standardization fitted on a training set: x ↦ (x − μ) / s, feature by
/// feature, like scikit-learn's `StandardScaler`: μ is the mean and s the **scale**, the
/// population standard deviation σ (dividing by n), or 1 for a feature with σ = 0, which
/// thereby becomes 0 rather than NaN.
///
/// [`std_dev`](Standardizer::std_dev) reports σ itself, 0 for a constant feature;
/// [`scale`](Standardizer::scale) the divisor actually used.
///
/// Fit on the training rows only, then apply the same transform to every split.
///
/// # Type parameters
/// `W` features per row, `T` scalar (`f32` unless given).
///
/// ```
/// use typenet_core::normalize::{Normalizer, Standardizer};
/// let train = [[1.0, 5.0], [3.0, 5.0]]; // e.g. a data set's `features()`
/// let scaler = Standardizer::fit(&train)?;
/// assert_eq!((scaler.mean(), scaler.std_dev()), (&[2.0, 5.0], &[1.0, 0.0]));
/// assert_eq!(scaler.scale(), &[1.0, 1.0]); // the constant feature is divided by 1
/// let mut test = [[0.0, 5.0], [2.5, 6.0]];
/// scaler.apply(&mut test);
/// assert_eq!(test, [[-2.0, 0.0], [0.5, 1.0]]);
/// assert_eq!(scaler.normalized(&[4.0, 7.0]), [2.0, 2.0]); // at prediction time
/// # Ok::<(), typenet_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer<const W: usize, T = f32> {
    mean: [T; W],
    std_dev: [T; W],
    scale: [T; W],
}

impl<const W: usize, T: Scalar> Standardizer<W, T> {
    /// Computes each feature's mean and population standard deviation (in `f64`, then
    /// rounded to `T`).
    ///
    /// Fails with [`Error::Empty`] without rows, and with [`Error::NonFiniteValue`] naming
    /// the row and column (counting from 0) of the first NaN or infinity.
    ///
    /// ```
    /// use typenet_core::{normalize::Standardizer, Error};
    /// let e = Standardizer::fit(&[[1.0f64, f64::INFINITY]]).unwrap_err();
    /// assert_eq!(e, Error::NonFiniteValue { what: "feature", row: 0, column: 1 });
    /// let e = Standardizer::<2, f32>::fit(&[]).unwrap_err();
    /// assert_eq!(e.to_string(), "the training set has no rows");
    /// ```
    pub fn fit(rows: &[[T; W]]) -> Result<Self, Error> {
        let scaled = Scaled::new(rows)?;
        let std_dev: [T; W] =
            core::array::from_fn(|k| T::from_f64(libm::sqrt(scaled.variance(k)) * scaled.scale));
        // A deviation too small for T rounds to 0 and is treated as one.
        let scale = std_dev.map(|s| {
            if s > T::ZERO && s.is_finite() {
                s
            } else {
                T::ONE
            }
        });
        let mean = scaled.mean();
        Ok(Standardizer {
            mean,
            std_dev,
            scale,
        })
    }

    /// Each feature's mean.
    pub fn mean(&self) -> &[T; W] {
        &self.mean
    }

    /// Each feature's population standard deviation: 0 for a constant feature.
    pub fn std_dev(&self) -> &[T; W] {
        &self.std_dev
    }

    /// What each feature is divided by: its standard deviation, or 1 where that is 0.
    pub fn scale(&self) -> &[T; W] {
        &self.scale
    }
}

impl<const W: usize, T: Scalar> Normalizer<W, T> for Standardizer<W, T> {
    fn apply_row(&self, row: &mut [T; W]) {
        for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
            *x = (*x - m) / s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The mean and population variance of column `k`, in f64.
    fn moments<const W: usize, T: Scalar>(rows: &[[T; W]], k: usize) -> (f64, f64) {
        let n = rows.len() as f64;
        let mean = rows.iter().map(|row| row[k].to_f64()).sum::<f64>() / n;
        let var = rows
            .iter()
            .map(|row| (row[k].to_f64() - mean) * (row[k].to_f64() - mean))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    /// 12 rows of three features on very different scales (tens of thousands, units,
    /// thousandths) and a constant fourth.
    fn spread<T: Scalar>() -> Vec<[T; 4]> {
        (0..12)
            .map(|i| {
                let x = i as f64;
                [
                    2e4 + 37.0 * x * x,
                    libm::sin(x * 1.7) * 3.0 - 2.0,
                    1e-3 * (x % 5.0),
                    4.25,
                ]
                .map(T::from_f64)
            })
            .collect()
    }

    #[test]
    fn matches_hand_computation() {
        // Column 0: 1, 2, 6 → mean 3, variance (4 + 1 + 9) / 3 = 14/3, std 2.1602468994692865.
        // Column 1 is constant 0.1, whose mean summed in f64 would be 0.10000000000000002.
        let train = [[1.0, 0.1], [2.0, 0.1], [6.0, 0.1]];
        let scaler = Standardizer::fit(&train).unwrap();
        let sd = 2.160246899469287;
        assert_eq!(scaler.mean(), &[3.0, 0.1]);
        assert_eq!((scaler.std_dev()[1], scaler.scale()[1]), (0.0, 1.0));
        assert!((scaler.std_dev()[0] - sd).abs() < 1e-15);
        assert_eq!(scaler.std_dev()[0], scaler.scale()[0]);
        let mut rows = train;
        scaler.apply(&mut rows);
        for (row, want) in rows.iter().zip([-2.0 / sd, -1.0 / sd, 3.0 / sd]) {
            assert!((row[0] - want).abs() < 1e-12, "{row:?}, not {want}");
            assert_eq!(row[1], 0.0);
        }
        let mut row = [4.0, 7.0];
        scaler.apply_row(&mut row);
        assert_eq!(row, [1.0 / sd, 6.9]);
        let pixels = [[5.0f32], [5.0]];
        let scaler = Standardizer::fit(&pixels).unwrap();
        assert_eq!((scaler.std_dev(), scaler.scale()), (&[0.0], &[1.0]));
        assert_eq!(scaler.normalized(&pixels[0]), [0.0]);
    }

    /// The standardized training rows have mean 0 and variance 1 in each varying feature,
    /// within `tol`, and exactly 0 in the constant one.
    fn standardizes_the_training_rows<T: Scalar>(tol: f64) {
        let mut rows = spread::<T>();
        let scaler = Standardizer::fit(&rows).unwrap();
        assert_eq!((scaler.std_dev()[3], scaler.scale()[3]), (T::ZERO, T::ONE));
        scaler.apply(&mut rows);
        for k in 0..3 {
            let (mean, var) = moments(&rows, k);
            assert!(
                mean.abs() < tol && (var - 1.0).abs() < tol,
                "{k}: {mean:e}, {var}"
            );
        }
        assert!(rows.iter().all(|row| row[3] == T::ZERO));
    }

    #[test]
    fn training_rows_get_mean_0_and_variance_1_in_f64() {
        standardizes_the_training_rows::<f64>(1e-13);
    }

    #[test]
    fn training_rows_get_mean_0_and_variance_1_in_f32() {
        // f32 rounds each value to 6e-8 relative; the largest feature's values differ from
        // its mean by only a few percent of their size, which costs about two digits more.
        standardizes_the_training_rows::<f32>(1e-5);
    }

    #[test]
    fn a_test_split_uses_the_training_statistics() {
        let train = spread::<f64>();
        let scaler = Standardizer::fit(&train).unwrap();
        let (mean, var) = moments(&train, 0);
        let mut test = [[2e4, -2.0, 0.004, 5.25], [3e4, 1.0, 0.0, 4.25]];
        scaler.apply(&mut test);
        let want = |x: f64| (x - mean) / libm::sqrt(var);
        assert!((test[0][0] - want(2e4)).abs() < 1e-12 && (test[1][0] - want(3e4)).abs() < 1e-12);
        // The constant feature is shifted by its training value and not scaled.
        assert_eq!((test[0][3], test[1][3]), (1.0, 0.0));
        // The test split's own statistics would have given −1 and 1 in the first feature.
        assert!(test[1][0] > 5.0, "{test:?}");
    }

    #[test]
    fn one_row_at_prediction_time_equals_the_batch() {
        let scaler = Standardizer::fit(&spread::<f32>()).unwrap();
        let mut batch = [[21_000.0f32, 0.5, 0.002, 4.0], [19_000.0, -4.0, 0.0, 4.25]];
        let rows = batch;
        scaler.apply(&mut batch);
        for (row, want) in rows.iter().zip(&batch) {
            assert_eq!(&scaler.normalized(row), want);
        }
    }

    #[test]
    fn rejects_empty_and_non_finite_training_sets_naming_the_place() {
        let e = Standardizer::<3, f64>::fit(&[]).unwrap_err();
        assert_eq!(
            e,
            Error::Empty {
                what: "training set"
            }
        );
        let mut rows = spread::<f32>();
        rows[7][2] = f32::NAN;
        let e = Standardizer::fit(&rows).unwrap_err();
        let want = Error::NonFiniteValue {
            what: "feature",
            row: 7,
            column: 2,
        };
        assert_eq!(e, want);
    }
}
