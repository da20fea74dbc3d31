//! The crate's only `unsafe` code: flat views of parameter blocks, zeroed construction on
//! the heap, and the call into matrixmultiply.
//!
//! Everything a network holds — weights, gradients, optimizer state, activation caches — is
//! a block of scalars. [`Flat`] says so in the type system, which lets optimizers, gradient
//! checks and (later) serializers treat any such block as one `&[T]`.

#[cfg(feature = "alloc")]
use crate::{gemm::Strides, Scalar};
use core::mem::{align_of, size_of};
use generic_array::{ArrayLength, GenericArray};

/// A value laid out exactly as `[T; LEN]`: a plain block of scalars.
///
/// Layers and generated networks implement it; it gives them [`as_flat`](Flat::as_flat),
/// [`zeroed`](Flat::zeroed) and (with `alloc`) [`zeroed_boxed`](Flat::zeroed_boxed).
///
/// `T` is always `f32` or `f64`: the blocks are built from those two impls below.
///
/// # Safety
/// An implementor must be `#[repr(C)]` or `#[repr(transparent)]` over fields that are all
/// `Flat<T>` themselves (or be one of the impls below), with no padding, so that
/// `size_of::<Self>() == LEN * size_of::<T>()`, its alignment is `T`'s, and all-zero bytes
/// are a valid value. The size condition is also checked at compile time whenever a flat
/// view is taken.
pub unsafe trait Flat<T>: Sized {
    /// The number of scalars in the block.
    const LEN: usize;

    /// The block as a slice of `LEN` scalars.
    ///
    /// ```
    /// use typenet_core::{Flat, Matrix, dim::{U2, U3}};
    /// let m = Matrix::<U2, U3, f64>::from_fn(|r, c| (10 * r + c) as f64);
    /// assert_eq!(m.as_flat(), &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    /// ```
    #[inline(always)]
    fn as_flat(&self) -> &[T] {
        const { assert_flat::<T, Self>() };
        // SAFETY: by the trait's contract `self` is `LEN` contiguous, initialized `T`s.
        unsafe { core::slice::from_raw_parts((self as *const Self).cast::<T>(), Self::LEN) }
    }

    /// The block as a mutable slice of `LEN` scalars.
    #[inline(always)]
    fn as_flat_mut(&mut self) -> &mut [T] {
        const { assert_flat::<T, Self>() };
        // SAFETY: as in `as_flat`; every bit pattern of `T` is a valid `T`, so writes through
        // the slice cannot make `self` invalid.
        unsafe { core::slice::from_raw_parts_mut((self as *mut Self).cast::<T>(), Self::LEN) }
    }

    /// A value whose scalars are all `0.0`, built in place (on the stack for a local).
    #[inline]
    fn zeroed() -> Self {
        const { assert_flat::<T, Self>() };
        // SAFETY: all-zero bytes are a valid `Self` by the trait's contract.
        unsafe { core::mem::zeroed() }
    }

    /// A boxed value whose scalars are all `0.0`, allocated zeroed on the heap without ever
    /// being on the stack, so that blocks of many megabytes can be built on any thread.
    #[cfg(feature = "alloc")]
    fn zeroed_boxed() -> alloc::boxed::Box<Self> {
        const { assert_flat::<T, Self>() };
        let layout = core::alloc::Layout::new::<Self>();
        // Never `Box::new(Self::zeroed())`: even an untaken branch reserves stack for `Self`
        // in a debug build.
        if layout.size() == 0 {
            // SAFETY: a dangling, aligned pointer is a valid `Box` of a zero-sized type.
            return unsafe {
                alloc::boxed::Box::from_raw(core::ptr::NonNull::<Self>::dangling().as_ptr())
            };
        }
        // SAFETY: the layout has a non-zero size; a null result is handled; the allocation
        // has `Self`'s layout and all-zero bytes are a valid `Self`, so `Box` may own it.
        unsafe {
            let ptr = alloc::alloc::alloc_zeroed(layout);
            if ptr.is_null() {
                alloc::alloc::handle_alloc_error(layout);
            }
            alloc::boxed::Box::from_raw(ptr.cast::<Self>())
        }
    }

    /// Views this block as another one of the same length, e.g. `[[f32; 64]; 32]` as a
    /// `Matrix<U32, U64, f32>`. A length mismatch fails to compile.
    ///
    /// ```
    /// use typenet_core::{Flat, Matrix, dim::{U2, U3}};
    /// let rows = [[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let m: &Matrix<U2, U3, f32> = rows.cast_ref();
    /// assert_eq!(m[(1, 0)], 4.0);
    /// ```
    #[inline(always)]
    fn cast_ref<O: Flat<T>>(&self) -> &O {
        const { assert_same_len::<T, Self, O>() };
        // SAFETY: both are `LEN` scalars with `T`'s alignment (trait contract, checked above).
        unsafe { &*(self as *const Self).cast::<O>() }
    }

    /// The mutable form of [`cast_ref`](Flat::cast_ref).
    #[inline(always)]
    fn cast_mut<O: Flat<T>>(&mut self) -> &mut O {
        const { assert_same_len::<T, Self, O>() };
        // SAFETY: as in `cast_ref`; both types accept every bit pattern of their scalars.
        unsafe { &mut *(self as *mut Self).cast::<O>() }
    }
}

const fn assert_flat<T, F: Flat<T>>() {
    assert!(
        size_of::<F>() == F::LEN * size_of::<T>() && align_of::<F>() <= align_of::<T>(),
        "a `Flat` type must be exactly LEN scalars"
    );
}

const fn assert_same_len<T, A: Flat<T>, B: Flat<T>>() {
    assert_flat::<T, A>();
    assert_flat::<T, B>();
    assert!(
        A::LEN == B::LEN,
        "`cast_ref` needs two blocks of the same length"
    );
}

// SAFETY: a scalar is one scalar.
unsafe impl Flat<f32> for f32 {
    const LEN: usize = 1;
}
// SAFETY: a scalar is one scalar.
unsafe impl Flat<f64> for f64 {
    const LEN: usize = 1;
}
// SAFETY: arrays have no padding between elements, and each element is flat.
unsafe impl<T, A: Flat<T>, const N: usize> Flat<T> for [A; N] {
    const LEN: usize = A::LEN * N;
}
// SAFETY: a `GenericArray<A, N>` is laid out as `[A; N]`.
unsafe impl<T, A: Flat<T>, N: ArrayLength> Flat<T> for GenericArray<A, N> {
    const LEN: usize = A::LEN * N::USIZE;
}
// SAFETY: the empty block (e.g. the state of plain SGD) holds no scalars.
unsafe impl<T> Flat<T> for () {
    const LEN: usize = 0;
}

/// `c ← alpha·a·b + beta·c` for an m×k `a` and a k×n `b` through matrixmultiply, which
/// ignores `c` when `beta` is zero.
///
/// # Panics
/// If a slice is too short for its shape and strides (callers pass shapes from types, so
/// this is a bug check, not input validation).
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn matrixmultiply_gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    sa: Strides,
    b: &[T],
    sb: Strides,
    beta: T,
    c: &mut [T],
    sc: Strides,
) {
    use core::any::TypeId;
    let fits = |len: usize, rows: usize, cols: usize, s: Strides| {
        rows == 0 || cols == 0 || (rows - 1) * s.row + (cols - 1) * s.col < len
    };
    assert!(
        fits(a.len(), m, k, sa) && fits(b.len(), k, n, sb) && fits(c.len(), m, n, sc),
        "matrixmultiply_gemm: operand shorter than its shape"
    );
    let (rsa, csa) = (sa.row as isize, sa.col as isize);
    let (rsb, csb) = (sb.row as isize, sb.col as isize);
    let (rsc, csc) = (sc.row as isize, sc.col as isize);
    // SAFETY: every index that the GEMM touches is in bounds (checked above), `c` is borrowed
    // mutably so it aliases neither input, and the pointer casts only happen when `T` is
    // exactly the type the kernel takes.
    unsafe {
        if TypeId::of::<T>() == TypeId::of::<f32>() {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                alpha.to_f64() as f32,
                a.as_ptr().cast(),
                rsa,
                csa,
                b.as_ptr().cast(),
                rsb,
                csb,
                beta.to_f64() as f32,
                c.as_mut_ptr().cast(),
                rsc,
                csc,
            );
        } else if TypeId::of::<T>() == TypeId::of::<f64>() {
            matrixmultiply::dgemm(
                m,
                k,
                n,
                alpha.to_f64(),
                a.as_ptr().cast(),
                rsa,
                csa,
                b.as_ptr().cast(),
                rsb,
                csb,
                beta.to_f64(),
                c.as_mut_ptr().cast(),
                rsc,
                csc,
            );
        } else {
            unreachable!("Scalar is sealed to f32 and f64");
        }
    }
}

/// Views a native array of `B` values as the `GenericArray` that typed code takes.
#[doc(hidden)]
#[inline(always)]
pub fn batch_array<A, const B: usize>(values: &[A; B]) -> &GenericArray<A, crate::dim::BatchDim<B>>
where
    typenum::Const<B>: crate::dim::Batch,
{
    const { assert!(<crate::dim::BatchDim<B> as typenum::Unsigned>::USIZE == B) };
    // SAFETY: `GenericArray<A, N>` is laid out as `[A; N]`, and N equals B (checked above).
    unsafe { &*(values as *const [A; B]).cast() }
}
