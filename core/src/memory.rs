//! What a network needs in memory, in bytes, as constants computed from its types: for
//! training with an optimizer at a batch size ([`TrainingMemory`]) and for inference at a
//! batch size ([`InferenceMemory`]). The network's own blocks are constants of
//! [`Network`]: `PARAMETER_BYTES`, `BUFFER_BYTES`, `GRADIENT_BYTES` and `NETWORK_BYTES`.
//!
//! Every figure is the `size_of` of the block it names, so it is exact for the target the
//! code is compiled for, and a `static` of that block takes exactly that much. `network!`
//! checks a description's `budget:` against these figures while compiling, with
//! [`training_budget`] and [`inference_budget`].
//!
//! Examples that declare networks are in the `typenet` crate's `memory` module.

use crate::dim::{Batch, Const};
use crate::network::Network;
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::train::StepBlocks;
use core::marker::PhantomData;
use core::mem::size_of;

/// The bytes a training run of network `N` with optimizer `O` at batch `B` needs: the
/// network itself and the [`StepBlocks`] that a [`Training`](crate::train::Training) owns.
///
/// # Type parameters
/// `N` the network, `O` the optimizer, `B` the batch size, `T` the scalar (`f32` unless
/// given). Only its constants are used; no value of it exists.
pub struct TrainingMemory<N, O, const B: usize, T = f32>(Types<(N, O, T)>);

impl<N: Network<T>, O: Optimizer<T>, const B: usize, T: Scalar> TrainingMemory<N, O, B, T>
where
    Const<B>: Batch,
{
    /// The trainable parameters, [`Network::PARAMETER_BYTES`].
    pub const PARAMETER_BYTES: usize = N::PARAMETER_BYTES;
    /// The buffers, [`Network::BUFFER_BYTES`].
    pub const BUFFER_BYTES: usize = N::BUFFER_BYTES;
    /// The gradients, [`Network::GRADIENT_BYTES`].
    pub const GRADIENT_BYTES: usize = N::GRADIENT_BYTES;
    /// The optimizer's state: 0 for SGD, one copy of the parameters for momentum, RMSprop
    /// and Adagrad, two for Adam and AdamW (as the optimizer's `State` type says).
    pub const OPTIMIZER_STATE_BYTES: usize = size_of::<O::State<N::Params>>();
    /// The cache for a batch of `B` rows: each layer's output, its gradient, and what the
    /// layer keeps for its backward pass.
    pub const CACHE_BYTES: usize = size_of::<N::Cache<B>>();
    /// The batch's input rows, which the blocks hold for `step_on_rows`.
    pub const INPUT_BYTES: usize = size_of::<[N::InputRow; B]>();
    /// Everything but the network: [`StepBlocks::BYTES`], the sum of the four blocks above.
    pub const STEP_BYTES: usize = StepBlocks::<N, O, B, T>::BYTES;
    /// The whole run: the network ([`Network::NETWORK_BYTES`]) and its step blocks.
    pub const TOTAL_BYTES: usize = N::NETWORK_BYTES + Self::STEP_BYTES;
}

/// The bytes inference with network `N` on batches of `B` rows needs: the network and the
/// scratch of [`Network::infer`].
///
/// The scratch is two buffers, each as long as the widest output of half of the layers,
/// instead of the training cache (every output, its gradient and what each layer keeps),
/// which `forward_with` uses and [`TrainingMemory::CACHE_BYTES`] counts. The input rows are
/// the caller's and are not counted; the outputs live in the scratch.
///
/// # Type parameters
/// `N` the network, `B` the batch size, `T` the scalar (`f32` unless given).
pub struct InferenceMemory<N, const B: usize, T = f32>(Types<(N, T)>);

impl<N: Network<T>, const B: usize, T: Scalar> InferenceMemory<N, B, T>
where
    Const<B>: Batch,
{
    /// The trainable parameters, [`Network::PARAMETER_BYTES`].
    pub const PARAMETER_BYTES: usize = N::PARAMETER_BYTES;
    /// The buffers, [`Network::BUFFER_BYTES`].
    pub const BUFFER_BYTES: usize = N::BUFFER_BYTES;
    /// The scratch for a batch of `B` rows,
    /// [`InferenceScratch`](crate::InferenceScratch)`<N, B, T>`.
    pub const SCRATCH_BYTES: usize = size_of::<N::Scratch<B>>();
    /// The network ([`Network::NETWORK_BYTES`]) and the scratch.
    pub const TOTAL_BYTES: usize = N::NETWORK_BYTES + Self::SCRATCH_BYTES;
}

/// Names types without holding a value of them (and without their auto traits).
type Types<Of> = PhantomData<fn() -> Of>;

/// A memory budget checked while compiling: whether the figures fit, and if not, the
/// message that says by how much and what takes the most. `network!` emits a constant
/// that panics with [`exceeded`](Budget::exceeded), so the build fails with it.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    fits: bool,
    message: Message,
}

impl Budget {
    /// The message when the budget is exceeded; `None` when the network fits.
    pub const fn exceeded(&self) -> Option<&str> {
        if self.fits {
            None
        } else {
            Some(self.message.as_str())
        }
    }

    /// Judges `parts` (named byte counts, in any order) against `budget` bytes, written
    /// `written` by the user, for `purpose` ("to train with Adam at batch 8").
    const fn judge(
        parts: &mut [(&str, usize)],
        budget: u64,
        written: &str,
        purpose: Message,
    ) -> Self {
        let mut total: u64 = 0;
        let mut i = 0;
        while i < parts.len() {
            total += parts[i].1 as u64;
            i += 1;
        }
        let fits = total <= budget;
        let mut message = Message::new()
            .text("this network needs ")
            .number(total)
            .text(" bytes ")
            .append(&purpose)
            .text(", over the budget of ")
            .number(budget)
            .text(" (")
            .text(written)
            .text(")");
        largest_first(parts);
        let mut i = 0;
        while i < parts.len() && i < 3 && parts[i].1 > 0 {
            message = message
                .text(if i == 0 { ": " } else { ", " })
                .text(parts[i].0)
                .text(" ")
                .number(parts[i].1 as u64);
            i += 1;
        }
        Budget { fits, message }
    }
}

/// Checks `budget` bytes (as the user wrote it: `written`) against what training `N` with
/// `O` (named `optimizer` in the message) at batch `B` needs, [`TrainingMemory::TOTAL_BYTES`]:
/// the three largest of parameters, buffers, gradients, optimizer state, cache and inputs
/// are named in the message. What a description's `budget: … for training with …` compiles
/// to; the `typenet` crate's `memory` module has an example.
pub const fn training_budget<N, O, const B: usize, T>(
    budget: u64,
    written: &str,
    optimizer: &str,
) -> Budget
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
{
    let mut parts = [
        ("parameters", TrainingMemory::<N, O, B, T>::PARAMETER_BYTES),
        ("buffers", TrainingMemory::<N, O, B, T>::BUFFER_BYTES),
        ("gradients", TrainingMemory::<N, O, B, T>::GRADIENT_BYTES),
        (
            "optimizer state",
            TrainingMemory::<N, O, B, T>::OPTIMIZER_STATE_BYTES,
        ),
        ("cache", TrainingMemory::<N, O, B, T>::CACHE_BYTES),
        ("inputs", TrainingMemory::<N, O, B, T>::INPUT_BYTES),
    ];
    let purpose = Message::new()
        .text("to train with ")
        .text(optimizer)
        .text(" at batch ")
        .number(B as u64);
    Budget::judge(&mut parts, budget, written, purpose)
}

/// Checks `budget` bytes (as the user wrote it: `written`) against what inference with `N`
/// at batch `B` needs, [`InferenceMemory::TOTAL_BYTES`]: parameters, buffers and scratch. What
/// a description's `budget: … for inference …` compiles to.
pub const fn inference_budget<N, const B: usize, T>(budget: u64, written: &str) -> Budget
where
    N: Network<T>,
    T: Scalar,
    Const<B>: Batch,
{
    let mut parts = [
        ("parameters", InferenceMemory::<N, B, T>::PARAMETER_BYTES),
        ("buffers", InferenceMemory::<N, B, T>::BUFFER_BYTES),
        ("scratch", InferenceMemory::<N, B, T>::SCRATCH_BYTES),
    ];
    let purpose = Message::new()
        .text("for inference at batch ")
        .number(B as u64);
    Budget::judge(&mut parts, budget, written, purpose)
}

/// Sorts named byte counts, largest first; equal ones keep their order.
const fn largest_first(parts: &mut [(&str, usize)]) {
    let mut i = 1;
    while i < parts.len() {
        let mut j = i;
        while j > 0 && parts[j - 1].1 < parts[j].1 {
            let before = parts[j - 1];
            parts[j - 1] = parts[j];
            parts[j] = before;
            j -= 1;
        }
        i += 1;
    }
}

/// The longest message a [`Budget`] writes; text past it is cut.
const MESSAGE_CAPACITY: usize = 320;

/// A message written at compile time, where `format!` is not available: ASCII text and
/// numbers with thousands separators.
#[derive(Clone, Copy, Debug)]
struct Message {
    bytes: [u8; MESSAGE_CAPACITY],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Message {
            bytes: [0; MESSAGE_CAPACITY],
            len: 0,
        }
    }

    /// Appends `text`, as far as it fits; a character that does not fit whole is left out.
    const fn text(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < MESSAGE_CAPACITY {
            self.bytes[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        // Cut before a character that did not fit whole, so that the message stays UTF-8.
        if i < bytes.len() {
            while i > 0 && bytes[i] & 0xC0 == 0x80 {
                i -= 1;
                self.len -= 1;
            }
        }
        self
    }

    const fn append(self, other: &Message) -> Self {
        self.text(other.as_str())
    }

    /// Appends `n` in decimal, with a comma between groups of three digits: `49,152`.
    const fn number(mut self, mut n: u64) -> Self {
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
        while count > 0 && self.len < MESSAGE_CAPACITY {
            count -= 1;
            self.bytes[self.len] = digits[count];
            self.len += 1;
            if count > 0 && count % 3 == 0 && self.len < MESSAGE_CAPACITY {
                self.bytes[self.len] = b',';
                self.len += 1;
            }
        }
        self
    }

    const fn as_str(&self) -> &str {
        let (written, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(written) {
            Ok(text) => text,
            // `text` keeps whole characters and `number` writes ASCII.
            Err(_) => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{largest_first, Message};

    #[test]
    fn numbers_are_grouped_by_thousands() {
        let m = Message::new()
            .number(0)
            .text(" ")
            .number(999)
            .text(" ")
            .number(1000)
            .text(" ")
            .number(49_152)
            .text(" ")
            .number(1_234_567)
            .text(" ")
            .number(u64::MAX);
        assert_eq!(
            m.as_str(),
            "0 999 1,000 49,152 1,234,567 18,446,744,073,709,551,615"
        );
    }

    #[test]
    fn a_long_message_is_cut_at_a_whole_character() {
        let long = "é".repeat(200);
        let m = Message::new().text("a").text(&long);
        assert_eq!(m.as_str().len(), 319);
        assert!(m.as_str().ends_with('é'));
    }

    #[test]
    fn parts_sort_largest_first_and_stably() {
        let mut parts = [("a", 1), ("b", 5), ("c", 5), ("d", 0), ("e", 9)];
        largest_first(&mut parts);
        assert_eq!(parts.map(|p| p.0), ["e", "b", "c", "a", "d"]);
    }
}
