//! Elementwise loops in two copies: one for the build's target (SSE2, four `f32` lanes, on a
//! default x86-64 build) and, on x86-64 with `std`, one compiled for AVX2 and FMA (eight
//! lanes), taken when the CPU running the program has both. A user cannot be asked to build
//! with `-C target-cpu`, and in small networks these loops are a third of a training step.
//!
//! [`dispatched!`] turns a function into the pair: its body becomes an `#[inline(always)]`
//! function, which two wrappers call: a plain one and a `#[target_feature(enable =
//! "avx2,fma")]` one (so the compiler vectorizes that copy at AVX2 width); the function
//! itself picks the second when [`avx2_fma`] says so. The check is `std`'s, which caches
//! what the CPU answers in an atomic: a load and a test per call.
//!
//! Both copies give the same bits. They are the same Rust code, and Rust never fuses a·b + c
//! into one FMA instruction unless the code says `mul_add`: vectorizing, at either width,
//! keeps every element's operations and their order. Sums across elements are written with
//! their own lanes (see `math::sum_of_squares`), which the compiler does not reorder. Each
//! dispatched loop has a test that runs both copies on the same input (`both_copies…`; in a
//! debug build nothing is vectorized, so run them with `--release`).
//!
//! `unsafe`: calling a `#[target_feature]` function on a CPU without the feature is undefined
//! behaviour, so the call is `unsafe`; [`dispatched!`]'s one `unsafe` block is taken only after
//! [`avx2_fma`] has returned `true`. This module is the only one to write it: the macro's
//! expansion carries its own `allow`.

/// Whether the AVX2 and FMA copies may run: on x86-64 with `std`, whether the CPU has both;
/// elsewhere `false` (in this crate's unit tests, also while `tests::portable_only` runs).
#[cfg(any(test, all(feature = "std", target_arch = "x86_64")))]
#[inline]
pub(crate) fn avx2_fma() -> bool {
    #[cfg(test)]
    if tests::PORTABLE_ONLY.with(core::cell::Cell::get) {
        return false;
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    return cpu_has_avx2_fma();
    #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
    false
}

/// Whether the CPU running the program has AVX2 and FMA: the one check behind both these
/// copies and the packed matrix kernel. `std` caches the CPU's answer, so a call is a load
/// and a test.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline]
pub(crate) fn cpu_has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// A function whose body runs as an AVX2 and FMA copy when [`avx2_fma`] allows, else as
/// built: write it as an ordinary function (type parameters with one bound each, arguments
/// named by plain identifiers); the loops in its body should vectorize, which is what the
/// wider copy buys.
///
/// ```text
/// crate::simd::dispatched! {
///     /// y = 2x
///     pub(crate) fn double<T: Scalar>(x: &[T], y: &mut [T]) {
///         for (y, &x) in y.iter_mut().zip(x) {
///             *y = x + x;
///         }
///     }
/// }
/// ```
macro_rules! dispatched {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident <$($g:ident : $bound:path),+ $(,)?>
            ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?
        $body:block
    ) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name<$($g: $bound),+>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body<$($g: $bound),+>($($arg: $ty),*) $(-> $ret)? $body

            // A function of its own, as the AVX2 copy is: inlined into its caller, the loop
            // loses what its slice arguments promise (that they do not overlap), and LLVM
            // left Adam's pass unvectorized.
            #[inline(never)]
            fn portable<$($g: $bound),+>($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }

            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            #[target_feature(enable = "avx2,fma")]
            fn avx2_fma<$($g: $bound),+>($($arg: $ty),*) $(-> $ret)? {
                body($($arg),*)
            }

            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            if $crate::simd::avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA, as `avx2_fma()` has just checked.
                #[allow(unsafe_code)]
                return unsafe { avx2_fma($($arg),*) };
            }
            portable($($arg),*)
        }
    };
}
pub(crate) use dispatched;

#[cfg(test)]
pub(crate) mod tests {
    use crate::scalar::Scalar;
    use core::cell::Cell;
    use std::vec::Vec;

    std::thread_local! {
        /// Set while [`portable_only`] runs: the dispatched functions take the portable copy.
        pub(super) static PORTABLE_ONLY: Cell<bool> = const { Cell::new(false) };
    }

    /// `run` with every dispatched function on its portable copy.
    pub(crate) fn portable_only<R>(run: impl FnOnce() -> R) -> R {
        PORTABLE_ONLY.with(|p| p.set(true));
        let out = run();
        PORTABLE_ONLY.with(|p| p.set(false));
        out
    }

    /// Runs `run` as dispatched and on the portable copies, and checks that the values it
    /// returns are the same bits. Where the CPU lacks AVX2 or FMA both runs take the portable
    /// copy and the check holds trivially.
    pub(crate) fn assert_same_bits<T: Scalar>(mut run: impl FnMut() -> Vec<T>) {
        let bits = |v: Vec<T>| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
        let dispatched = bits(run());
        let portable = bits(portable_only(&mut run));
        assert_eq!(dispatched.len(), portable.len());
        for (i, (d, p)) in dispatched.iter().zip(&portable).enumerate() {
            assert_eq!(
                d,
                p,
                "value {i}: {:e} dispatched, {:e} portable",
                f64::from_bits(*d),
                f64::from_bits(*p)
            );
        }
    }

    /// `n` values of many magnitudes and both signs, with zeros, subnormals, infinities
    /// and NaN among them, in an order that no lane width divides evenly.
    pub(crate) fn awkward_values<T: Scalar>(n: usize, seed: u64) -> Vec<T> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                match i % 37 {
                    5 => 0.0,
                    11 => -0.0,
                    17 => 1e-40 * unit,
                    23 => f64::INFINITY,
                    29 => f64::NAN,
                    31 => unit * 1e30,
                    _ => unit * [1e-3, 0.1, 1.0, 7.0][i % 4],
                }
            })
            .map(T::from_f64)
            .collect()
    }

    crate::simd::dispatched! {
        /// y = x·x + x, a loop the compiler vectorizes.
        fn square_plus<T: Scalar>(x: &[T], y: &mut [T]) {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = x * x + x;
            }
        }
    }

    #[test]
    fn both_copies_give_the_same_bits() {
        let x = awkward_values::<f32>(1001, 1);
        assert_same_bits(|| {
            let mut y = std::vec![0.0f32; x.len()];
            square_plus(&x, &mut y);
            y
        });
    }

    #[test]
    fn portable_only_switches_the_copy_and_back() {
        let on_this_cpu = super::avx2_fma();
        assert!(!portable_only(super::avx2_fma));
        assert_eq!(super::avx2_fma(), on_this_cpu);
    }
}
