//! The small numerical helpers shared across the crate: the `f64` functions that must
//! round as Python's floats do (for the parity of schedules and optimizers), and the vector
//! operations on slices of L-BFGS and of gradient clipping, summed in order as PyTorch sums
//! them.

use crate::scalar::Scalar;

/// `base` to the power `exp` in `f64`, as Python's `**` on floats: the platform's libm
/// with `std` (CPython calls it too), `libm` without. `libm` can be an ulp away from glibc
/// here (0.7¹⁰ is), so without `std` a closed form may not match PyTorch to the bit.
pub(crate) fn powf(base: f64, exp: f64) -> f64 {
    #[cfg(feature = "std")]
    return base.powf(exp);
    #[cfg(not(feature = "std"))]
    return libm::pow(base, exp);
}

/// cos x in `f64`, as Python's `math.cos`: the platform's libm with `std`, `libm` without.
pub(crate) fn cos(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.cos();
    #[cfg(not(feature = "std"))]
    return libm::cos(x);
}

/// The L2 norm of all of `values`, the squares summed in order in `f64` (so that an `f32`
/// block of finite values does not overflow to an infinite norm), rounded to `T`.
pub(crate) fn l2_norm<T: Scalar>(values: &[T]) -> T {
    let sum: f64 = values.iter().map(|&x| x.to_f64() * x.to_f64()).sum();
    T::from_f64(<f64 as Scalar>::sqrt(sum))
}

/// Σ aᵢ·bᵢ, summed in order.
pub(crate) fn dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::ZERO, |sum, (&a, &b)| sum + a * b)
}

/// Σ |aᵢ|, summed in order.
pub(crate) fn sum_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |sum, &a| sum + a.abs())
}

/// max |aᵢ| (0 for none; NaN if any is NaN, as `abs().max()` is in PyTorch).
pub(crate) fn max_abs<T: Scalar>(a: &[T]) -> T {
    a.iter().fold(T::ZERO, |m, &a| m.max_nan(a.abs()))
}

/// y ← y + a·x (PyTorch's `y.add_(x, alpha=a)`).
pub(crate) fn axpy<T: Scalar>(y: &mut [T], a: T, x: &[T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// out ← y + a·x, the same sums as [`axpy`] into another block.
pub(crate) fn axpy_into<T: Scalar>(out: &mut [T], y: &[T], a: T, x: &[T]) {
    for ((out, &y), &x) in out.iter_mut().zip(y).zip(x) {
        *out = y + a * x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_math_matches_python() {
        // math.cos(math.pi) and 0.7 ** 10 in CPython 3.11 on x86-64 Linux, whose glibc rounds
        // the power correctly; the `libm` crate (without `std`) gives the next float down.
        assert_eq!(cos(core::f64::consts::PI), -1.0);
        let python: f64 = 0.028247524899999984;
        let ulp = f64::from_bits(python.to_bits() + 1) - python;
        assert!((powf(0.7, 10.0) - python).abs() <= ulp);
    }

    #[test]
    fn the_norm_sums_an_f32_block_in_f64() {
        assert_eq!(l2_norm(&[3.0f64, -4.0]), 5.0);
        // 2·(1e20)² overflows f32, not f64.
        let norm = l2_norm(&[1e20f32, 1e20]);
        assert!(
            (norm / 1e20 - core::f32::consts::SQRT_2).abs() < 1e-6,
            "{norm}"
        );
        assert!(l2_norm(&[f32::NAN, 1.0]).is_nan());
    }
}
