//! Optimizers: each updates a parameter block from a gradient block of the same type, with
//! state whose type it derives from the parameter block.
//!
//! Parameters, gradients and optimizer state are [`Flat`] blocks of one shape, so an
//! optimizer works on plain slices, tensor by tensor ([`Tensors`]), which tells it each
//! tensor's role: weight decay ([`WeightDecay`], L2 or L1) applies to weights only unless
//! asked otherwise. [`clip_grad_norm`] and [`clip_grad_value`] rescale or clamp a gradient
//! block before the step.
//!
//! Adding an optimizer: one file here with a type implementing [`Optimizer`] and its
//! `mod`/`pub use` lines below. The type holds a `Base` (learning rate, weight decay, step
//! count, and their checkpoint), walks the parameters with `tensor_passes` (the whole block
//! in one pass without decay, else tensor by tensor), and keeps only its own per-element
//! arithmetic. The network macro needs no change.
//!
//! [`Lbfgs`] does not implement [`Optimizer`]: a step of L-BFGS evaluates the loss and
//! gradient several times, so it takes a closure that computes them instead of a gradient.
//! Its state is derived from the parameters' type all the same.

mod adagrad;
mod adam;
mod adam_w;
mod base;
mod clip;
mod lbfgs;
mod momentum;
mod rms_prop;
mod sgd;
#[cfg(test)]
pub(crate) mod testing;

pub use adagrad::Adagrad;
pub use adam::{Adam, AdamState, Amsgrad, AmsgradOption, AmsgradState, NoAmsgrad};
pub use adam_w::AdamW;
pub use clip::{clip_grad_norm, clip_grad_value};
pub use lbfgs::{Lbfgs, LbfgsReport, LbfgsState, LbfgsStop, LineSearch};
pub use momentum::Momentum;
pub use rms_prop::{
    Centered, NoMomentum, RmsProp, RmsPropOptions, RmsPropState, Uncentered, WithMomentum,
};
pub use sgd::Sgd;

pub(crate) use base::{tensor_passes, Base};

use crate::error::InvalidHyperParameter;
use crate::flat::Flat;
use crate::scalar::Scalar;
use crate::tensors::{Role, Tensors};
use crate::validate;

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

    /// The tensors of the state, one per copy of the parameters it holds, in order, with
    /// PyTorch's names: a checkpoint saves each under its parameter's name
    /// (`hidden.weight.exp_avg`). None for plain SGD.
    ///
    /// ```
    /// use typenet_core::optim::{Adam, Optimizer};
    /// let names: Vec<_> = Adam::<f32>::STATE_TENSORS.iter().map(|s| s.name).collect();
    /// assert_eq!(names, ["exp_avg", "exp_avg_sq"]);
    /// ```
    const STATE_TENSORS: &'static [StateTensor] = &[];

    /// One update step: `params` moves against `grads`; `state` is updated.
    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, state: &mut Self::State<P>);

    /// The learning rate.
    fn lr(&self) -> T;

    /// Changes the learning rate (for schedules). Rejected, with nothing changed, unless it
    /// is finite and greater than zero.
    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter>;
}

/// One tensor of an optimizer's state per parameter tensor, as
/// [`Optimizer::STATE_TENSORS`] lists them.
///
/// ```
/// use typenet_core::optim::{Momentum, Optimizer, StateTensor};
/// assert_eq!(Momentum::<f32>::STATE_TENSORS, [StateTensor::new("momentum_buffer")]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateTensor {
    /// PyTorch's name for it (`exp_avg_sq`), after the parameter's in a checkpoint.
    pub name: &'static str,
    /// Whether its values are never negative (a running mean of squares): a checkpoint
    /// with a negative one is refused.
    pub non_negative: bool,
}

impl StateTensor {
    /// A tensor named `name` of any finite values.
    pub const fn new(name: &'static str) -> Self {
        StateTensor {
            name,
            non_negative: false,
        }
    }

    /// A tensor named `name` of values at least 0.
    pub const fn non_negative(name: &'static str) -> Self {
        StateTensor {
            name,
            non_negative: true,
        }
    }
}

/// The state of an optimizer `O` for the parameters of network `N` (or any block `P`).
pub type StateOf<O, P, T = f32> = <O as Optimizer<T>>::State<P>;

/// Which tensors weight decay applies to.
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
    ///
    /// ```
    /// use typenet_core::optim::DecayScope;
    /// use typenet_core::tensors::Role;
    /// assert!(DecayScope::WeightsOnly.applies_to(Role::Weight));
    /// assert!(!DecayScope::WeightsOnly.applies_to(Role::Bias));
    /// assert!(DecayScope::All.applies_to(Role::Scale));
    /// assert!(!DecayScope::All.applies_to(Role::RunningStatistic));
    /// ```
    pub fn applies_to(self, role: Role) -> bool {
        match self {
            DecayScope::WeightsOnly => role == Role::Weight,
            DecayScope::All => role.is_trainable(),
        }
    }
}

/// The penalty a [`WeightDecay`] adds to the loss, and so what it adds to the gradient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Penalty {
    /// L2, λ/2·Σp² in the loss: λ·p joins the gradient (PyTorch's `weight_decay`). Weights
    /// shrink in proportion to their size.
    #[default]
    L2,
    /// L1, λ·Σ|p| in the loss: λ·sign(p) joins the gradient, with sign(0) = 0 (and sign(NaN)
    /// = 0) as `torch.sign` computes it. Weights shrink by a constant amount, which drives
    /// small ones towards zero.
    L1,
}

/// Weight decay: a penalty on the size of the parameters, added to the gradient of the
/// tensors its scope covers (weights only by default), with strength λ.
///
/// Every optimizer takes one through `with_weight_decay`. The penalty's gradient
/// ([`gradient`](WeightDecay::gradient)) joins the loss's gradient g at the start of the
/// step, before anything else sees g, exactly where PyTorch's `weight_decay` adds λ·p (for
/// L1, PyTorch has no option: the parity fixtures add λ·sign(p) to `p.grad` before `step()`,
/// which is the same thing):
///
/// | optimizer | where the penalty enters |
/// | --- | --- |
/// | [`Sgd`] | g + penalty, then p ← p − lr·g |
/// | [`Momentum`] | g + penalty enters the buffer (and Nesterov's look-ahead) |
/// | [`Adam`] | g + penalty enters both moments |
/// | [`RmsProp`] | g + penalty enters the mean square and the step |
/// | [`Adagrad`] | g + penalty enters the sum of squares and the step |
/// | [`AdamW`] | L2 is *decoupled*: p ← p·(1 − lr·λ) before the Adam step, the gradient untouched; L1 is added to g as for Adam |
///
/// With λ = 0 (or [`WeightDecay::NONE`]) the optimizers skip it entirely and update the
/// whole block in one pass.
///
/// ```
/// use typenet_core::optim::{Penalty, WeightDecay};
/// use typenet_core::tensors::Role;
/// let l2 = WeightDecay::new(0.5f64).unwrap(); // the same as WeightDecay::l2
/// assert_eq!(l2.gradient(-4.0, Role::Weight), -2.0);
/// assert_eq!(l2.gradient(-4.0, Role::Bias), 0.0); // weights only, by default
/// let l1 = WeightDecay::l1(0.5f64).unwrap().on_all_parameters();
/// assert_eq!(l1.penalty(), Penalty::L1);
/// assert_eq!(l1.gradient(-4.0, Role::Bias), -0.5);
/// assert_eq!(l1.gradient(0.0, Role::Weight), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDecay<T> {
    // Private, so that λ is always one that `new`, `l1` or `l2` accepted.
    lambda: T,
    penalty: Penalty,
    scope: DecayScope,
}

impl<T: Scalar> WeightDecay<T> {
    /// λ, at least 0.
    pub fn lambda(&self) -> T {
        self.lambda
    }

    /// L2 (λ·p) or L1 (λ·sign(p)).
    pub fn penalty(&self) -> Penalty {
        self.penalty
    }

    /// Which tensors it applies to.
    pub fn scope(&self) -> DecayScope {
        self.scope
    }

    /// No decay.
    pub const NONE: Self = WeightDecay {
        lambda: T::ZERO,
        penalty: Penalty::L2,
        scope: DecayScope::WeightsOnly,
    };

    /// L2 decay λ on weights only, as PyTorch's `weight_decay` (the same as
    /// [`l2`](WeightDecay::l2)); λ must be finite and at least 0.
    ///
    /// ```
    /// use typenet_core::optim::WeightDecay;
    /// assert_eq!(WeightDecay::new(1e-4f32), WeightDecay::l2(1e-4));
    /// assert_eq!(WeightDecay::new(-1.0f32).unwrap_err().name, "weight decay");
    /// ```
    pub fn new(lambda: T) -> Result<Self, InvalidHyperParameter> {
        Self::with_penalty(Penalty::L2, lambda)
    }

    /// L2 decay λ on weights only: λ·p joins the gradient. λ must be finite and at least 0.
    ///
    /// ```
    /// use typenet_core::optim::{Penalty, WeightDecay};
    /// assert_eq!(WeightDecay::l2(1e-4f32).unwrap().penalty(), Penalty::L2);
    /// ```
    pub fn l2(lambda: T) -> Result<Self, InvalidHyperParameter> {
        Self::with_penalty(Penalty::L2, lambda)
    }

    /// L1 decay λ on weights only: λ·sign(p) joins the gradient. λ must be finite and at
    /// least 0.
    ///
    /// ```
    /// use typenet_core::optim::{Penalty, WeightDecay};
    /// assert_eq!(WeightDecay::l1(1e-4f32).unwrap().penalty(), Penalty::L1);
    /// assert!(WeightDecay::l1(f32::NAN).is_err());
    /// ```
    pub fn l1(lambda: T) -> Result<Self, InvalidHyperParameter> {
        Self::with_penalty(Penalty::L1, lambda)
    }

    /// `penalty` with strength `lambda` on weights only, checked.
    fn with_penalty(penalty: Penalty, lambda: T) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("weight decay", lambda)?;
        Ok(WeightDecay {
            lambda,
            penalty,
            scope: DecayScope::WeightsOnly,
        })
    }

    /// The same decay on every trainable tensor, biases included.
    ///
    /// ```
    /// use typenet_core::optim::{DecayScope, WeightDecay};
    /// let all = WeightDecay::l1(1e-4f32).unwrap().on_all_parameters();
    /// assert_eq!(all.scope(), DecayScope::All);
    /// ```
    pub fn on_all_parameters(self) -> Self {
        WeightDecay {
            scope: DecayScope::All,
            ..self
        }
    }

    /// Whether it changes nothing (λ = 0), so that an optimizer can skip it.
    ///
    /// ```
    /// use typenet_core::optim::WeightDecay;
    /// assert!(WeightDecay::<f32>::NONE.is_none());
    /// assert!(WeightDecay::l1(0.0f32).unwrap().is_none());
    /// assert!(!WeightDecay::l1(0.1f32).unwrap().is_none());
    /// ```
    pub fn is_none(&self) -> bool {
        self.lambda == T::ZERO
    }

    /// The penalty's gradient at `value`, a parameter of a tensor of `role`: λ·value (L2)
    /// or λ·sign(value) (L1), and 0 outside the scope. Optimizers add it to the gradient.
    ///
    /// ```
    /// use typenet_core::optim::WeightDecay;
    /// use typenet_core::tensors::Role;
    /// let l1 = WeightDecay::l1(0.25f32).unwrap();
    /// assert_eq!(l1.gradient(3.0, Role::Weight), 0.25);
    /// assert_eq!(l1.gradient(-3.0, Role::Weight), -0.25);
    /// assert_eq!(l1.gradient(-3.0, Role::Bias), 0.0);
    /// ```
    #[inline(always)]
    pub fn gradient(&self, value: T, role: Role) -> T {
        if !self.scope.applies_to(role) {
            return T::ZERO;
        }
        match self.penalty {
            Penalty::L2 => self.lambda * value,
            Penalty::L1 => self.lambda * sign(value),
        }
    }

    /// λ for a tensor of `role`: zero outside the scope.
    ///
    /// ```
    /// use typenet_core::optim::WeightDecay;
    /// use typenet_core::tensors::Role;
    /// let decay = WeightDecay::new(0.1f32).unwrap();
    /// assert_eq!((decay.lambda_for(Role::Weight), decay.lambda_for(Role::Bias)), (0.1, 0.0));
    /// ```
    pub fn lambda_for(&self, role: Role) -> T {
        if self.scope.applies_to(role) {
            self.lambda
        } else {
            T::ZERO
        }
    }

    /// The decay as a pass over one tensor of `role` applies it.
    #[inline]
    pub(crate) fn for_tensor(&self, role: Role) -> TensorDecay<T> {
        TensorDecay {
            decay: *self,
            role,
            on: !self.is_none() && self.scope.applies_to(role),
        }
    }
}

/// sign(x) as `torch.sign`: 1, −1, or 0 for ±0 and NaN.
#[inline(always)]
fn sign<T: Scalar>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
    }
}

/// A weight decay as one pass over one tensor sees it. It is fixed for the whole pass, so
/// the branch on it leaves the loop and the loop still vectorizes.
#[derive(Clone, Copy)]
pub(crate) struct TensorDecay<T> {
    decay: WeightDecay<T>,
    role: Role,
    /// Whether it changes this tensor's gradient at all.
    on: bool,
}

impl<T: Scalar> TensorDecay<T> {
    /// No decay: the gradient passes unchanged.
    pub(crate) const NONE: Self = TensorDecay {
        decay: WeightDecay::NONE,
        role: Role::Weight,
        on: false,
    };

    /// g plus the penalty's gradient at `p`; exactly g where the decay does not apply, as
    /// PyTorch leaves a gradient alone when its group's `weight_decay` is 0.
    #[inline(always)]
    pub(crate) fn apply(self, g: T, p: T) -> T {
        if self.on {
            g + self.decay.gradient(p, self.role)
        } else {
            g
        }
    }
}

/// `torch.lerp(start, end, weight)` for a weight fixed over a pass, as PyTorch's CPU kernel
/// computes it: start + w·(end − start) for w < 0.5, else end − (end − start)·(1 − w), with
/// 1 − w computed in `T`.
#[derive(Clone, Copy)]
pub(crate) struct Lerp<T> {
    weight: T,
    small_weight: bool,
    one_minus_weight: T,
}

impl<T: Scalar> Lerp<T> {
    /// The weight `weight`, given in `f64` as a Python float and rounded to `T` as the tensor
    /// op rounds it.
    pub(crate) fn new(weight: f64) -> Self {
        let weight = T::from_f64(weight);
        Lerp {
            weight,
            small_weight: weight < T::from_f64(0.5),
            one_minus_weight: T::ONE - weight,
        }
    }

    /// start + weight·(end − start), in PyTorch's rounding.
    #[inline(always)]
    pub(crate) fn apply(self, start: T, end: T) -> T {
        if self.small_weight {
            start + self.weight * (end - start)
        } else {
            end - (end - start) * self.one_minus_weight
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_penalties_gradients() {
        let l2 = WeightDecay::l2(0.5f64).unwrap();
        let l1 = WeightDecay::l1(0.5f64).unwrap();
        assert_eq!(l2.gradient(3.0, Role::Weight), 1.5);
        assert_eq!(l1.gradient(3.0, Role::Weight), 0.5);
        assert_eq!(l1.gradient(-1e-300, Role::Weight), -0.5);
        // torch.sign: 0 for ±0 and for NaN.
        for zero_like in [0.0, -0.0, f64::NAN] {
            assert_eq!(l1.gradient(zero_like, Role::Weight), 0.0);
        }
        // Weights only unless asked; never a running statistic.
        for role in [Role::Bias, Role::Scale, Role::Shift, Role::RunningStatistic] {
            assert_eq!(l1.gradient(3.0, role), 0.0);
            assert_eq!(l2.gradient(3.0, role), 0.0);
        }
        let all = l1.on_all_parameters();
        for role in [Role::Weight, Role::Bias, Role::Scale, Role::Shift] {
            assert_eq!(all.gradient(-3.0, role), -0.5);
        }
        assert_eq!(all.gradient(-3.0, Role::RunningStatistic), 0.0);
    }

    #[test]
    fn new_is_l2_and_every_constructor_checks_lambda() {
        assert_eq!(WeightDecay::new(0.1f32), WeightDecay::l2(0.1));
        assert_eq!(WeightDecay::new(0.1f32).unwrap().penalty, Penalty::L2);
        for lambda in [-1e-3, f64::NAN, f64::INFINITY] {
            for make in [WeightDecay::new, WeightDecay::l1, WeightDecay::l2] {
                let err = make(lambda).unwrap_err();
                assert_eq!(
                    (err.name, err.expected),
                    ("weight decay", "a finite number at least 0")
                );
            }
        }
        assert!(WeightDecay::l1(0.0f64).unwrap().is_none());
    }

    #[test]
    fn a_pass_over_a_tensor_adds_the_penalty_only_where_it_applies() {
        let l1 = WeightDecay::l1(0.25f32).unwrap();
        assert_eq!(l1.for_tensor(Role::Weight).apply(1.0, -2.0), 0.75);
        // Outside the scope, the gradient passes exactly, −0 included.
        let bias = l1.for_tensor(Role::Bias);
        assert_eq!(bias.apply(-0.0, 2.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(TensorDecay::<f32>::NONE.apply(1.5, 100.0), 1.5);
        assert!(!WeightDecay::l2(0.0f32).unwrap().for_tensor(Role::Weight).on);
    }
}
