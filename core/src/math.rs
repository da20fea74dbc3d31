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

/// eˣ in `f64`, accurate enough that rounding it to `f32` gives libm's `expf` (or a
/// neighbour, rarely: relative error under 10⁻¹⁴), in operations that vectorize: no call,
/// no table, no integer conversion AVX2 lacks. For softmax, where a libm call per logit was
/// a twentieth of a small network's step. Arguments below −104 give a value that rounds to
/// 0 in `f32`, above 89 one that rounds to ∞; NaN stays NaN.
///
/// eˣ = 2ⁿ·eʳ with n = round(x·log₂e) and r = x − n·ln 2 (|r| ≤ 0.35, in two parts so that
/// n·ln 2 is exact), eʳ by its Taylor series to r¹¹ (the first term left out is under
/// 7·10⁻¹⁵) evaluated in Estrin's scheme, seven operations deep where Horner's is 22 (the
/// latency, not the arithmetic, bounded the pass), 2ⁿ built from its bits. Multiplications
/// and additions only, no `mul_add`, so that every vector width gives the same bits.
#[inline(always)]
pub(crate) fn exp_for_f32(x: f64) -> f64 {
    // 1.5·2⁵²: adding it rounds x·log₂e to an integer, left in the low bits of the sum.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    // ln 2 in two parts (fdlibm's): the first has its low 32 bits zero, so n·LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1/k! for k = 0 to 11
    const C: [f64; 12] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
    ];
    // Selects, not `max`/`min`, so that NaN passes.
    let x = if x < -104.0 { -104.0 } else { x };
    let x = if x > 89.0 { 89.0 } else { x };
    let shifted = x * core::f64::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let (r2, pair) = (r * r, |k: usize| C[k] + C[k + 1] * r);
    let r4 = r2 * r2;
    let low = (pair(0) + pair(2) * r2) + (pair(4) + pair(6) * r2) * r4;
    let high = pair(8) + pair(10) * r2;
    let p = low + high * (r4 * r4);
    // 2ⁿ: n + 1023 in the exponent field (n is in [−151, 129], a normal f64).
    let n_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let two_to_n = f64::from_bits(n_bits.wrapping_add(1023) << 52);
    p * two_to_n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulps between two `f32` of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// The largest distance between `exp_for_f32` rounded to `f32` and libm's `expf`, and how
    /// many differ, over every `step`-th `f32` from −0 down to −104.
    fn exp_against_libm(step: usize) -> (u32, usize, usize) {
        let (mut worst, mut differ, mut count) = (0, 0, 0);
        for bits in (0x8000_0000u32..=(-104.0f32).to_bits()).step_by(step) {
            let x = f32::from_bits(bits);
            let ours = exp_for_f32(f64::from(x)) as f32;
            let d = ulps(ours, x.exp());
            worst = worst.max(d);
            differ += usize::from(d > 0);
            count += 1;
        }
        (worst, differ, count)
    }

    #[test]
    fn exp_for_f32_is_libms_expf_within_an_ulp() {
        let (worst, differ, count) = exp_against_libm(997);
        assert!(
            worst <= 1 && differ * 1_000 < count,
            "{worst} ulp, {differ} of {count}"
        );
        for (x, e) in [
            (0.0, 1.0),
            (-0.0, 1.0),
            (-1.0, core::f32::consts::E.recip()),
        ] {
            assert_eq!(exp_for_f32(x) as f32, e, "{x}");
        }
        assert_eq!(exp_for_f32(f64::NEG_INFINITY) as f32, 0.0);
        assert_eq!(exp_for_f32(-103.99) as f32, (-103.99f32).exp());
        assert_eq!(exp_for_f32(1e3) as f32, f32::INFINITY);
        assert!(exp_for_f32(f64::NAN).is_nan());
    }

    /// Every `f32` in [−104, 0]: about a billion, some seconds in a release build. Also
    /// counts the arguments where `expf` differs from libm's `f64` exp rounded to `f32`.
    #[test]
    #[ignore = "a sweep of a billion values; run with --release --ignored"]
    fn exp_for_f32_over_every_f32_argument() {
        let (worst, differ, count) = exp_against_libm(1);
        std::println!("exp_for_f32: {differ} of {count} differ from expf, by at most {worst} ulp");
        assert!(worst <= 1);
        let expf_off = (0x8000_0000u32..=(-104.0f32).to_bits())
            .map(f32::from_bits)
            .filter(|&x| x.exp() != f64::from(x).exp() as f32)
            .count();
        std::println!("expf differs from exp in f64 rounded to f32 at {expf_off}");
    }

    #[test]
    fn both_copies_of_the_norm_and_the_scaling_agree() {
        fn in_type<T: Scalar>() {
            use crate::simd::tests::{assert_same_bits, awkward_values};
            for n in [0, 15, 16, 1001] {
                let values = awkward_values::<T>(n, 6);
                let finite: std::vec::Vec<T> =
                    values.iter().copied().filter(|v| v.is_finite()).collect();
                assert_same_bits(|| std::vec![sum_of_squares(&values), sum_of_squares(&finite)]);
                assert_same_bits(|| {
                    let mut scaled = values.clone();
                    scale(&mut scaled, T::from_f64(0.3));
                    scaled
                });
            }
        }
        in_type::<f32>();
        in_type::<f64>();
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
