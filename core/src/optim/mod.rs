//! Optimizers: each updates a parameter block from a gradient block of the same type.
//!
//! Parameters, gradients and any optimizer state are [`Flat`] blocks of one shape, so an
//! optimizer works on plain slices and its state is derived from the network's type.

mod sgd;

pub use sgd::Sgd;

use crate::{Flat, Scalar};

/// Updates parameters `P` from their gradients.
pub trait Optimizer<T: Scalar, P: Flat<T>> {
    /// One update step: `params` moves against `grads`.
    fn step(&mut self, params: &mut P, grads: &P);
}
