//! Losses: each returns the mean over the batch and, when asked, its gradient with respect
//! to the network's output, ready for the backward pass.
//!
//! A network names its loss in `network!` (`loss: softmax_cross_entropy`); the [`Loss`] trait
//! is what the network's training and evaluation methods call. Adding a loss: one file here
//! with a type implementing `Loss` and one row in the macro's registry.

mod mean_squared_error;
mod softmax_cross_entropy;

pub use mean_squared_error::{mean_squared_error, MeanSquaredError};
pub use softmax_cross_entropy::{
    argmax, log_softmax, softmax, softmax_cross_entropy, SoftmaxCrossEntropy,
};

use crate::error::Error;
use crate::matrix::Matrix;
use crate::scalar::Scalar;
use generic_array::{ArrayLength, GenericArray};

/// A loss over a batch of outputs of width `O` against targets of type `Y` (a class index
/// `usize` for a classifier, a row like the output for a regressor).
pub trait Loss<T: Scalar, O: ArrayLength, Y>: Copy {
    /// Whether the targets are classes, so that accuracy means something.
    const CLASSIFIES: bool;

    /// The mean loss of `out` against `targets`; when `grad` is given, dL/d(out) is written
    /// into it. Bad targets are an error before anything is written.
    fn loss<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<Y, B>,
        grad: Option<&mut Matrix<B, O, T>>,
    ) -> Result<T, Error>;

    /// Each row's own loss into `losses` (`B` values; their mean is what
    /// [`loss`](Loss::loss) returns), for samplers that favour the examples with the largest
    /// loss. Targets are those `loss` accepted.
    fn row_losses<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<Y, B>,
        losses: &mut [T],
    );

    /// How many rows of `out` are classified as their target says (0 for a regressor).
    fn correct<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<Y, B>,
    ) -> usize {
        let _ = (out, targets);
        0
    }
}

/// A loss whose targets are class indices: networks trained with it have `predict` and
/// `predict_proba`.
#[diagnostic::on_unimplemented(
    message = "`predict` and `predict_proba` are for classifiers; this network's loss, `{Self}`, is not one",
    label = "a regressor has no classes: use `forward` for its outputs"
)]
pub trait Classifier {}
