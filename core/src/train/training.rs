//! One training step, and the blocks a training run owns besides the network.

use crate::dim::{Batch, Const};
use crate::error::{Error, InvalidHyperParameter};
use crate::flat::{batch_array, zeroed_by_value, Flat, OnTheStack};
use crate::loss::Loss;
use crate::math::sum_of_squares;
use crate::mode::Train;
use crate::network::{Network, TrainsOn};
use crate::optim::{clip_grad_norm, clip_grad_value, Optimizer};
use crate::scalar::Scalar;
use core::borrow::BorrowMut;
use core::marker::PhantomData;
use rand::Rng;

crate::flat_struct! { @core
    /// Every block a training run of network `N` with optimizer `O` at batch `B` owns
    /// besides the network: the gradients, the optimizer's state, the cache of activations,
    /// and the batch being trained on. One [`Flat`] block, so it lives on the stack
    /// ([`Flat::zeroed`]), on the heap ([`Flat::zeroed_boxed`]) or in a `static`.
    ///
    /// Its size is [`BYTES`](StepBlocks::BYTES); [`Training`] holds one.
    pub struct StepBlocks[N: Network<T>, O: Optimizer<T>, const B: usize, T: Scalar = f32]
        [N: Network<T>, O: Optimizer<T>, const B: usize, T: Scalar] [N, O, B, T] (T, (N, O))
    where [Const<B>: Batch,]
    {
        /// The gradient of every parameter after the last backward pass.
        pub grads: N::Params,
        /// The optimizer's state: `[T; 0]` for SGD, a copy of the parameters for momentum,
        /// two for Adam.
        pub state: O::State<N::Params>,
        /// The activations of the last batch and their gradients.
        pub cache: N::Cache<B>,
        /// The rows of the batch being trained on, gathered from a data set.
        pub inputs: [N::InputRow; B],
    }
}

impl<N: Network<T>, O: Optimizer<T>, const B: usize, T: Scalar> StepBlocks<N, O, B, T>
where
    Const<B>: Batch,
{
    /// The bytes the blocks take.
    pub const BYTES: usize = core::mem::size_of::<Self>();
}

/// How [`Training`] clips gradients between the backward pass and the update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clip<T> {
    /// By their global L2 norm, as `torch.nn.utils.clip_grad_norm_`
    /// ([`clip_grad_norm`]).
    Norm(T),
    /// Each value into `[-limit, limit]`, as `torch.nn.utils.clip_grad_value_`
    /// ([`clip_grad_value`]).
    Value(T),
}

/// What one training step measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats<T> {
    /// The batch's mean loss, before the update (in training mode: dropout on, batch
    /// statistics).
    pub loss: T,
    /// The global L2 norm of the gradients before any clipping.
    pub grad_norm: T,
}

/// A training run's optimizer and blocks, and the step that uses them: forward pass in
/// training mode, loss, backward pass, optional clipping, buffer updates and the optimizer's
/// update, as one call.
///
/// # Type parameters
/// `N` the network, `O` the optimizer, `B` the batch size, `T` the scalar (`f32` unless
/// given), and `S` where the [`StepBlocks`] live: inline (the default, for the stack or a
/// `static`), a `Box` ([`new_boxed`](Training::new_boxed)), or a `&mut` to blocks that live
/// elsewhere ([`with_blocks`](Training::with_blocks)).
///
/// An example that trains a network is in the `typenet` crate's `train` module (networks
/// are declared with its `network!` macro).
///
/// # A refused step changes nothing
/// A label out of range, a loss, a gradient or a new running statistic that is NaN or
/// infinite is an error, and then the network's parameters and buffers (batch norm's
/// running statistics), the optimizer and its state are as they were before the call: the
/// buffers are updated only after the loss and the gradients were found finite (and put
/// back if they overflow), and the update comes last. (The cache and the
/// gradient block are scratch space, and hold the refused batch's values.)
pub struct Training<N, O, const B: usize, T = f32, S = StepBlocks<N, O, B, T>>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
{
    optimizer: O,
    blocks: S,
    clip: Option<Clip<T>>,
    steps: u64,
    network: PhantomData<fn(&mut N)>,
}

impl<N, O, const B: usize, T> Training<N, O, B, T>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
{
    /// A training run with `optimizer`, its blocks built zeroed by value (on the stack for a
    /// local). Blocks larger than [`MAX_STACK_BYTES`](crate::flat::MAX_STACK_BYTES) do not
    /// compile this way: use [`new_boxed`](Training::new_boxed).
    pub fn new(optimizer: O) -> Self {
        let () = OnTheStack::<T, StepBlocks<N, O, B, T>>::TRAINING;
        Self::with_blocks(optimizer, zeroed_by_value())
    }

    /// A training run with `optimizer`, its blocks built zeroed directly on the heap: for
    /// networks or batches too large for the stack. `Training::<Net, _, 256>::new_boxed(…)`
    /// names the run as `new` does; its type is a [`BoxedTraining`].
    #[cfg(feature = "alloc")]
    pub fn new_boxed(optimizer: O) -> BoxedTraining<N, O, B, T> {
        Training::with_blocks(optimizer, StepBlocks::zeroed_boxed())
    }
}

/// A [`Training`] whose blocks live on the heap, as [`Training::new_boxed`] builds it.
#[cfg(feature = "alloc")]
pub type BoxedTraining<N, O, const B: usize, T = f32> =
    Training<N, O, B, T, alloc::boxed::Box<StepBlocks<N, O, B, T>>>;

/// Where a [`Training`]'s blocks live: [`StepBlocks`] for its network, optimizer, batch size
/// and scalar, by value, in a `Box` or behind a `&mut`. The bound of
/// [`with_blocks`](Training::with_blocks), so that blocks built for another optimizer (or
/// network, or batch size) are one error that names both.
#[diagnostic::on_unimplemented(
    message = "`{Self}` are not blocks of a training run of `{N}` with `{O}` at batch {B}",
    label = "blocks built for another optimizer, network or batch size",
    note = "build the blocks as `StepBlocks::<{N}, {O}, {B}>::zeroed()`"
)]
pub trait BlocksOf<N, O, const B: usize, T>: BorrowMut<StepBlocks<N, O, B, T>>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
{
}

#[diagnostic::do_not_recommend]
impl<N, O, const B: usize, T, S> BlocksOf<N, O, B, T> for S
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
{
}

impl<N, O, const B: usize, T, S> Training<N, O, B, T, S>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BlocksOf<N, O, B, T>,
{
    /// A training run with `optimizer` and blocks that live in `blocks`: a value, a `Box`,
    /// or a `&mut` to blocks in a `static`. Their contents are overwritten as training runs,
    /// but the optimizer's state is read: start from zeroed blocks for a fresh run.
    pub fn with_blocks(optimizer: O, blocks: S) -> Self {
        Training {
            optimizer,
            blocks,
            clip: None,
            steps: 0,
            network: PhantomData,
        }
    }
}

impl<N, O, const B: usize, T, S> Training<N, O, B, T, S>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
{
    /// Clips the gradients by their global L2 norm before every update, to at most about
    /// `max_norm` (see [`clip_grad_norm`]).
    ///
    /// # Errors
    /// `max_norm` not finite and greater than 0.
    pub fn clip_grad_norm(mut self, max_norm: T) -> Result<Self, InvalidHyperParameter> {
        clip_grad_norm(&mut [T::ZERO], max_norm)?;
        self.clip = Some(Clip::Norm(max_norm));
        Ok(self)
    }

    /// Clamps every gradient into `[-limit, limit]` before every update (see
    /// [`clip_grad_value`]).
    ///
    /// # Errors
    /// `limit` not finite and greater than 0.
    pub fn clip_grad_value(mut self, limit: T) -> Result<Self, InvalidHyperParameter> {
        clip_grad_value(&mut [T::ZERO], limit)?;
        self.clip = Some(Clip::Value(limit));
        Ok(self)
    }

    /// The clipping applied before every update, if any.
    pub fn clip(&self) -> Option<Clip<T>> {
        self.clip
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The optimizer, mutably: to change its learning rate, as a schedule does.
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// The blocks: gradients, optimizer state, cache.
    pub fn blocks(&self) -> &StepBlocks<N, O, B, T> {
        self.blocks.borrow()
    }

    /// The blocks, mutably.
    pub fn blocks_mut(&mut self) -> &mut StepBlocks<N, O, B, T> {
        self.blocks.borrow_mut()
    }

    /// The gradients of the last step (of the refused batch, after an error).
    pub fn grads(&self) -> &N::Params {
        &self.blocks().grads
    }

    /// How many updates were made.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Sets the count of updates made, as a checkpoint restores it.
    pub(crate) fn set_steps(&mut self, steps: u64) {
        self.steps = steps;
    }

    /// One training step on a batch: forward pass in training mode, loss, backward pass,
    /// clipping (if set), buffer updates and the optimizer's update. Returns the loss before
    /// the update and the gradients' norm before clipping.
    ///
    /// # Errors
    /// A label out of range ([`Error::LabelOutOfRange`]), a NaN or infinite loss
    /// ([`Error::NonFiniteLoss`]), gradient ([`Error::NonFiniteGradient`]) or running
    /// statistic ([`Error::NonFiniteStatistics`]). Then nothing of the network, the
    /// optimizer or its state has changed.
    pub fn step<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        x: &[N::InputRow; B],
        targets: &[N::Target; B],
        rng: &mut R,
    ) -> Result<StepStats<T>, Error> {
        let () = TrainsOn::<N, T, B>::ROWS;
        self.step_inner(net, Input::Given(x), targets, None, rng)
    }

    /// [`step`](Training::step) on the rows `rows` of `features` and `targets`, gathered
    /// into the blocks' batch; when `row_losses` is given, it receives each row's own loss
    /// (for samplers that favour hard examples).
    ///
    /// # Errors
    /// As [`step`](Training::step); a row index out of range or slices of different
    /// lengths are an error too, before anything is computed.
    pub fn step_on_rows<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        features: &[N::InputRow],
        targets: &[N::Target],
        rows: &[usize; B],
        row_losses: Option<&mut [T; B]>,
        rng: &mut R,
    ) -> Result<StepStats<T>, Error> {
        let () = TrainsOn::<N, T, B>::ROWS;
        if features.len() != targets.len() {
            return Err(Error::LengthMismatch {
                what: "features and targets",
                left: features.len(),
                right: targets.len(),
            });
        }
        if let Some(&row) = rows.iter().find(|&&r| r >= features.len()) {
            return Err(Error::RowOutOfRange {
                row,
                rows: features.len(),
            });
        }
        let inputs = &mut self.blocks.borrow_mut().inputs;
        for (slot, &row) in inputs.iter_mut().zip(rows) {
            slot.clone_from(&features[row]);
        }
        let batch_targets: [N::Target; B] = core::array::from_fn(|i| targets[rows[i]].clone());
        self.step_inner(net, Input::Gathered, &batch_targets, row_losses, rng)
            .map_err(|e| match e {
                Error::LabelOutOfRange {
                    index,
                    label,
                    classes,
                } => Error::LabelOutOfRange {
                    index: rows[index],
                    label,
                    classes,
                },
                other => other,
            })
    }

    fn step_inner<R: Rng + ?Sized>(
        &mut self,
        net: &mut N,
        x: Input<'_, N::InputRow, B>,
        targets: &[N::Target; B],
        row_losses: Option<&mut [T; B]>,
        rng: &mut R,
    ) -> Result<StepStats<T>, Error> {
        let blocks: &mut StepBlocks<N, O, B, T> = self.blocks.borrow_mut();
        let StepBlocks {
            grads,
            state,
            cache,
            inputs,
            ..
        } = blocks;
        let x = match x {
            Input::Given(x) => x,
            Input::Gathered => &*inputs,
        };
        // Forward without touching the buffers: they change only once the step is known
        // to go through.
        net.forward_layers(x.cast_ref(), cache, &mut Train::new(rng));
        let (out, grad) = N::output_and_grad(cache);
        let loss_fn = N::Loss::default();
        let loss = loss_fn.loss(out, batch_array(targets), Some(grad))?;
        if !loss.is_finite() {
            return Err(Error::NonFiniteLoss {
                loss: loss.to_f64(),
                epoch: None,
                step: None,
            });
        }
        if let Some(row_losses) = row_losses {
            loss_fn.row_losses(out, batch_array(targets), row_losses);
        }
        net.backward_layers(x.cast_ref(), cache, grads);
        let grad_norm = global_norm(grads.as_flat()).ok_or(Error::NonFiniteGradient {
            epoch: None,
            step: None,
        })?;
        // Validated when the clipping was set, so neither call can fail.
        match self.clip {
            Some(Clip::Norm(max_norm)) => {
                let _ = clip_grad_norm(grads, max_norm);
            }
            Some(Clip::Value(limit)) => {
                let _ = clip_grad_value(grads, limit);
            }
            None => {}
        }
        if N::BUFFERED > 0 {
            // Running statistics can overflow while the loss stays finite (batch norm
            // cancels the scale of its input): keep the old ones until the new are known
            // to be finite.
            let before = crate::flat::flat_clone(net.buffers());
            net.update_buffers(cache);
            if net.buffers().as_flat().iter().any(|v| !v.is_finite()) {
                net.buffers_mut()
                    .as_flat_mut()
                    .copy_from_slice(before.as_flat());
                return Err(Error::NonFiniteStatistics {
                    epoch: None,
                    step: None,
                });
            }
        }
        self.optimizer.step(net.params_mut(), grads, state);
        self.steps += 1;
        Ok(StepStats {
            loss,
            grad_norm: T::from_f64(grad_norm),
        })
    }
}

/// The L2 norm of `values`, or `None` when one of them is NaN or infinite. Squares are
/// summed in `f64`, rescaled by the largest magnitude when they would overflow it.
fn global_norm<T: Scalar>(values: &[T]) -> Option<f64> {
    let squares = sum_of_squares(values);
    if squares.is_finite() {
        return Some(libm::sqrt(squares));
    }
    let largest = values.iter().try_fold(0.0f64, |m, g| {
        let g = g.to_f64().abs();
        g.is_finite().then_some(m.max(g))
    })?;
    let scaled: f64 = values
        .iter()
        .map(|g| (g.to_f64() / largest) * (g.to_f64() / largest))
        .sum();
    Some(largest * libm::sqrt(scaled))
}

/// Where a step's input rows are: given by the caller, or gathered into the blocks' batch.
enum Input<'a, X, const B: usize> {
    Given(&'a [X; B]),
    Gathered,
}

#[cfg(test)]
mod tests {
    use super::global_norm;
    use crate::math::sum_of_squares;

    #[test]
    fn the_norm_survives_squares_that_overflow_and_refuses_non_finite_values() {
        assert_eq!(global_norm(&[3.0f32, -4.0]), Some(5.0));
        assert_eq!(global_norm::<f64>(&[]), Some(0.0));
        // (3e200)² overflows f64; the rescaled sum does not.
        let norm = global_norm(&[3e200f64, -4e200]).unwrap();
        assert!((norm / 5e200 - 1.0).abs() < 1e-15, "{norm}");
        assert_eq!(global_norm(&[1.0f64, f64::NAN]), None);
        assert_eq!(global_norm(&[f32::INFINITY, 1.0]), None);
        assert_eq!(global_norm(&[1e300f64, f64::NEG_INFINITY]), None);
        // Long enough for the partial sums, with a tail: Σ k² for k = 1..=19 is 2470.
        let values: [f32; 19] = core::array::from_fn(|k| (k + 1) as f32);
        assert_eq!(sum_of_squares(&values), 2470.0);
    }
}
