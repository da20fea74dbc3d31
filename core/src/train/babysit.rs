//! Babysitting the learning process: the checks the course runs before and during training,
//! as values a program (or a test) can look at.
//!
//! - [`initial_loss`]: a fresh classifier should score about ln(classes), the loss of
//!   guessing every class equally.
//! - [`overfit_tiny_subset`]: a network that cannot drive the loss of a handful of rows to
//!   about zero without regularization has a bug, or too little capacity.
//! - [`visit_update_ratios`] / [`update_ratios`]: ‖Δw‖/‖w‖ per weight tensor, about 1e-3
//!   when the learning rate is sound ([`Health`]).
//! - [`visit_grad_norms`] / [`grad_norms`]: the L2 norm of each tensor's gradient.
//! - [`visit_dead_relus`] / [`dead_relus`]: per ReLU layer, the units that output 0 for
//!   every row of a batch.

use super::samples::Samples;
use super::trainer::{EpochReport, FitBuffers, Trainer};
use super::training::StepBlocks;
use super::{LrPolicy, Sampler};
use crate::dim::{Batch, Const};
use crate::error::Error;
use crate::flat::Flat;
use crate::layers::{Activation, Relu};
use crate::loss::Classifier;
use crate::math::sum_of_squares;
use crate::network::{Evaluation, Network};
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::tensors::{Role, TensorInfo, Tensors};
use crate::validate;
use core::borrow::BorrowMut;
use core::fmt;
use rand::Rng;

/// The loss of a network before training against the loss of guessing: ln(classes), what
/// softmax cross-entropy gives when every class gets probability 1/classes. A fresh network
/// with small weights should be close; a ratio far from 1 points to a wrong loss, wrong
/// labels, or an initialization that is too large. From [`initial_loss`].
///
/// ```
/// use typenet_core::train::InitialLoss;
/// let start = InitialLoss::new(1.2f64, 3);
/// assert!((start.expected - 3f64.ln()).abs() < 1e-15);
/// assert!((start.ratio - 1.2 / 3f64.ln()).abs() < 1e-12);
/// assert!(start.is_plausible(0.1)); // within 10 % of ln 3
/// assert!(!start.is_plausible(0.05));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InitialLoss<T> {
    /// The mean loss over the data, in evaluation mode.
    pub loss: T,
    /// ln(classes).
    pub expected: T,
    /// `loss / expected`: 1 at chance. Not a number for a single class, where both are 0.
    pub ratio: T,
}

impl<T: Scalar> InitialLoss<T> {
    /// The measured `loss` of a classifier with `classes` outputs, against ln(classes).
    pub fn new(loss: T, classes: usize) -> Self {
        let expected = T::from_usize(classes).ln();
        InitialLoss {
            loss,
            expected,
            ratio: loss / expected,
        }
    }

    /// Whether the loss is within `tolerance` of ln(classes), relatively: |ratio − 1| ≤
    /// tolerance. A NaN or negative tolerance accepts nothing.
    pub fn is_plausible(&self, tolerance: T) -> bool {
        (self.ratio - T::ONE).abs() <= tolerance
    }
}

/// The loss of `net` on `samples` in evaluation mode, against ln(classes) (`N::OUTPUTS`
/// classes). Run it on a fresh network before training. It evaluates one row at a time
/// with a cache on the stack; [`initial_loss_with`] takes a cache for batches of `B`.
///
/// ```
/// use typenet_core::loss::Classifier;
/// use typenet_core::train::{initial_loss, Samples};
/// use typenet_core::{Error, Network};
///
/// /// Whether a fresh classifier starts at chance, within 25 %.
/// fn starts_at_chance<N>(net: &N, x: &[N::InputRow], y: &[usize]) -> Result<bool, Error>
/// where
///     N: Network<f32, Target = usize>,
///     N::Loss: Classifier,
/// {
///     Ok(initial_loss(net, Samples::new(x, y)?)?.is_plausible(0.25))
/// }
/// ```
///
/// # Errors
/// As [`Network::evaluate`]: no rows, a label out of range, an output that is not finite.
pub fn initial_loss<N, T>(
    net: &N,
    samples: Samples<'_, N::InputRow, N::Target>,
) -> Result<InitialLoss<T>, Error>
where
    N: Network<T>,
    T: Scalar,
    N::Loss: Classifier,
{
    let mut cache = <N::Cache<1> as Flat<T>>::zeroed();
    initial_loss_with(net, samples, &mut cache)
}

/// [`initial_loss`] in batches of `B` rows, computed in `cache`.
///
/// ```
/// use typenet_core::loss::Classifier;
/// use typenet_core::train::{initial_loss_with, InitialLoss, Samples};
/// use typenet_core::{Error, Flat, Network};
///
/// fn start<N>(net: &N, x: &[N::InputRow], y: &[usize]) -> Result<InitialLoss<f32>, Error>
/// where
///     N: Network<f32, Target = usize>,
///     N::Loss: Classifier,
/// {
///     let mut cache = <N::Cache<16> as Flat<f32>>::zeroed();
///     initial_loss_with(net, Samples::new(x, y)?, &mut cache)
/// }
/// ```
///
/// # Errors
/// As [`initial_loss`].
pub fn initial_loss_with<N, const B: usize, T>(
    net: &N,
    samples: Samples<'_, N::InputRow, N::Target>,
    cache: &mut N::Cache<B>,
) -> Result<InitialLoss<T>, Error>
where
    N: Network<T>,
    T: Scalar,
    N::Loss: Classifier,
    Const<B>: Batch,
{
    let evaluation = net.evaluate(samples.features(), samples.targets(), cache)?;
    Ok(InitialLoss::new(evaluation.loss, N::OUTPUTS))
}

/// What [`overfit_tiny_subset`] measured.
///
/// ```
/// use typenet_core::train::Overfit;
/// use typenet_core::Evaluation;
/// let run = Overfit {
///     rows: 20,
///     epochs: 200,
///     first_loss: 1.1f32,
///     final_loss: 0.004,
///     evaluation: Evaluation { loss: 0.003, accuracy: Some(1.0), samples: 20 },
/// };
/// assert!(run.memorized(0.01));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overfit<T> {
    /// The rows trained on: the first `rows` of the data set.
    pub rows: usize,
    /// The epochs that ran.
    pub epochs: usize,
    /// The first epoch's mean training loss (training mode, before each update).
    pub first_loss: T,
    /// The last epoch's mean training loss.
    pub final_loss: T,
    /// The loss (and accuracy) of the trained network on the same rows, in evaluation mode.
    pub evaluation: Evaluation<T>,
}

impl<T: Scalar> Overfit<T> {
    /// Whether the network learned the rows by heart: its evaluation loss on them is at
    /// most `loss`, and it classifies every one right (for a classifier).
    pub fn memorized(&self, loss: T) -> bool {
        self.evaluation.loss <= loss && self.evaluation.accuracy.is_none_or(|a| a == 1.0)
    }
}

/// Trains `net` (in place) with `trainer` on the first `rows` rows of `samples` only, for
/// the trainer's epochs, and reports the first and final training loss. Without
/// regularization a sound network drives the loss of 20 or so rows to about 0; with weight
/// decay or dropout it stays higher. The trainer runs without a validation set, so it must
/// not have early stopping.
///
/// The trainer brings the optimizer, the batch size, the epochs and every other setting:
///
/// ```
/// use rand::Rng;
/// use typenet_core::optim::Sgd;
/// use typenet_core::train::{overfit_tiny_subset, Overfit, Samples, Trainer, Training};
/// use typenet_core::{Error, Network};
///
/// fn memorize<N: Network<f32>>(
///     net: &mut N,
///     data: Samples<'_, N::InputRow, N::Target>,
///     rng: &mut impl Rng,
/// ) -> Result<Overfit<f32>, Error> {
///     let mut trainer = Trainer::new(Training::<N, _, 4, f32, _>::new_boxed(Sgd::new(0.1)?)).epochs(300);
///     overfit_tiny_subset(&mut trainer, net, data, 20, rng)
/// }
/// ```
///
/// # Errors
/// `rows` of 0 ([`Error::Empty`]) or more than `samples` has
/// ([`Error::LengthMismatch`]), and a trainer without epochs
/// ([`Error::InvalidHyperParameter`]), before training; then any error of
/// [`Trainer::fit`], after which the network keeps the parameters of its last good step.
#[cfg(feature = "alloc")]
pub fn overfit_tiny_subset<N, O, const B: usize, T, S, L, M, R>(
    trainer: &mut Trainer<N, O, B, T, S, L, M>,
    net: &mut N,
    samples: Samples<'_, N::InputRow, N::Target>,
    rows: usize,
    rng: &mut R,
) -> Result<Overfit<T>, Error>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: LrPolicy<T>,
    M: Sampler<N::Target>,
    R: Rng + ?Sized,
{
    let mut order = alloc::vec![0; rows.min(samples.len())];
    overfit_tiny_subset_in(trainer, net, samples, rows, rng, &mut order)
}

/// [`overfit_tiny_subset`] with the epoch's order buffer lent by the caller (at least
/// `rows` slots), for builds without a heap.
///
/// ```
/// use rand::Rng;
/// use typenet_core::optim::Sgd;
/// use typenet_core::train::{overfit_tiny_subset_in, Overfit, Samples, Trainer, Training};
/// use typenet_core::{Error, Network};
///
/// fn memorize<N: Network<f32>>(
///     net: &mut N,
///     data: Samples<'_, N::InputRow, N::Target>,
///     rng: &mut impl Rng,
/// ) -> Result<Overfit<f32>, Error> {
///     let mut trainer = Trainer::new(Training::<N, _, 4>::new(Sgd::new(0.1)?)).epochs(300);
///     let mut order = [0; 20];
///     overfit_tiny_subset_in(&mut trainer, net, data, 20, rng, &mut order)
/// }
/// ```
///
/// # Errors
/// As [`overfit_tiny_subset`]; an order buffer shorter than `rows` is
/// [`Error::LengthMismatch`].
pub fn overfit_tiny_subset_in<N, O, const B: usize, T, S, L, M, R>(
    trainer: &mut Trainer<N, O, B, T, S, L, M>,
    net: &mut N,
    samples: Samples<'_, N::InputRow, N::Target>,
    rows: usize,
    rng: &mut R,
    order: &mut [usize],
) -> Result<Overfit<T>, Error>
where
    N: Network<T>,
    O: Optimizer<T>,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: LrPolicy<T>,
    M: Sampler<N::Target>,
    R: Rng + ?Sized,
{
    if rows == 0 {
        return Err(Error::Empty {
            what: "subset to overfit",
        });
    }
    if rows > samples.len() {
        return Err(Error::LengthMismatch {
            what: "the rows asked to overfit and the rows of the data set",
            left: rows,
            right: samples.len(),
        });
    }
    let epochs = trainer.max_epochs();
    validate::check_count("epochs", epochs, epochs > 0, "at least 1 to overfit")?;
    let subset = Samples::new(&samples.features()[..rows], &samples.targets()[..rows])?;
    let mut first: Option<EpochReport<T>> = None;
    let buffers = FitBuffers { order, best: None };
    let summary = trainer.fit_in(net, subset, None, rng, buffers, |report| {
        first.get_or_insert(*report);
    })?;
    let (Some(first), Some(last)) = (first, summary.last) else {
        return Err(Error::Empty {
            what: "training run",
        });
    };
    let evaluation = net.evaluate(
        subset.features(),
        subset.targets(),
        &mut trainer.training_mut().blocks_mut().cache,
    )?;
    Ok(Overfit {
        rows,
        epochs: summary.epochs,
        first_loss: first.train_loss,
        final_loss: last.train_loss,
        evaluation,
    })
}

/// How an update ratio ‖Δw‖/‖w‖ compares with the course's rule of thumb, about 1e-3 per
/// step. The healthy band is one decade either side:
///
/// - below [`LOW`](Health::LOW) = 1e-4, a step moves the weights by less than a
///   ten-thousandth: thousands of steps change them by a few percent, so the learning rate
///   is likely too low;
/// - above [`HIGH`](Health::HIGH) = 1e-2, a step moves them by more than a percent: a
///   hundred steps could replace them entirely, so training is likely unstable and the
///   learning rate too high.
///
/// ```
/// use typenet_core::train::Health;
/// assert_eq!(Health::of_ratio(1e-3), Health::Healthy);
/// assert_eq!(Health::of_ratio(1e-4), Health::Healthy); // the band includes its ends
/// assert_eq!(Health::of_ratio(5e-5), Health::TooSmall);
/// assert_eq!(Health::of_ratio(0.05), Health::TooLarge);
/// assert_eq!(Health::of_ratio(f64::NAN), Health::NotFinite);
/// assert_eq!(Health::TooLarge.to_string(), "too large");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Health {
    /// Below [`Health::LOW`]: the learning rate is probably too low.
    TooSmall,
    /// Between [`Health::LOW`] and [`Health::HIGH`], ends included.
    Healthy,
    /// Above [`Health::HIGH`]: the learning rate is probably too high.
    TooLarge,
    /// NaN: the weights or the update are not finite.
    NotFinite,
}

impl Health {
    /// The lowest healthy ratio, a decade under 1e-3.
    pub const LOW: f64 = 1e-4;
    /// The highest healthy ratio, a decade over 1e-3.
    pub const HIGH: f64 = 1e-2;

    /// The health of an update ratio. An infinite ratio (weights at zero that moved) is
    /// too large.
    pub fn of_ratio(ratio: f64) -> Health {
        if ratio.is_nan() {
            Health::NotFinite
        } else if ratio < Self::LOW {
            Health::TooSmall
        } else if ratio > Self::HIGH {
            Health::TooLarge
        } else {
            Health::Healthy
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Health::TooSmall => "too small",
            Health::Healthy => "healthy",
            Health::TooLarge => "too large",
            Health::NotFinite => "not finite",
        })
    }
}

/// One weight tensor's update ratio ‖Δw‖/‖w‖, from [`visit_update_ratios`].
///
/// ```
/// use typenet_core::tensors::{Role, Shape, TensorInfo};
/// use typenet_core::train::{Health, UpdateRatio};
/// let tensor = TensorInfo::new("weight", Role::Weight, Shape::matrix(2, 2), 0);
/// let r = UpdateRatio { tensor, update_norm: 0.002f32, weight_norm: 2.0, ratio: 0.001 };
/// assert_eq!(r.health(), Health::Healthy);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateRatio<T> {
    /// The tensor: its `Display` is its PyTorch name, `hidden.weight`.
    pub tensor: TensorInfo,
    /// ‖after − before‖, the L2 norm of the update.
    pub update_norm: T,
    /// ‖before‖, the L2 norm of the weights before the update.
    pub weight_norm: T,
    /// `update_norm / weight_norm`; 0 when nothing moved, infinite when weights at zero
    /// moved.
    pub ratio: T,
}

impl<T: Scalar> UpdateRatio<T> {
    /// How the ratio compares with the healthy band ([`Health`]).
    pub fn health(&self) -> Health {
        Health::of_ratio(self.ratio.to_f64())
    }
}

/// Calls `visit` with the update ratio ‖after − before‖/‖before‖ of every weight tensor
/// (role [`Role::Weight`]) of a parameter block, in layout order, between two snapshots:
/// the parameters before a step and after it. Biases and batch norm's scales and shifts are
/// skipped: the rule of thumb is stated for weights, and biases start at zero, where the
/// ratio means nothing. Norms are summed in `f64`. Needs no heap.
///
/// ```
/// use typenet_core::dim::{U2, U3};
/// use typenet_core::layers::DenseParams;
/// use typenet_core::tensors::Tensors;
/// use typenet_core::train::{visit_update_ratios, Health};
/// use typenet_core::Flat;
///
/// // A dense layer 2 → 3: weight [3, 2], bias [3].
/// let weight = [3.0, 0.0, 0.0, 4.0, 0.0, 0.0]; // ‖w‖ = 5
/// let mut before = DenseParams::<U2, U3, f64>::zeroed();
/// before.tensor_mut("weight").unwrap().copy_from_slice(&weight);
/// let mut after = DenseParams::<U2, U3, f64>::zeroed();
/// after.tensor_mut("weight").unwrap().copy_from_slice(&weight);
/// after.tensor_mut("weight").unwrap()[0] += 0.003; // ‖Δw‖ = 0.003
/// after.tensor_mut("bias").unwrap()[0] = 1.0; // not visited
/// let mut seen = Vec::new();
/// visit_update_ratios(&before, &after, |r| seen.push((r.tensor.to_string(), r.ratio, r.health())));
/// assert_eq!(seen.len(), 1);
/// assert_eq!(seen[0].0, "weight");
/// assert!((seen[0].1 - 0.003 / 5.0).abs() < 1e-12);
/// assert_eq!(seen[0].2, Health::Healthy);
/// ```
pub fn visit_update_ratios<P, T>(before: &P, after: &P, mut visit: impl FnMut(UpdateRatio<T>))
where
    P: Tensors<T>,
    T: Scalar,
{
    let (before, after) = (before.as_flat(), after.as_flat());
    P::visit_tensors(&mut |tensor| {
        if tensor.role != Role::Weight {
            return;
        }
        let range = tensor.range();
        let (w, w2) = (&before[range.clone()], &after[range]);
        let weight = libm::sqrt(sum_of_squares(w));
        let update = libm::sqrt(w.iter().zip(w2).map(|(&a, &b)| square(b - a)).sum());
        let ratio = if update == 0.0 { 0.0 } else { update / weight };
        visit(UpdateRatio {
            tensor,
            update_norm: T::from_f64(update),
            weight_norm: T::from_f64(weight),
            ratio: T::from_f64(ratio),
        });
    });
}

/// [`visit_update_ratios`], collected.
///
/// ```
/// use typenet_core::train::update_ratios;
/// // A plain array is one weight tensor named `values`.
/// let ratios = update_ratios(&[3.0f64, 4.0], &[3.0, 4.01]);
/// assert_eq!(ratios[0].tensor.to_string(), "values");
/// assert!((ratios[0].ratio - 0.002).abs() < 1e-12);
/// ```
#[cfg(feature = "alloc")]
pub fn update_ratios<P, T>(before: &P, after: &P) -> alloc::vec::Vec<UpdateRatio<T>>
where
    P: Tensors<T>,
    T: Scalar,
{
    let mut ratios = alloc::vec::Vec::new();
    visit_update_ratios(before, after, |r| ratios.push(r));
    ratios
}

/// One tensor's gradient norm, from [`visit_grad_norms`].
///
/// ```
/// use typenet_core::tensors::{Role, Shape, TensorInfo};
/// use typenet_core::train::GradNorm;
/// let g = GradNorm { tensor: TensorInfo::new("bias", Role::Bias, Shape::vector(3), 6), norm: 0.5f32 };
/// assert_eq!(g.tensor.to_string(), "bias");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradNorm<T> {
    /// The tensor: its `Display` is its PyTorch name, `hidden.bias`.
    pub tensor: TensorInfo,
    /// The L2 norm of its gradient.
    pub norm: T,
}

/// Calls `visit` with the L2 norm of every tensor of a gradient block, in layout order,
/// biases included: a layer whose gradient is orders of magnitude smaller than the others'
/// learns little (vanishing gradients), one much larger dominates the step. Norms are
/// summed in `f64`. Needs no heap.
///
/// ```
/// use typenet_core::dim::{U2, U3};
/// use typenet_core::layers::DenseParams;
/// use typenet_core::tensors::Tensors;
/// use typenet_core::train::visit_grad_norms;
/// use typenet_core::Flat;
///
/// let mut grads = DenseParams::<U2, U3, f32>::zeroed();
/// grads.tensor_mut("weight").unwrap()[..2].copy_from_slice(&[3.0, 4.0]);
/// grads.tensor_mut("bias").unwrap()[2] = -2.0;
/// let mut norms = Vec::new();
/// visit_grad_norms(&grads, |g| norms.push((g.tensor.to_string(), g.norm)));
/// assert_eq!(norms, [("weight".to_string(), 5.0), ("bias".to_string(), 2.0)]);
/// ```
pub fn visit_grad_norms<P, T>(grads: &P, mut visit: impl FnMut(GradNorm<T>))
where
    P: Tensors<T>,
    T: Scalar,
{
    let grads = grads.as_flat();
    P::visit_tensors(&mut |tensor| {
        let squares = sum_of_squares(&grads[tensor.range()]);
        visit(GradNorm {
            tensor,
            norm: T::from_f64(libm::sqrt(squares)),
        });
    });
}

/// [`visit_grad_norms`], collected.
///
/// ```
/// use typenet_core::train::grad_norms;
/// let norms = grad_norms(&[[0.0f64, 3.0], [4.0, 0.0]]);
/// assert_eq!((norms[0].tensor.to_string(), norms[0].norm), ("values".to_string(), 5.0));
/// ```
#[cfg(feature = "alloc")]
pub fn grad_norms<P, T>(grads: &P) -> alloc::vec::Vec<GradNorm<T>>
where
    P: Tensors<T>,
    T: Scalar,
{
    let mut norms = alloc::vec::Vec::new();
    visit_grad_norms(grads, |g| norms.push(g));
    norms
}

/// The units of one ReLU layer that output 0 for every row of a batch, from
/// [`visit_dead_relus`]. `L` is the layer's name: `&str` from the visitor, `String` from
/// [`dead_relus`].
///
/// ```
/// use typenet_core::train::DeadUnits;
/// let relu = DeadUnits { layer: "relu1", units: 8, dead: 2 };
/// assert_eq!(relu.share(), 0.25);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadUnits<L> {
    /// The layer's name in the network (`relu1`, or its label).
    pub layer: L,
    /// Its width.
    pub units: usize,
    /// How many of its units output 0 for every row.
    pub dead: usize,
}

impl<L> DeadUnits<L> {
    /// `dead / units`: the share of the layer that no row of the batch reached (0 for a
    /// layer without units).
    pub fn share(&self) -> f64 {
        if self.units == 0 {
            0.0
        } else {
            self.dead as f64 / self.units as f64
        }
    }
}

/// Runs `net` on the batch `x` in evaluation mode (in `cache`) and calls `visit` for every
/// ReLU layer, in order, with the units that output 0 for every row. A unit dead on a whole
/// batch gets no gradient from it; a layer where most are dead (after too large a
/// learning rate, or a bias pushed very negative) has stopped learning. A larger batch
/// gives a surer answer: a unit is counted dead only if no row reaches it. Needs no heap.
///
/// ```
/// use typenet_core::train::visit_dead_relus;
/// use typenet_core::{dim::{Batch, Const}, Network};
///
/// /// The largest share of dead units over the network's ReLU layers.
/// fn worst_relu<N: Network<f32>, const B: usize>(
///     net: &N,
///     x: &[N::InputRow; B],
///     cache: &mut N::Cache<B>,
/// ) -> f64
/// where
///     Const<B>: Batch,
/// {
///     let mut worst = 0.0f64;
///     visit_dead_relus(net, x, cache, |layer| worst = worst.max(layer.share()));
///     worst
/// }
/// ```
pub fn visit_dead_relus<N, const B: usize, T>(
    net: &N,
    x: &[N::InputRow; B],
    cache: &mut N::Cache<B>,
    mut visit: impl FnMut(DeadUnits<&str>),
) where
    N: Network<T>,
    T: Scalar,
    Const<B>: Batch,
{
    net.forward_with(x, cache);
    N::visit_outputs(cache, &mut |layer, out| {
        if layer.kind != Relu::NAME {
            return;
        }
        // The output is B rows of `units` values each, row after row.
        let units = out.len().checked_div(B).unwrap_or(0);
        let dead = (0..units)
            .filter(|&unit| out.iter().skip(unit).step_by(units).all(|&y| y == T::ZERO))
            .count();
        visit(DeadUnits {
            layer: layer.name,
            units,
            dead,
        });
    });
}

/// [`visit_dead_relus`] with a cache on the heap, collected.
///
/// ```
/// use typenet_core::train::dead_relus;
/// use typenet_core::{dim::{Batch, Const}, Network};
///
/// /// The names of the ReLU layers where more than half the units are dead.
/// fn mostly_dead<N: Network<f32>, const B: usize>(net: &N, x: &[N::InputRow; B]) -> Vec<String>
/// where
///     Const<B>: Batch,
/// {
///     dead_relus(net, x).into_iter().filter(|l| l.share() > 0.5).map(|l| l.layer).collect()
/// }
/// ```
#[cfg(feature = "alloc")]
pub fn dead_relus<N, const B: usize, T>(
    net: &N,
    x: &[N::InputRow; B],
) -> alloc::vec::Vec<DeadUnits<alloc::string::String>>
where
    N: Network<T>,
    T: Scalar,
    Const<B>: Batch,
{
    let mut cache = <N::Cache<B> as Flat<T>>::zeroed_boxed();
    let mut layers = alloc::vec::Vec::new();
    visit_dead_relus(net, x, &mut cache, |d| {
        layers.push(DeadUnits {
            layer: alloc::string::String::from(d.layer),
            units: d.units,
            dead: d.dead,
        });
    });
    layers
}

fn square<T: Scalar>(v: T) -> f64 {
    v.to_f64() * v.to_f64()
}
