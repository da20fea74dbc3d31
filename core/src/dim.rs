//! Type-level dimensions: typenum numbers, and the bridge from a `const` batch size.
//!
//! Widths inside a network are typenum numbers, because the macro and generic layers compute
//! with them on stable Rust. What users write at the boundary — inputs, labels, outputs — are
//! native arrays such as `[[f32; 64]; B]`, whose mismatches rustc reports in plain numbers.

pub use generic_array::{ArrayLength, GenericArray};
pub use typenum::consts::*;
pub use typenum::{Const, ToUInt, UInt, UTerm, Unsigned, B0, B1, U};

/// A `const` batch size that has a typenum counterpart.
///
/// Implemented for `Const<B>` with `B` from 0 to 1024 and for larger powers of two, the
/// values typenum maps. Generated networks take batches as `[[T; W]; B]` with
/// `where Const<B>: Batch`; any other size is a compile error that names it.
///
/// ```
/// use typenet_core::dim::{Batch, BatchDim, Unsigned};
/// assert_eq!(<BatchDim<32> as Unsigned>::USIZE, 32);
/// ```
#[diagnostic::on_unimplemented(
    message = "a batch of `{Self}` rows is not supported: a batch size is a number from 1 to 1024, or a power of two above",
    label = "this batch size",
    note = "pick a batch size typenet can map to a type, e.g. 1000 or 2048"
)]
pub trait Batch {
    /// The typenum number equal to the batch size.
    type Dim: ArrayLength;
}

#[diagnostic::do_not_recommend]
impl<const B: usize> Batch for Const<B>
where
    Const<B>: ToUInt,
    U<B>: ArrayLength,
{
    type Dim = U<B>;
}

/// The typenum number of the batch size `B`.
pub type BatchDim<const B: usize> = <Const<B> as Batch>::Dim;

/// Holds when two widths are the same type; the network macro asserts it for a layer whose
/// declared input width it cannot compare itself.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this layer's declared input width is not the width the layer before it produces",
    label = "declared here"
)]
pub trait SameWidth<W> {}
impl<W> SameWidth<W> for W {}

/// Compiles only when `Declared` and `Produced` are the same width.
#[doc(hidden)]
pub fn same_width<Declared: SameWidth<Produced>, Produced>() {}
