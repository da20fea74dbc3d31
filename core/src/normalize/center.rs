//! Centering: subtracting each feature's training mean.

use super::{Normalizer, Scaled};
use crate::error::Error;
use crate::scalar::Scalar;

/// Subtracts each feature's mean over the training rows: x ↦ x − μ.
///
/// The first half of standardizing, for features that already share a scale (pixels, or
/// measurements in one unit), where dividing by each one's standard deviation would inflate
/// the near-constant ones. A constant feature becomes exactly 0.
///
/// # Type parameters
/// `W` features per row, `T` scalar (`f32` unless given).
///
/// ```
/// use typenet_core::normalize::{Center, Normalizer};
/// let train = [[1.0, 10.0], [3.0, 10.0]];
/// let center = Center::fit(&train)?;
/// assert_eq!(center.mean(), &[2.0, 10.0]);
/// let mut test = [[0.0, 12.0], [2.5, 9.0]];
/// center.apply(&mut test);
/// assert_eq!(test, [[-2.0, 2.0], [0.5, -1.0]]);
/// # Ok::<(), typenet_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Center<const W: usize, T = f32> {
    mean: [T; W],
}

impl<const W: usize, T: Scalar> Center<W, T> {
    /// Computes each feature's mean (in `f64`, then rounded to `T`).
    ///
    /// Fails with [`Error::Empty`] without rows, and with [`Error::NonFiniteValue`] naming
    /// the row and column (counting from 0) of the first NaN or infinity.
    ///
    /// ```
    /// use typenet_core::{normalize::Center, Error};
    /// let e = Center::fit(&[[1.0f32, 2.0], [f32::NAN, 0.0]]).unwrap_err();
    /// assert_eq!(e, Error::NonFiniteValue { what: "feature", row: 1, column: 0 });
    /// assert_eq!(e.to_string(), "feature 0 of row 1 (counting from 0) is NaN or infinite");
    /// assert!(matches!(Center::<3, f64>::fit(&[]), Err(Error::Empty { .. })));
    /// ```
    pub fn fit(rows: &[[T; W]]) -> Result<Self, Error> {
        let mean = Scaled::new(rows)?.mean();
        Ok(Center { mean })
    }

    /// Each feature's mean.
    pub fn mean(&self) -> &[T; W] {
        &self.mean
    }
}

impl<const W: usize, T: Scalar> Normalizer<W, T> for Center<W, T> {
    fn apply_row(&self, row: &mut [T; W]) {
        for (x, &m) in row.iter_mut().zip(&self.mean) {
            *x -= m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column 0: 1, 2, 6, mean 3; column 1: −0.5, 0.25, 1.75, mean 0.5; column 2 constant 0.1,
    /// whose mean summed in f64 would be 0.10000000000000002.
    const TRAIN: [[f64; 3]; 3] = [[1.0, -0.5, 0.1], [2.0, 0.25, 0.1], [6.0, 1.75, 0.1]];

    #[test]
    fn training_rows_get_mean_zero_exactly_here() {
        let center = Center::fit(&TRAIN).unwrap();
        assert_eq!(center.mean(), &[3.0, 0.5, 0.1]);
        let mut rows = TRAIN;
        center.apply(&mut rows);
        assert_eq!(
            rows,
            [[-2.0, -1.0, 0.0], [-1.0, -0.25, 0.0], [3.0, 1.25, 0.0]]
        );
        for k in 0..3 {
            assert_eq!(rows.iter().map(|row| row[k]).sum::<f64>(), 0.0);
        }
    }

    #[test]
    fn a_test_split_is_centred_with_the_training_mean() {
        let center = Center::fit(&TRAIN).unwrap();
        let mut test = [[3.0, 0.0, 1.1], [0.0, 0.5, 0.1]];
        center.apply(&mut test);
        // Its own means would have been 1.5, 0.25 and 0.6.
        assert_eq!(test, [[0.0, -0.5, 1.0], [-3.0, 0.0, 0.0]]);
    }

    #[test]
    fn one_row_at_prediction_time_equals_the_batch() {
        let center = Center::fit(&TRAIN).unwrap();
        let mut batch = [[7.0, -2.0, 0.3], [0.25, 8.0, -1.0]];
        let rows = batch;
        center.apply(&mut batch);
        for (row, want) in rows.iter().zip(&batch) {
            assert_eq!(&center.normalized(row), want);
            let mut one = *row;
            center.apply_row(&mut one);
            assert_eq!(&one, want);
        }
    }

    #[test]
    fn in_f32_the_mean_is_summed_in_f64() {
        // Summed in f32, 2²⁴ + 1 + 1 would stay 2²⁴ (each 1 rounded away), and the mean
        // come out as 5592405.5; in f64 it is (2²⁴ + 2)/3 = 5592406 exactly.
        let rows = [[0.1f32, 16_777_216.0], [0.1, 1.0], [0.1, 1.0]];
        let center = Center::fit(&rows).unwrap();
        assert_eq!(center.mean(), &[0.1, 5_592_406.0]);
        assert_eq!(center.normalized(&[0.35, 5_592_406.5]), [0.25, 0.5]);
    }

    #[test]
    fn rejects_empty_and_non_finite_training_sets_naming_the_place() {
        let empty: &[[f32; 2]] = &[];
        let e = Center::fit(empty).unwrap_err();
        assert_eq!(
            e,
            Error::Empty {
                what: "training set"
            }
        );
        let e = Center::fit(&[[0.0, 1.0], [2.0, f64::NEG_INFINITY]]).unwrap_err();
        let want = Error::NonFiniteValue {
            what: "feature",
            row: 1,
            column: 1,
        };
        assert_eq!(e, want);
    }
}
