//! What the f64-and-f32 parity tests (`layer_parity.rs`, `optimizer_parity.rs`) share: the
//! tolerance of each precision and the one comparison they all use.

use typenet::Scalar;

/// How close typenet must come to PyTorch: |actual − expected| ≤ max(`relative`·scale,
/// `absolute`) for every element, where scale is the largest |expected| in the array.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// Relative to the largest magnitude in the array compared.
    pub relative: f64,
    /// The floor, for arrays whose values are all near zero.
    pub absolute: f64,
}

impl Tolerance {
    /// f64: 1e-9 relative. Typenet and PyTorch round differently (sums in another order,
    /// PyTorch's fused multiply-adds), and over five optimizer steps the differences are
    /// carried on, but they stay below 1e-15; a wrong convention (a damped first momentum
    /// buffer, decay on the biases, a biased running variance) misses by 2e-2 or more.
    pub const F64: Self = Tolerance {
        relative: 1e-9,
        absolute: 0.0,
    };
    /// f32: 1e-4 relative, at least 1e-6. One f32 rounding is 6e-8; torch's own f32 and f64
    /// runs of the same fixtures differ by less than 3e-7 (fixtures/README.md).
    pub const F32: Self = Tolerance {
        relative: 1e-4,
        absolute: 1e-6,
    };
}

/// Asserts that `actual` is within `tol` of `expected`, element by element (see
/// [`Tolerance`]), like `assert_close` in tests/pytorch_parity.rs, so that entries PyTorch
/// reports as 0 must come out within the tolerance of 0 too. Returns the largest
/// |actual − expected| / scale seen, for the tests to report.
#[track_caller]
pub fn assert_close<T: Scalar>(what: &str, actual: &[T], expected: &[T], tol: Tolerance) -> f64 {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.to_f64().abs()));
    let scale = if scale == 0.0 { 1.0 } else { scale };
    let allowed = (tol.relative * scale).max(tol.absolute);
    let mut worst = 0.0f64;
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let (a, e) = (a.to_f64(), e.to_f64());
        let diff = (a - e).abs();
        let at = if expected.len() > 1 {
            format!("[{i}]")
        } else {
            String::new()
        };
        assert!(
            diff <= allowed,
            "{what}{at}: typenet {a:e}, PyTorch {e:e}, off by {diff:e} > {allowed:e} \
             (max of {:e} × {scale:e} and {:e})",
            tol.relative,
            tol.absolute,
        );
        worst = worst.max(diff / scale);
    }
    worst
}

/// A run of comparisons in one precision: each through [`assert_close`], prefixed with the
/// precision's name in messages, keeping the largest relative difference for the report.
pub struct Comparisons {
    prefix: String,
    tol: Tolerance,
    /// The largest |actual − expected| / scale so far.
    pub worst: f64,
}

impl Comparisons {
    /// Comparisons within `tol`, whose messages start with `prefix` (`"f32 step 3:"`).
    pub fn new(prefix: impl Into<String>, tol: Tolerance) -> Self {
        Comparisons {
            prefix: prefix.into(),
            tol,
            worst: 0.0,
        }
    }

    /// [`assert_close`] on `what`, remembering the difference.
    #[track_caller]
    pub fn check<T: Scalar>(&mut self, what: &str, actual: &[T], expected: &[T]) {
        let what = format!("{} {what}", self.prefix);
        let diff = assert_close(&what, actual, expected, self.tol);
        self.worst = self.worst.max(diff);
    }
}
