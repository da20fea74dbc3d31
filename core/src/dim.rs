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

/// A `const` width that has a typenum counterpart: from 1 to 1024, and powers of two above.
/// A network's width parameters (`struct Mlp<H>`) are `const H: usize` with
/// `where Const<H>: Width`, so that widths read as plain numbers in types and messages.
///
/// ```
/// use typenet_core::dim::{WidthDim, Unsigned};
/// assert_eq!(<WidthDim<100> as Unsigned>::USIZE, 100);
/// ```
#[diagnostic::on_unimplemented(
    message = "a width of `{Self}` is not supported: a width is a number from 1 to 1024, or a power of two above",
    label = "this width",
    note = "pick a width typenet can map to a type, e.g. 1000 or 2048"
)]
pub trait Width {
    /// The typenum number equal to the width.
    type Dim: ArrayLength;
}

#[diagnostic::do_not_recommend]
impl<const W: usize> Width for Const<W>
where
    Const<W>: ToUInt,
    U<W>: ArrayLength,
{
    type Dim = U<W>;
}

/// The typenum number of the width `W`.
pub type WidthDim<const W: usize> = <Const<W> as Width>::Dim;

/// The message that stops compilation, where a network is used with concrete widths, when a
/// layer's declared input width is not the width the layer before it produces (`None` when
/// they are equal): the network macro's check for widths it cannot compare itself (type
/// parameters). The macro writes the `panic!` into the caller's crate, at the declared
/// width, so that the error points there; the words are the macro's own, with both numbers
/// in decimal.
#[doc(hidden)]
pub const fn width_mismatch(
    declared: usize,
    produced: usize,
    layer: &str,
    producer: &str,
) -> Option<Message> {
    if declared == produced {
        return None;
    }
    Some(
        Message::new()
            .push("layer `")
            .push(layer)
            .push("` takes ")
            .number(declared)
            .push(" inputs, but ")
            .push(producer)
            .push(" produces ")
            .number(produced),
    )
}

/// A message built at compile time, where `format!` is not available.
#[doc(hidden)]
pub struct Message {
    bytes: [u8; 256],
    len: usize,
}

impl Message {
    pub(crate) const fn new() -> Self {
        Message {
            bytes: [0; 256],
            len: 0,
        }
    }

    pub(crate) const fn push(mut self, text: &str) -> Self {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() && self.len < self.bytes.len() {
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub(crate) const fn number(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.bytes.len() {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// The text.
    pub const fn as_str(&self) -> &str {
        let (text, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(text) => text,
            // Only whole strings are pushed, but a cut at the capacity could split a
            // character: then the text up to the cut.
            Err(e) => match core::str::from_utf8(text.split_at(e.valid_up_to()).0) {
                Ok(text) => text,
                Err(_) => "",
            },
        }
    }
}
