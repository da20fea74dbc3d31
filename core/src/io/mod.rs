//! Weights and checkpoints in and out, in the safetensors format, with PyTorch's names and
//! layouts, and without a heap.
//!
//! A network's file holds what its PyTorch twin's `state_dict()` holds: every tensor under
//! the name [`visit_tensors`](crate::Network::visit_tensors) gives it (`hidden.weight` as
//! `[out, in]`, `norm.running_var`), and batch norm's `num_batches_tracked` (an `int64` of
//! shape `[]`), so that `safetensors.torch.load_file` and `load_state_dict(strict=True)` take
//! it, and a file saved from a PyTorch model of the same names loads into the typed network.
//!
//! - [`write_weights`] writes into a caller's `&mut [u8]` ([`weights_len`] bytes), and
//!   [`load_weights`] loads from a `&[u8]` — an `include_bytes!` of a file in flash, say —
//!   with no allocation; with `alloc`, [`weights_to_vec`] returns the bytes.
//! - [`write_checkpoint`] and [`load_checkpoint`] add the optimizer's state (its tensors named
//!   after their parameter, as PyTorch names them: `hidden.weight.exp_avg`), the scalars of
//!   its progress, the learning-rate schedule's and the step count ([`Resume`]), so that a run
//!   resumed from a checkpoint continues as if it had never stopped.
//!
//! # What a load checks
//! Before it changes anything, a load checks the whole file: its length and header (a
//! bounded JSON reader that never panics, whatever the bytes), then that every tensor the
//! network has is there with its type (`F32` for an `f32` network, `F64` for `f64`) and
//! shape, that its values are finite (and running variances not negative), and that the file
//! has no tensor the network lacks (a `num_batches_tracked` of a batch-norm layer is accepted,
//! and dropped: typenet does not count batches). The first problem is an [`Error`](crate::Error)
//! naming the tensor; the network is then as it was.
//!
//! Examples, with networks declared by its `network!` macro, are in the `typenet` crate's
//! `io` module.
//!
//! # What a writer writes
//! The header lists `__metadata__` first (`"format": "pt"`, as PyTorch's writer puts it),
//! then the tensors in the order of their names, each one's data following the last's, and
//! is padded with spaces so that the data starts at a multiple of 8 bytes. The bytes depend
//! only on the values, so a file written twice is the same file.

mod checkpoint;
mod format;
mod name;
mod resume;
mod weights;
mod write;

#[cfg(feature = "alloc")]
pub use checkpoint::checkpoint_to_vec;
pub use checkpoint::{checkpoint_len, load_checkpoint, metadata, write_checkpoint};
pub use format::{Dims, Dtype};
pub use name::Name;
pub(crate) use resume::{count, float, scalar};
pub use resume::{Key, Resume};
#[cfg(feature = "alloc")]
pub use weights::weights_to_vec;
pub use weights::{load_weights, weights_len, write_weights};

pub(crate) use name::Nearest;
