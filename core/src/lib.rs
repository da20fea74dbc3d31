//! The run-time half of typenet: shaped matrices, layers, losses, initializers, optimizers,
//! learning-rate schedules, modes, named tensors, input normalization, data utilities, and
//! weights and checkpoints in the safetensors format.
//! The `network!` macro of the `typenet` crate generates code against it; everything a
//! network *does* is written here.
//!
//! `#![no_std]` first: without features it needs neither `std` nor a heap. The `alloc`
//! feature adds boxed construction of large blocks, data sets, and matrixmultiply for large
//! products; `std` (the default) adds file loading and the platform's math library. `threads`
//! (off by default) computes each large matrix product on two threads.
//!
//! `unsafe` code is denied everywhere but in four modules, each with a reason: `flat` (slice
//! views and zeroed construction of blocks), `gemm::matrixmultiply` (the call into the GEMM
//! library) and, on x86_64 with `std`, `gemm::packed` (the crate's own AVX2 and FMA kernel:
//! intrinsics behind a run-time CPU check, raw pointers into packed panels) and `simd` (the
//! call of an elementwise loop's AVX2 copy, once the CPU is known to have AVX2; its
//! `dispatched!` macro writes that call next to each loop); with `threads`, a fifth,
//! `gemm::threads` (half a product handed to a worker thread that outlives the borrow of its
//! operands, waited for before the borrow ends).
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "alloc")]
pub mod data;
pub mod dim;
pub mod error;
pub mod flat;
mod gemm;
pub mod gradcheck;
pub mod init;
pub mod io;
pub mod layers;
pub mod loss;
mod math;
mod matrix;
pub mod memory;
pub mod mode;
mod network;
pub mod normalize;
pub mod optim;
mod scalar;
pub mod schedule;
mod simd;
mod tensor_info;
pub mod tensors;
pub mod train;
mod validate;

pub use error::{Error, InvalidHyperParameter, Number};
pub use flat::Flat;
pub use init::Init;
pub use matrix::Matrix;
pub use network::{
    evaluate_in_batches, CacheOf, Evaluation, InferenceScratch, InputOf, LayerOutput, Network,
    OutputOf, ParamsOf,
};
pub use rand;
pub use scalar::Scalar;

#[doc(hidden)]
pub use flat::batch_array;
#[doc(hidden)]
pub use gemm::{gemm_with_kernel, Kernel};
#[doc(hidden)]
pub use network::{ActivationsOf, InputGradSlot, NoInputGrad, PingPong, TrainingBatch};
#[doc(hidden)]
#[cfg(feature = "alloc")]
pub use scalar::GemmKernel;
#[doc(hidden)]
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub use scalar::PackedKernel;
