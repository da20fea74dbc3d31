//! The element types a network computes in: `f32` and `f64`.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use core::str::FromStr;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element type: `f32` or `f64`.
///
/// The trait is sealed: [`Flat`](crate::Flat) and the matrix products rely on every scalar being a plain float
/// whose all-zero bit pattern is `0.0`.
///
/// ```
/// use typenet_core::Scalar;
/// fn half<T: Scalar>(x: T) -> T { x * T::from_f64(0.5) }
/// assert_eq!(half(3.0f32), 1.5);
/// ```
pub trait Scalar:
    sealed::Sealed
    + crate::flat::Flat<Self>
    + Copy
    + Default
    + PartialOrd
    + Debug
    + Display
    + FromStr
    + Sum
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
    + 'static
{
    /// `0.0`
    const ZERO: Self;
    /// `1.0`
    const ONE: Self;
    /// The type's name, for messages: `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// matrixmultiply's kernel for this type: `sgemm` or `dgemm`.
    #[doc(hidden)]
    #[cfg(feature = "alloc")]
    const MATRIXMULTIPLY: GemmKernel<Self>;
    /// The crate's own packed kernel for this type, with its tile and block sizes.
    #[doc(hidden)]
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    const PACKED: PackedKernel<Self>;

    /// Converts from `f64`, rounding to the nearest value.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// The value as a [`Number`](crate::Number) of its own type, which prints as this type
    /// does (`-0.1f32` as `-0.1`).
    ///
    /// ```
    /// use typenet_core::{Number, Scalar};
    /// assert_eq!((-0.1f32).to_number(), Number::F32(-0.1));
    /// ```
    fn to_number(self) -> crate::error::Number;
    /// Converts a count, rounding to the nearest value.
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// `eˣ`
    fn exp(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// The square root.
    fn sqrt(self) -> Self;
    /// The hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The absolute value.
    fn abs(self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// The larger of two values; NaN if either is NaN, so that NaN is never hidden.
    fn max_nan(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            Self::from_f64(f64::NAN)
        } else if self >= other {
            self
        } else {
            other
        }
    }
    /// Whether the value is NaN.
    #[allow(clippy::wrong_self_convention)]
    fn is_nan(self) -> bool {
        self.partial_cmp(&self).is_none()
    }
}

/// The signature of matrixmultiply's `sgemm` and `dgemm`: m, k, n, alpha, a with its row and
/// column strides, b with its strides, beta, c with its strides.
#[doc(hidden)]
#[cfg(feature = "alloc")]
pub type GemmKernel<T> = unsafe fn(
    usize,
    usize,
    usize,
    T,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    isize,
    T,
    *mut T,
    isize,
    isize,
);

/// A tile kernel of the crate's own packed product and the sizes it is used with: tiles of
/// `mr`×`nr`, blocks of `kc` (depth), `mc` (rows) and `nc` (columns). `tile` takes k, alpha,
/// the packed panels of a and b, beta, c and the distance between c's rows; `pack_lanes`
/// packs one panel from lanes adjacent along k: the first lane, the distance between lanes,
/// the lanes used, k, the panel's width and where it goes.
#[doc(hidden)]
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub struct PackedKernel<T> {
    pub mr: usize,
    pub nr: usize,
    pub kc: usize,
    pub mc: usize,
    pub nc: usize,
    pub tile: unsafe fn(usize, T, *const T, *const T, T, *mut T, usize),
    pub pack_lanes: unsafe fn(*const T, usize, usize, usize, usize, *mut T),
    /// Whether matrixmultiply is the faster kernel for a·bᵀ with under 16 rows or columns.
    pub matrixmultiply_on_narrow_nt: bool,
}

macro_rules! impl_scalar {
    ($t:ident, $gemm:ident, $packed:ident, $exp:path, $ln:path, $sqrt:path, $tanh:path) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);
            #[cfg(feature = "alloc")]
            const MATRIXMULTIPLY: GemmKernel<Self> = matrixmultiply::$gemm;
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            const PACKED: PackedKernel<Self> = crate::gemm::packed::$packed;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_number(self) -> crate::error::Number {
                crate::error::Number::from(self)
            }
            // The platform's libm is faster where there is one; `libm` serves `no_std`.
            #[inline]
            fn exp(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::exp(self);
                #[cfg(not(feature = "std"))]
                return $exp(self);
            }
            #[inline]
            fn ln(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::ln(self);
                #[cfg(not(feature = "std"))]
                return $ln(self);
            }
            #[inline]
            fn sqrt(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::sqrt(self);
                #[cfg(not(feature = "std"))]
                return $sqrt(self);
            }
            #[inline]
            fn tanh(self) -> Self {
                #[cfg(feature = "std")]
                return <$t>::tanh(self);
                #[cfg(not(feature = "std"))]
                return $tanh(self);
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_scalar!(
    f32,
    sgemm,
    F32,
    libm::expf,
    libm::logf,
    libm::sqrtf,
    libm::tanhf
);
impl_scalar!(
    f64,
    dgemm,
    F64,
    libm::exp,
    libm::log,
    libm::sqrt,
    libm::tanh
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_matches_the_definitions() {
        assert_eq!(f64::ONE.exp().ln(), 1.0);
        assert_eq!(<f32 as Scalar>::sqrt(16.0), 4.0);
        assert!((<f64 as Scalar>::tanh(0.5) - 0.46211715726000974).abs() < 1e-15);
        assert!(f32::from_f64(f64::NAN).max_nan(1.0).is_nan());
        assert_eq!(2.0f64.max_nan(-3.0), 2.0);
    }
}
