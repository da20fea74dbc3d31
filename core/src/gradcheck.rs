//! Gradient checking by central differences, for any layer, loss or generated network.
//!
//! The course's "babysitting" check: before trusting a backward pass, compare each partial
//! derivative it produces with `(f(x + h) − f(x − h)) / 2h`.

use crate::flat::Flat;
use crate::scalar::Scalar;
use core::fmt;

/// Settings of a gradient check: the step `h` and the relative tolerance.
///
/// A derivative passes when `|analytic − numeric| ≤ tolerance · max(|analytic|, |numeric|, 10⁻³)`;
/// the floor keeps derivatives near zero from failing on rounding noise alone.
///
/// ```
/// use typenet_core::gradcheck::GradCheck;
/// // f(x) = x₀² + 3·x₁ at (1, 2): gradient (2, 3).
/// let mut x = [1.0f64, 2.0];
/// let report = GradCheck::F64.run(&mut x, &[2.0, 3.0], |x| x[0] * x[0] + 3.0 * x[1]).unwrap();
/// assert_eq!(report.checked, 2);
/// assert!(GradCheck::F64.run(&mut x, &[2.0, 3.1], |x| x[0] * x[0] + 3.0 * x[1]).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// The step `h` of the central difference.
    pub step: f64,
    /// The largest accepted relative error.
    pub tolerance: f64,
}

/// What a passing check measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradReport {
    /// How many partial derivatives were compared.
    pub checked: usize,
    /// The largest relative error among them.
    pub max_relative_error: f64,
}

/// The first partial derivative that disagreed with its finite difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradientMismatch {
    /// Its position in the flat view of the block checked.
    pub index: usize,
    /// What the backward pass gave.
    pub analytic: f64,
    /// What the central difference gave.
    pub numeric: f64,
    /// The tolerance it was held to.
    pub tolerance: f64,
}

impl fmt::Display for GradientMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gradient mismatch at flat index {}: backward gives {:e}, central difference gives {:e} (relative tolerance {:e})",
            self.index, self.analytic, self.numeric, self.tolerance
        )
    }
}

impl core::error::Error for GradientMismatch {}

impl GradCheck {
    /// For `f64`: h = 10⁻⁶, tolerance 10⁻⁶.
    pub const F64: Self = Self {
        step: 1e-6,
        tolerance: 1e-6,
    };
    /// For `f32`, where a tiny step drowns in rounding: h = 10⁻³, tolerance 10⁻².
    pub const F32: Self = Self {
        step: 1e-3,
        tolerance: 1e-2,
    };

    /// Compares `analytic` — the gradient of `loss` at `point`, shaped like it — with central
    /// differences, one scalar of `point` at a time. `point` is restored exactly afterwards.
    pub fn run<T: Scalar, P: Flat<T>>(
        &self,
        point: &mut P,
        analytic: &P,
        mut loss: impl FnMut(&P) -> T,
    ) -> Result<GradReport, GradientMismatch> {
        self.run_in(point, |p| p, analytic, |p| loss(p))
    }
}

impl GradCheck {
    /// [`run`](GradCheck::run) on a part of a larger value: `part` picks the block to
    /// perturb out of `whole` (a network's parameters), and `loss` sees all of `whole`
    /// (mutably, so that it can run a training forward pass).
    pub fn run_in<T: Scalar, W, P: Flat<T>>(
        &self,
        whole: &mut W,
        part: impl Fn(&mut W) -> &mut P,
        analytic: &P,
        mut loss: impl FnMut(&mut W) -> T,
    ) -> Result<GradReport, GradientMismatch> {
        let mut report = GradReport {
            checked: 0,
            max_relative_error: 0.0,
        };
        for (index, &a) in analytic.as_flat().iter().enumerate() {
            let numeric = self.central_difference(whole, &part, index, &mut loss);
            self.compare(index, a.to_f64(), numeric, &mut report)?;
        }
        Ok(report)
    }

    fn central_difference<T: Scalar, W, P: Flat<T>>(
        &self,
        whole: &mut W,
        part: &impl Fn(&mut W) -> &mut P,
        index: usize,
        loss: &mut impl FnMut(&mut W) -> T,
    ) -> f64 {
        let h = T::from_f64(self.step);
        let original = part(whole).as_flat()[index];
        part(whole).as_flat_mut()[index] = original + h;
        let up = loss(whole);
        part(whole).as_flat_mut()[index] = original - h;
        let down = loss(whole);
        part(whole).as_flat_mut()[index] = original;
        (up.to_f64() - down.to_f64()) / (2.0 * self.step)
    }

    fn compare(
        &self,
        index: usize,
        analytic: f64,
        numeric: f64,
        report: &mut GradReport,
    ) -> Result<(), GradientMismatch> {
        let scale = analytic.abs().max(numeric.abs()).max(1e-3);
        let relative = (analytic - numeric).abs() / scale;
        if relative.is_nan() || relative > self.tolerance {
            return Err(GradientMismatch {
                index,
                analytic,
                numeric,
                tolerance: self.tolerance,
            });
        }
        report.checked += 1;
        report.max_relative_error = report.max_relative_error.max(relative);
        Ok(())
    }
}

/// Fixed pseudo-random weights `c` for the asymmetric test loss `Σ cₖ·yₖ`, from a seed,
/// without needing an RNG crate: a splitmix64 sequence mapped to [−1, 1).
#[doc(hidden)]
pub fn test_weights<T: Scalar, P: Flat<T>>(seed: u64) -> P {
    let mut out = P::zeroed();
    let mut s = seed;
    for c in out.as_flat_mut() {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        *c = T::from_f64((z >> 11) as f64 / (1u64 << 52) as f64 - 1.0);
    }
    out
}

/// `Σ aₖ·bₖ` over two blocks of the same shape.
#[doc(hidden)]
pub fn weighted_sum<T: Scalar, P: Flat<T>>(weights: &P, values: &P) -> T {
    weights
        .as_flat()
        .iter()
        .zip(values.as_flat())
        .map(|(&c, &y)| c * y)
        .sum()
}
