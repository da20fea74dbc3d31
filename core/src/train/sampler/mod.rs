//! Samplers: the order in which a trainer visits the rows in each epoch.
//!
//! The course's advice on composing minibatches: shuffle every epoch ([`Shuffle`], the
//! default); let every batch hold the classes in their overall proportions
//! ([`Stratified`]); and show the examples the network gets most wrong more often
//! ([`HardExamples`]), with bounded weights so that a few outliers cannot take over.
//! The last two keep state per row, so they need a heap (the `alloc` feature).

#[cfg(feature = "alloc")]
mod hard_examples;
mod shuffle;
#[cfg(feature = "alloc")]
mod stratified;

#[cfg(feature = "alloc")]
pub use hard_examples::HardExamples;
pub use shuffle::Shuffle;
#[cfg(feature = "alloc")]
pub use stratified::Stratified;

use rand::Rng;

/// Decides which rows an epoch trains on, in which order.
///
/// `order` has one slot per row of the training set; the trainer cuts it into batches of
/// `B` rows in turn (the last one topped up, see [`Trainer`](crate::train::Trainer)). A
/// sampler may repeat rows and leave others out (sampling with replacement) as long as it
/// fills every slot with a valid row index.
pub trait Sampler<Y> {
    /// Fills `order` with this epoch's rows, in training order.
    fn order<R: Rng + ?Sized>(&mut self, targets: &[Y], order: &mut [usize], rng: &mut R);

    /// Whether the sampler wants the loss of every row trained on, through
    /// [`record_loss`](Sampler::record_loss). Computing them costs a little per step.
    fn wants_losses(&self) -> bool {
        false
    }

    /// The loss of `row` in the step that just trained on it (training mode).
    fn record_loss(&mut self, row: usize, loss: f64) {
        let _ = (row, loss);
    }
}
