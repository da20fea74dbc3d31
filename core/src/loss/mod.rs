//! Losses: each returns the mean over the batch and, when asked, its gradient with respect
//! to the network's output, ready for the backward pass.

mod mean_squared_error;
mod softmax_cross_entropy;

pub use mean_squared_error::mean_squared_error;
pub use softmax_cross_entropy::{argmax, softmax_cross_entropy};
