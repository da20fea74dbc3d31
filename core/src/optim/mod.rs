//! Optimizers: each updates a parameter block from a gradient block of the same type, with
//! state whose type it derives from the parameter block.
//!
//! Parameters, gradients and optimizer state are [`Flat`] blocks of one shape, so an
//! optimizer works on plain slices, tensor by tensor ([`Tensors`]), which tells it each
//! tensor's role: weight decay applies to weights only unless asked otherwise.
//!
//! Adding an optimizer: one file here with a type implementing [`Optimizer`] and its
//! `mod`/`pub use` lines below. The network macro needs no change.
//!
//! [`Lbfgs`] does not implement [`Optimizer`]: a step of L-BFGS evaluates the loss and
//! gradient several times, so it takes a closure that computes them instead of a gradient.
//! Its state is derived from the parameters' type all the same.

mod adam;
mod lbfgs;
mod momentum;
mod sgd;

pub use adam::{Adam, AdamState};
pub use lbfgs::{Lbfgs, LbfgsReport, LbfgsState, LbfgsStop, LineSearch};
pub use momentum::Momentum;
pub use sgd::Sgd;

use crate::error::InvalidHyperParameter;
use crate::tensors::{Role, Tensors};
use crate::{Flat, Scalar};

/// Updates parameters from their gradients.
///
/// The state is a block whose type is computed from the parameters' type `P`: `[T; 0]` for
/// plain SGD, one copy of `P` for momentum, two for Adam. Build it like the gradients, with
/// `Flat::zeroed()` (or `Flat::zeroed_boxed()` for a large network): its type is inferred
/// from the call that uses it, so switching optimizer changes one line.
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// use typenet_core::Flat;
/// let mut sgd = Sgd::new(0.5).unwrap();
/// let mut state = Flat::zeroed();
/// let mut p = [1.0f64, 2.0];
/// sgd.step(&mut p, &[2.0, -2.0], &mut state);
/// assert_eq!(p, [0.0, 3.0]);
/// ```
pub trait Optimizer<T: Scalar> {
    /// The state kept for parameters of type `P`.
    type State<P: Tensors<T>>: Flat<T>;

    /// One update step: `params` moves against `grads`; `state` is updated.
    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, state: &mut Self::State<P>);

    /// The learning rate.
    fn lr(&self) -> T;

    /// Changes the learning rate (for schedules). Rejected, with nothing changed, unless it
    /// is finite and greater than zero.
    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter>;
}

/// The state of an optimizer `O` for the parameters of network `N` (or any block `P`).
pub type StateOf<O, P, T = f32> = <O as Optimizer<T>>::State<P>;

/// Which tensors L2 weight decay applies to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecayScope {
    /// Weight matrices only (the default): biases, batch-norm scales and shifts are left
    /// alone, as most recipes do with PyTorch parameter groups.
    #[default]
    WeightsOnly,
    /// Every trainable parameter, as PyTorch's `weight_decay` does without groups.
    All,
}

impl DecayScope {
    /// Whether decay applies to a tensor of `role`.
    pub fn applies_to(self, role: Role) -> bool {
        match self {
            DecayScope::WeightsOnly => role == Role::Weight,
            DecayScope::All => role.is_trainable(),
        }
    }
}

/// L2 weight decay as PyTorch's `weight_decay`: λ·p added to the gradient, on the tensors of
/// its scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDecay<T> {
    /// λ, at least 0.
    pub lambda: T,
    /// Which tensors it applies to.
    pub scope: DecayScope,
}

impl<T: Scalar> WeightDecay<T> {
    /// No decay.
    pub const NONE: Self = WeightDecay {
        lambda: T::ZERO,
        scope: DecayScope::WeightsOnly,
    };

    /// λ on weights only; λ must be finite and at least 0.
    pub fn new(lambda: T) -> Result<Self, InvalidHyperParameter> {
        check(
            "weight decay",
            lambda,
            lambda.is_finite() && lambda >= T::ZERO,
            "a finite number at least 0",
        )?;
        Ok(WeightDecay {
            lambda,
            scope: DecayScope::WeightsOnly,
        })
    }

    /// The same decay on every trainable tensor, biases included.
    pub fn on_all_parameters(self) -> Self {
        WeightDecay {
            scope: DecayScope::All,
            ..self
        }
    }

    /// λ for a tensor of `role`: zero outside the scope.
    pub fn lambda_for(&self, role: Role) -> T {
        if self.scope.applies_to(role) {
            self.lambda
        } else {
            T::ZERO
        }
    }
}

/// `Ok(())` when `ok`, else the error naming the hyper-parameter, its value and the rule.
pub(crate) fn check<T: Scalar>(
    name: &'static str,
    value: T,
    ok: bool,
    expected: &'static str,
) -> Result<(), InvalidHyperParameter> {
    if ok {
        Ok(())
    } else {
        Err(InvalidHyperParameter {
            name,
            value: value.to_f64(),
            expected,
        })
    }
}

/// Checks a learning rate: finite and greater than zero.
pub(crate) fn check_lr<T: Scalar>(lr: T) -> Result<(), InvalidHyperParameter> {
    check(
        "learning rate",
        lr,
        lr.is_finite() && lr > T::ZERO,
        "a finite number greater than 0",
    )
}
