//! Flat blocks of scalars: the trait every parameter, gradient, buffer, optimizer-state and
//! cache block implements, and [`flat_struct!`](crate::flat_struct), the one way to build a
//! composite block.
//!
//! This module and three in `gemm` (`matrixmultiply`, `packed`, `threads`) are the only
//! places with `unsafe` code; the crate root denies it everywhere else. Blocks are viewed as
//! slices and built zeroed (on the heap too) through pointer casts, and those casts are sound
//! only because every `Flat` type is either one of the impls here or a `#[repr(C)]` struct
//! made by `flat_struct!`, whose fields are all `Flat` themselves.
#![allow(unsafe_code)]

use crate::dim::Message;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use generic_array::{ArrayLength, GenericArray};

/// The largest block, in bytes, that [`Flat::zeroed`] builds by value (on the stack for a
/// local): 1 MiB, half of a test thread's 2 MiB stack. Anything larger fails to compile with a
/// message pointing to [`Flat::zeroed_boxed`], instead of overflowing the stack at run time.
pub const MAX_STACK_BYTES: usize = 1 << 20;

/// A value laid out exactly as `[T; LEN]`: a plain block of scalars.
///
/// It gives every block [`as_flat`](Flat::as_flat), [`zeroed`](Flat::zeroed) and (with
/// `alloc`) [`zeroed_boxed`](Flat::zeroed_boxed). `T` is `f32` or `f64`.
///
/// # Safety
/// Implement it only through [`flat_struct!`](crate::flat_struct), which makes the struct
/// `#[repr(C)]` over fields that are all `Flat<T>`. The contract: `size_of::<Self>() ==
/// LEN * size_of::<T>()`, the alignment is exactly `T`'s, and all-zero bytes (indeed any
/// bytes that are valid `T`s) are a valid value. Size and alignment are also checked at
/// compile time whenever a block is viewed or built.
///
/// The empty block is `[T; 0]`, aligned as `T`; `()` is not a block, since a slice of `f64`
/// built from its address would be misaligned:
///
/// ```compile_fail
/// use typenet_core::Flat;
/// let _ = Flat::<f64>::as_flat(&());
/// ```
///
/// and a block whose alignment is smaller than its scalar's is rejected at compile time,
/// even when its size is right:
///
/// ```compile_fail
/// use typenet_core::Flat;
/// struct Bytes([u8; 8]);
/// // A broken impl, of the kind the size check alone would let through.
/// unsafe impl Flat<f64> for Bytes {
///     const LEN: usize = 1;
/// }
/// let _ = Bytes([0; 8]).as_flat();
/// ```
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
        // SAFETY: by the trait's contract `self` is `LEN` contiguous, initialized `T`s with
        // `T`'s alignment (checked above).
        unsafe { core::slice::from_raw_parts((self as *const Self).cast::<T>(), Self::LEN) }
    }

    /// The block as a mutable slice of `LEN` scalars.
    #[inline(always)]
    fn as_flat_mut(&mut self) -> &mut [T] {
        const { assert_flat::<T, Self>() };
        // SAFETY: as in `as_flat`; every `T` written through the slice leaves `self` valid.
        unsafe { core::slice::from_raw_parts_mut((self as *mut Self).cast::<T>(), Self::LEN) }
    }

    /// A value whose scalars are all `0.0`, built by value (on the stack for a local).
    ///
    /// A block larger than [`MAX_STACK_BYTES`] does not compile: build it with
    /// [`zeroed_boxed`](Flat::zeroed_boxed) instead.
    #[inline]
    fn zeroed() -> Self {
        let () = OnTheStack::<T, Self>::BLOCK;
        zeroed_by_value()
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

/// The bytes of `block`, in the host's byte order, without copying.
///
/// ```
/// use typenet_core::flat::as_bytes;
/// assert_eq!(as_bytes(&[1.0f32, -2.0]), [1.0f32.to_ne_bytes(), (-2.0f32).to_ne_bytes()].concat());
/// ```
pub fn as_bytes<T: crate::scalar::Scalar, F: Flat<T>>(block: &F) -> &[u8] {
    const { assert_flat::<T, F>() };
    // SAFETY: `block` is `LEN` scalars with no padding (trait contract), so every one of its
    // `size_of::<F>()` bytes is initialized; `u8` needs no alignment.
    unsafe { core::slice::from_raw_parts((block as *const F).cast::<u8>(), size_of::<F>()) }
}

/// Views `bytes` as a block `F` without copying: they must be exactly `size_of::<F>()` bytes,
/// in the host's byte order, starting at a multiple of `T`'s alignment. The values are not
/// checked: every bit pattern is some `f32` or `f64`.
///
/// # Errors
/// [`Error::ByteLength`](crate::Error::ByteLength) for another length,
/// [`Error::MisalignedBytes`](crate::Error::MisalignedBytes) for a misaligned start.
///
/// ```
/// use typenet_core::flat::{as_bytes, from_bytes};
/// let values = [1.0f32, -2.0];
/// assert_eq!(from_bytes::<f32, [f32; 2]>(as_bytes(&values)), Ok(&values));
/// assert!(from_bytes::<f32, [f32; 3]>(as_bytes(&values)).is_err());
/// ```
pub fn from_bytes<T: crate::scalar::Scalar, F: Flat<T>>(
    bytes: &[u8],
) -> Result<&F, crate::error::Error> {
    const { assert_flat::<T, F>() };
    if bytes.len() != size_of::<F>() {
        return Err(crate::error::Error::ByteLength {
            expected: size_of::<F>(),
            found: bytes.len(),
        });
    }
    let offset = bytes.as_ptr() as usize % align_of::<T>();
    if offset != 0 {
        return Err(crate::error::Error::MisalignedBytes {
            alignment: align_of::<T>(),
            offset,
        });
    }
    // SAFETY: the bytes are exactly `size_of::<F>()` long and aligned as `T`, which is `F`'s
    // alignment (both checked above); `T` is `f32` or `f64` (`Scalar` is sealed), for which
    // every bit pattern is a value, and `F` is only such scalars (trait contract).
    Ok(unsafe { &*bytes.as_ptr().cast::<F>() })
}

/// Copies a block by value, scalar for scalar (for `Clone` impls of generated blocks).
pub fn flat_clone<T: Copy, F: Flat<T>>(block: &F) -> F {
    let mut copy = F::zeroed();
    copy.as_flat_mut().copy_from_slice(block.as_flat());
    copy
}

/// A block of zeros built by value, whatever its size: for [`Flat::zeroed`] and the
/// constructors that check the size themselves, each with its own message.
#[inline]
pub(crate) fn zeroed_by_value<T, F: Flat<T>>() -> F {
    const { assert_flat::<T, F>() };
    // SAFETY: all-zero bytes are a valid `F` by the trait's contract.
    unsafe { core::mem::zeroed() }
}

/// The checks that stop compilation where a block larger than [`MAX_STACK_BYTES`] would be
/// built by value, one per constructor that builds one. Each is referenced in the function
/// the user calls (`Flat::zeroed`, `Network::new`, `Training::new`), so that rustc's note
/// shows the user's call; the panic is in the constant itself, so that no frame of a helper
/// comes between.
#[doc(hidden)]
pub struct OnTheStack<T, F>(PhantomData<fn() -> (T, F)>);

impl<T, F: Flat<T>> OnTheStack<T, F> {
    /// For [`Flat::zeroed`].
    pub const BLOCK: () = if size_of::<F>() > MAX_STACK_BYTES {
        let message = too_large("this block takes", size_of::<F>(), "`Flat::zeroed_boxed()`");
        panic!("{}", message.as_str())
    };
    /// For `Network::new`.
    pub(crate) const NETWORK: () = if size_of::<F>() > MAX_STACK_BYTES {
        let message = too_large("this network takes", size_of::<F>(), "`new_boxed`");
        panic!("{}", message.as_str())
    };
    /// For `Training::new`: `F` is the training run's `StepBlocks`.
    pub(crate) const TRAINING: () = if size_of::<F>() > MAX_STACK_BYTES {
        let what = "this training run's blocks (gradients, optimizer state, cache) take";
        let message = too_large(what, size_of::<F>(), "`Training::new_boxed`");
        panic!("{}", message.as_str())
    };
}

/// "this network takes 7394344 bytes, more than the 1048576 (1 MiB) that typenet builds on
/// the stack: build it on the heap with `new_boxed`".
const fn too_large(what: &str, bytes: usize, instead: &str) -> Message {
    Message::new()
        .push(what)
        .push(" ")
        .number(bytes)
        .push(" bytes, more than the ")
        .number(MAX_STACK_BYTES)
        .push(" (1 MiB) that typenet builds on the stack: build it on the heap with ")
        .push(instead)
}

const fn assert_flat<T, F: Flat<T>>() {
    assert!(
        size_of::<F>() == F::LEN * size_of::<T>() && align_of::<F>() == align_of::<T>(),
        "a `Flat` type must be exactly LEN scalars, aligned as one scalar"
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
// SAFETY: arrays have no padding between elements, and each element is flat. `[T; 0]` is
// the empty block: no scalars, but `T`'s alignment.
unsafe impl<T, A: Flat<T>, const N: usize> Flat<T> for [A; N] {
    const LEN: usize = A::LEN * N;
}
// SAFETY: a `GenericArray<A, N>` is laid out as `[A; N]`.
unsafe impl<T, A: Flat<T>, N: ArrayLength> Flat<T> for GenericArray<A, N> {
    const LEN: usize = A::LEN * N::USIZE;
}

/// A block as long as the longer of `A` and `B`, which holds either: the two buffers of an
/// inference pass are each one of these over the outputs of every other layer, so each is as
/// long as the widest of them. Read and write it through [`prefix`] and [`prefix_mut`], as
/// the block each layer needs.
///
/// ```
/// use typenet_core::{Flat, Matrix, dim::{U2, U3}};
/// use typenet_core::flat::{prefix, prefix_mut, Widest};
/// let mut block = Widest::<[f32; 2], Matrix<U2, U3, f32>>::zeroed();
/// assert_eq!(block.as_flat().len(), 6);
/// prefix_mut::<f32, _, [f32; 2]>(&mut block).copy_from_slice(&[1.0, 2.0]);
/// let m: &Matrix<U2, U3, f32> = prefix(&block);
/// assert_eq!(m.as_slice(), &[1.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
/// ```
#[repr(C)]
pub union Widest<A, B> {
    a: core::mem::ManuallyDrop<A>,
    b: core::mem::ManuallyDrop<B>,
}

// SAFETY: a `repr(C)` union is as large as its larger field, rounded up to its alignment;
// both fields are runs of scalars aligned as `T`, so it is `max(A::LEN, B::LEN)` scalars
// aligned as `T` (checked at compile time wherever it is viewed or built). Every byte lies
// in the larger field, so any bytes that are valid scalars make a valid value.
unsafe impl<T, A: Flat<T>, B: Flat<T>> Flat<T> for Widest<A, B> {
    const LEN: usize = if A::LEN > B::LEN { A::LEN } else { B::LEN };
}

/// The first `P::LEN` scalars of `block` viewed as a `P`: a layer's output in an inference
/// buffer. A `P` longer than the block fails to compile:
///
/// ```compile_fail
/// use typenet_core::flat::prefix;
/// let block = [0.0f32; 2];
/// let _: &[f32; 3] = prefix(&block);
/// ```
#[inline(always)]
pub fn prefix<T, F: Flat<T>, P: Flat<T>>(block: &F) -> &P {
    const { assert_prefix::<T, F, P>() };
    // SAFETY: `P` is `P::LEN` scalars aligned as `T`, no more than `block` holds (both
    // checked above), and every bit pattern of those scalars is a valid `P`.
    unsafe { &*(block as *const F).cast::<P>() }
}

/// The mutable form of [`prefix`].
#[inline(always)]
pub fn prefix_mut<T, F: Flat<T>, P: Flat<T>>(block: &mut F) -> &mut P {
    const { assert_prefix::<T, F, P>() };
    // SAFETY: as in `prefix`; any scalars written through `P` leave `block` valid.
    unsafe { &mut *(block as *mut F).cast::<P>() }
}

const fn assert_prefix<T, F: Flat<T>, P: Flat<T>>() {
    assert_flat::<T, F>();
    assert_flat::<T, P>();
    assert!(
        P::LEN <= F::LEN,
        "`prefix` needs a block at least as long as the view"
    );
}

/// The first field of every [`flat_struct!`](crate::flat_struct): no scalars, `T`'s alignment
/// (so that an empty block still has it), and a use of the type parameters `P` that the other
/// fields may not mention (a network's input width, say).
pub struct Marker<P: ?Sized, T>(PhantomData<P>, [T; 0]);

// SAFETY: zero-sized, aligned as `T` through the empty array; no bytes to be invalid.
unsafe impl<P: ?Sized, T> Flat<T> for Marker<P, T> {
    const LEN: usize = 0;
}

impl<P: ?Sized, T> Marker<P, T> {
    /// The marker (it has no data).
    pub const NEW: Self = Marker(PhantomData, []);
}

impl<P: ?Sized, T> Clone for Marker<P, T> {
    fn clone(&self) -> Self {
        Self::NEW
    }
}
impl<P: ?Sized, T> core::fmt::Debug for Marker<P, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Marker")
    }
}
impl<P: ?Sized, T> Default for Marker<P, T> {
    fn default() -> Self {
        Self::NEW
    }
}

/// Declares a `#[repr(C)]` struct whose fields are all [`Flat`] blocks of one scalar type,
/// and implements `Flat` for it. It is the only way to implement `Flat` outside this module,
/// so no user code (and no code that `network!` generates) needs `unsafe`.
///
/// The generics go in brackets: first the declaration (bounds and defaults), then the
/// impl's parameters, then the type's arguments, then the scalar type and a tuple of the type
/// parameters that no field mentions otherwise. A hidden first field (`__marker`) holds the
/// scalar's alignment and those parameters.
///
/// ```
/// use typenet_core::{flat_struct, Flat, Matrix, dim::{U2, U3}};
/// flat_struct! {
///     /// A weight and a bias.
///     pub struct Pair[T: typenet_core::Scalar][T: typenet_core::Scalar][T] (T, ()) {
///         /// 2×3 weights.
///         pub weight: Matrix<U2, U3, T>,
///         /// 2 biases.
///         pub bias: [T; 2],
///     }
/// }
/// let mut p = Pair::<f64>::zeroed();
/// p.bias = [1.0, 2.0];
/// assert_eq!(Pair::<f64>::LEN, 8);
/// assert_eq!(&p.as_flat()[6..], &[1.0, 2.0]);
/// ```
#[macro_export]
macro_rules! flat_struct {
    // Inside this crate, whose root denies `unsafe_code`, the impl carries an `allow`. A user
    // crate needs none (and may `forbid` it): the lint does not look into other crates'
    // macros.
    (@core $($body:tt)*) => {
        $crate::__flat_struct_with! { [#[allow(unsafe_code)]] $($body)* }
    };
    ($($body:tt)*) => {
        $crate::__flat_struct_with! { [] $($body)* }
    };
}

/// The body of [`flat_struct!`], with attributes for the `unsafe impl`.
#[doc(hidden)]
#[macro_export]
macro_rules! __flat_struct_with {
    (
        [$(#[$impl_meta:meta])*]
        $(#[$meta:meta])*
        $vis:vis struct $name:ident [$($decl:tt)*] [$($impl_:tt)*] [$($use_:tt)*]
        ($scalar:ty, $phantom:ty)
        $(where [$($pred:tt)*])?
        {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        $vis struct $name<$($decl)*> $(where $($pred)*)? {
            #[doc(hidden)]
            pub __marker: $crate::flat::Marker<$phantom, $scalar>,
            $( $(#[$fmeta])* $fvis $field: $fty, )*
        }

        // SAFETY: `repr(C)` over fields that are all `Flat<scalar>` (the `LEN` sum requires
        // it), so the struct is a run of scalars; `Flat`'s compile-time check rejects any
        // padding, and the marker field gives it the scalar's alignment even when empty.
        $(#[$impl_meta])*
        unsafe impl<$($impl_)*> $crate::Flat<$scalar> for $name<$($use_)*>
        $(where $($pred)*)?
        {
            // Primitives by full path: the caller's module may define its own `usize`.
            const LEN: ::core::primitive::usize = 0 $( + <$fty as $crate::Flat<$scalar>>::LEN )*;
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::matrix::Matrix;

    #[test]
    fn the_empty_block_is_aligned_as_a_scalar() {
        // `()` used to be a `Flat` block with alignment 1: a slice built from it was
        // misaligned, which is undefined behaviour. The empty block is now `[T; 0]`.
        let empty: [f64; 0] = Flat::<f64>::zeroed();
        let slice = empty.as_flat();
        assert!(slice.is_empty());
        assert_eq!(slice.as_ptr() as usize % align_of::<f64>(), 0);
        assert_eq!(align_of::<Marker<(), f64>>(), align_of::<f64>());
    }

    #[test]
    fn alignment_must_be_equal_not_merely_smaller() {
        // A struct of `u8`-aligned data would pass a `<=` check; the check is `==`.
        const fn passes<T, F: Flat<T>>() -> bool {
            size_of::<F>() == F::LEN * size_of::<T>() && align_of::<F>() == align_of::<T>()
        }
        assert!(passes::<f32, [f32; 0]>());
        assert!(passes::<f64, Matrix<U2, U3, f64>>());
        assert!(align_of::<()>() != align_of::<f64>());
    }

    crate::flat_struct! { @core
        struct Empty[T][T][T] (T, ()) {}
    }

    crate::flat_struct! { @core
        struct Two[T: crate::scalar::Scalar, W: ArrayLength][T: crate::scalar::Scalar, W: ArrayLength][T, W] (T, W) {
            a: GenericArray<T, W>,
            b: [T; 3],
        }
    }

    #[test]
    fn the_widest_block_is_its_longer_field() {
        type Block = Widest<[f64; 3], Widest<Matrix<U2, U4, f64>, [f64; 0]>>;
        assert_eq!(<Block as Flat<f64>>::LEN, 8);
        assert_eq!(size_of::<Block>(), 8 * size_of::<f64>());
        assert_eq!(align_of::<Block>(), align_of::<f64>());
        let mut block = Block::zeroed();
        *prefix_mut::<f64, _, Matrix<U2, U4, f64>>(&mut block) =
            Matrix::from_fn(|r, c| (10 * r + c) as f64);
        assert_eq!(prefix::<f64, _, [f64; 3]>(&block), &[0.0, 1.0, 2.0]);
        assert_eq!(block.as_flat()[4..], [10.0, 11.0, 12.0, 13.0]);
    }

    #[test]
    fn flat_structs_are_their_fields_in_order() {
        assert_eq!(<Empty<f64> as Flat<f64>>::LEN, 0);
        assert_eq!(Empty::<f64>::zeroed().as_flat().len(), 0);
        let mut two = Two::<f32, U2>::zeroed();
        two.a[1] = 1.0;
        two.b[2] = 2.0;
        assert_eq!(two.as_flat(), &[0.0, 1.0, 0.0, 0.0, 2.0]);
        let copy = flat_clone(&two);
        assert_eq!(copy.as_flat(), two.as_flat());
    }
}
