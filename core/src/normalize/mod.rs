//! Input normalization, fitted on the training set and applied to every split and to each
//! input at prediction time.
//!
//! Gradient descent converges fastest when the inputs are centred and their features on
//! comparable scales: a feature measured in thousands next to one measured in thousandths
//! stretches the loss surface into a long valley. Normalizing the inputs is therefore the
//! first step of training, and three normalizers are offered, each a [`Normalizer`]:
//!
//! | Normalizer | Row x becomes | When |
//! |---|---|---|
//! | [`Center`] | x − μ | features on one scale already (pixels) |
//! | [`Standardizer`] | (x − μ) / σ, feature by feature | the default, for features of different units or ranges |
//! | [`Whitening`] (`alloc`) | M·(x − μ), M from the covariance | correlated features |
//!
//! μ is each feature's mean, σ its standard deviation. [`Whitening`] goes further than
//! standardizing: with the covariance C = UΛUᵀ (U's columns the principal axes, Λ their
//! variances), PCA whitening maps x to Λ^(-1/2)·Uᵀ(x − μ): it rotates the data onto its
//! principal axes and scales each to variance 1, so the training rows come out with the
//! identity covariance. ZCA whitening rotates back, U·Λ^(-1/2)·Uᵀ(x − μ): of all the
//! whitening transforms it moves the data least, so an image stays recognisable (the
//! classic preprocessing of CIFAR images). Whitening costs W² operations per row instead of
//! W, and needs many more rows than features for a covariance worth trusting.
//!
//! # The ε of whitening
//! A direction of tiny variance (noise, or a feature that is a combination of others) would
//! be blown up by 1/√λ. Whitening therefore divides by √(λ + ε) for a small ε ≥ 0: directions
//! with λ ≫ ε are whitened, those with λ ≪ ε are scaled by about 1/√ε and stay small. ε is
//! in the units of the variance: for standardized features 1e-5 is barely visible and 0.1
//! already damps the weakest directions noticeably. With ε = 0, a direction with no variance
//! at all is left unscaled (see [`Whitening`]), so the result is never NaN.
//!
//! # Fitting
//! Fit on the training rows only (a data set's `features()`), then apply the same fitted
//! value to the training rows, the validation and test rows, and every input the model is
//! later given: statistics taken from the test set would leak it into training. Keep the
//! fitted normalizer with the trained network.
//!
//! Every statistic is accumulated in `f64`, whatever the scalar, and is the population one
//! (dividing by n, like numpy's `std` and `np.cov(..., bias=True)` and scikit-learn's
//! `StandardScaler`). Fitting fails, with [`Error::Empty`], on an empty slice and, with
//! [`Error::NonFiniteValue`] naming the row and column (counting from 0), on a NaN or an
//! infinity; nothing is fitted then.
//!
//! ```
//! use typenet_core::normalize::{Normalizer, Standardizer};
//! let train = [[1.0, 200.0], [2.0, 400.0], [3.0, 600.0]];
//! let mut test = [[2.5, 100.0]];
//! let scaler = Standardizer::fit(&train)?; // on the training rows only
//! scaler.apply(&mut test);
//! let sd = (2.0f64 / 3.0).sqrt(); // the population standard deviation of 1, 2, 3
//! assert!((test[0][0] - 0.5 / sd).abs() < 1e-12 && (test[0][1] + 1.5 / sd).abs() < 1e-12);
//! // At prediction time, one row:
//! assert_eq!(scaler.normalized(&[2.0, 400.0]), [0.0, 0.0]);
//! # Ok::<(), typenet_core::Error>(())
//! ```

mod center;
#[cfg(feature = "alloc")]
mod eigen;
mod standardizer;
#[cfg(feature = "alloc")]
mod whitening;

pub use center::Center;
pub use standardizer::Standardizer;
#[cfg(feature = "alloc")]
pub use whitening::{Whitening, WhiteningKind};

use crate::error::Error;
use crate::scalar::Scalar;

/// A transform of rows of `W` features fitted on a training set: [`Center`],
/// [`Standardizer`] or [`Whitening`].
///
/// Implementors provide [`apply_row`](Normalizer::apply_row); the trait is object safe, so
/// a normalizer chosen at run time can be kept as a `Box<dyn Normalizer<W, T>>`.
///
/// ```
/// use typenet_core::normalize::{Center, Normalizer, Standardizer};
/// let train = [[0.0f32, 10.0], [2.0, 30.0]];
/// let chosen: [&dyn Normalizer<2, f32>; 2] =
///     [&Center::fit(&train)?, &Standardizer::fit(&train)?];
/// let mut rows = [[1.0f32, 40.0], [3.0, 20.0]];
/// chosen[1].apply(&mut rows);
/// assert_eq!(rows, [[0.0, 2.0], [2.0, 0.0]]);
/// assert_eq!(chosen[0].normalized(&[1.0, 20.0]), [0.0, 0.0]);
/// # Ok::<(), typenet_core::Error>(())
/// ```
pub trait Normalizer<const W: usize, T> {
    /// Normalizes one row in place, e.g. an input at prediction time.
    fn apply_row(&self, row: &mut [T; W]);

    /// Normalizes every row in place.
    fn apply(&self, rows: &mut [[T; W]]) {
        rows.iter_mut().for_each(|row| self.apply_row(row));
    }

    /// A normalized copy of `row`.
    fn normalized(&self, row: &[T; W]) -> [T; W]
    where
        T: Copy,
    {
        let mut copy = *row;
        self.apply_row(&mut copy);
        copy
    }
}

/// What the errors of fitting call the rows fitted on.
const TRAINING_SET: &str = "training set";

/// The training rows in units of a common scale: a power of two no smaller than any |value|,
/// so that dividing by it is exact (short of subnormal results) and no sum of the squares
/// or products that fitting takes can overflow, however large the values.
struct Scaled<'a, const W: usize, T> {
    rows: &'a [[T; W]],
    /// The power of two.
    scale: f64,
    /// Each feature's mean, in units of `scale`.
    mean: [f64; W],
}

impl<'a, const W: usize, T: Scalar> Scaled<'a, W, T> {
    /// Checks that there are rows and that every value is finite, naming the first that is
    /// not (row, then column, counting from 0), and computes the scale and the means.
    ///
    /// A constant feature's mean is exactly its value, so that it becomes exactly 0: a mean
    /// summed in `f64` can be off by a rounding error.
    fn new(rows: &'a [[T; W]]) -> Result<Self, Error> {
        if rows.is_empty() {
            return Err(Error::Empty { what: TRAINING_SET });
        }
        let mut largest = 0.0f64;
        for (r, row) in rows.iter().enumerate() {
            for (column, &x) in row.iter().enumerate() {
                if !x.is_finite() {
                    return Err(Error::NonFiniteValue {
                        what: "feature",
                        row: r,
                        column,
                    });
                }
                largest = largest.max(x.to_f64().abs());
            }
        }
        let scale = if largest == 0.0 {
            1.0
        } else {
            // largest = m·2^e with m in [0.5, 1); 2^1024 would overflow, and 2^1023 still
            // keeps every scaled value within ±2.
            let (_, exponent) = libm::frexp(largest);
            libm::ldexp(1.0, exponent.min(1023))
        };
        let n = rows.len() as f64;
        let first = rows[0];
        let mean = core::array::from_fn(|k| {
            if rows.iter().all(|row| row[k] == first[k]) {
                first[k].to_f64() / scale
            } else {
                rows.iter().map(|row| row[k].to_f64() / scale).sum::<f64>() / n
            }
        });
        Ok(Scaled { rows, scale, mean })
    }

    /// Row `row`'s deviation from the mean in feature `k`, in units of the scale.
    fn deviation(&self, row: &[T; W], k: usize) -> f64 {
        row[k].to_f64() / self.scale - self.mean[k]
    }

    /// Each feature's mean, rounded to `T`.
    fn mean(&self) -> [T; W] {
        self.mean.map(|m| T::from_f64(m * self.scale))
    }

    /// Feature `k`'s population variance, in units of the scale squared.
    fn variance(&self, k: usize) -> f64 {
        let squares = self.rows.iter().map(|row| {
            let d = self.deviation(row, k);
            d * d
        });
        squares.sum::<f64>() / self.rows.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_is_exact_and_keeps_huge_values_finite() {
        let rows = [[3.0f64, -0.5], [1.0, -0.5]];
        let scaled = Scaled::new(&rows).unwrap();
        assert_eq!((scaled.scale, scaled.mean), (4.0, [0.5, -0.125]));
        assert_eq!(scaled.mean(), [2.0, -0.5]);
        assert_eq!(scaled.variance(0), 1.0 / 16.0);
        // Squares of these would overflow f64 without the scale.
        let rows = [[f64::MAX], [-f64::MAX]];
        let scaled = Scaled::new(&rows).unwrap();
        assert_eq!(
            (scaled.scale, scaled.mean()),
            (libm::ldexp(1.0, 1023), [0.0])
        );
        let sd = libm::sqrt(scaled.variance(0)) * scaled.scale;
        assert_eq!(sd, f64::MAX);
        assert_eq!(Scaled::new(&[[0.0f32; 3]]).unwrap().scale, 1.0);
    }

    #[test]
    fn the_first_bad_value_is_named_by_row_and_column() {
        let rows = [[1.0f32, 2.0], [3.0, f32::INFINITY], [f32::NAN, 0.0]];
        let e = Scaled::new(&rows).err().unwrap();
        let want = Error::NonFiniteValue {
            what: "feature",
            row: 1,
            column: 1,
        };
        assert_eq!(e, want);
        let empty: [[f64; 4]; 0] = [];
        let e = Scaled::new(&empty).err().unwrap();
        assert_eq!(e, Error::Empty { what: TRAINING_SET });
    }
}
