#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]

pub use typenet_core::*;

/// Declares a network; see the [crate documentation](crate) for the grammar and what it
/// generates.
pub use typenet_macros::network;

/// The names most programs need: `use typenet::prelude::*;`.
pub mod prelude {
    pub use crate::dim::{Batch, Const};
    pub use crate::network;
    pub use crate::optim::{Optimizer, Sgd};
    pub use crate::{Error, Evaluation, Flat, Init, Matrix, Network, Scalar};
}

/// What the code that `network!` generates names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use typenet_core::dim::*;
    pub use typenet_core::layers::{Activation, Dense, Relu, Sigmoid, Tanh};
    pub use typenet_core::loss::{argmax, mean_squared_error, softmax_cross_entropy};
    pub use typenet_core::optim::Optimizer;
    pub use typenet_core::rand::Rng;
    pub use typenet_core::{batch_array, evaluate_in_batches};
    pub use typenet_core::{Error, Evaluation, Flat, Init, Matrix, Network, Scalar};
}
