//! The small numerical helpers shared across the crate: the `f64` functions that must
//! round as Python's floats do (for the parity of schedules and optimizers), the vector
//! operations on slices of L-BFGS, summed in order as PyTorch sums them, and the gradients'
//! norm and scaling of the training step and of gradient clipping.

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

/// The L2 norm of all of `values`, the squares summed in `f64` (so that an `f32` block of
/// finite values does not overflow to an infinite norm) by [`sum_of_squares`], rounded to `T`.
pub(crate) fn l2_norm<T: Scalar>(values: &[T]) -> T {
    T::from_f64(<f64 as Scalar>::sqrt(sum_of_squares(values)))
}

crate::simd::dispatched! {
    /// Σ v² in `f64`, in 16 independent partial sums: one running sum waits on each addition's
    /// latency, which made this pass a fifth of a small network's step, and eight (four SSE2
    /// registers, each waiting on its last addition) still left half the adders idle; 16 fill
    /// eight registers, as many as stay clear of spilling to the stack.
    pub(crate) fn sum_of_squares<T: Scalar>(values: &[T]) -> f64 {
        const LANES: usize = 16;
        let (chunks, rest) = values.as_chunks::<LANES>();
        let mut lanes = [0.0f64; LANES];
        for chunk in chunks {
            for (lane, v) in lanes.iter_mut().zip(chunk) {
                *lane += v.to_f64() * v.to_f64();
            }
        }
        let tail: f64 = rest.iter().map(|v| v.to_f64() * v.to_f64()).sum();
        lanes.iter().sum::<f64>() + tail
    }
}

crate::simd::dispatched! {
    /// values ← factor · values.
    pub(crate) fn scale<T: Scalar>(values: &mut [T], factor: T) {
        for v in values {
            *v *= factor;
        }
    }
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
    fn both_copies_of_the_norm_and_the_scaling_agree() {
        use crate::simd::tests::{assert_same_bits, awkward_values};
        for n in [0, 15, 16, 1001] {
            let values = awkward_values::<f32>(n, 6);
            let finite: std::vec::Vec<f32> = values.iter().map(|v| v.min(1e3).max(-1e3)).collect();
            assert_same_bits(|| std::vec![sum_of_squares(&values), sum_of_squares(&finite)]);
            assert_same_bits(|| {
                let mut scaled = values.clone();
                scale(&mut scaled, 0.3);
                scaled
            });
        }
    }

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
