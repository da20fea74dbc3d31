//! The run-time half of typenet: shaped matrices, layers, losses, initializers, optimizers
//! and data utilities. The `network!` macro of the `typenet` crate generates code against it.
//!
//! `#![no_std]` first: without features it needs neither `std` nor a heap. The `alloc`
//! feature adds boxed construction of large blocks, data sets, and matrixmultiply for large
//! products; `std` (the default) adds file loading and the platform's math library.
#![no_std]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

#[cfg(feature = "alloc")]
pub mod data;
pub mod dim;
pub mod error;
mod gemm;
pub mod gradcheck;
pub mod init;
pub mod layers;
pub mod loss;
mod matrix;
mod network;
pub mod optim;
mod raw;
mod scalar;

pub use error::{Error, InvalidHyperParameter};
pub use init::Init;
pub use matrix::Matrix;
pub use network::{Evaluation, Network};
pub use rand;
pub use raw::Flat;

#[doc(hidden)]
pub use network::evaluate_in_batches;
#[doc(hidden)]
pub use raw::batch_array;
pub use scalar::Scalar;
