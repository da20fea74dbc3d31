//! What every optimizer keeps besides its own hyper-parameters, and how it walks the
//! parameters in a step.

use super::{TensorDecay, WeightDecay};
use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use crate::validate;
use core::ops::Range;

/// The learning rate, the weight decay and the number of steps taken: each optimizer holds
/// one and answers `lr`, `set_lr`, `with_weight_decay` and its checkpoint through it, so the
/// rules (a rate finite and greater than 0, a count that saturates) are written once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Base<T> {
    lr: T,
    decay: WeightDecay<T>,
    steps: u64,
    /// Whether the step count matters to the update (Adam's bias correction, Adagrad's first
    /// step), and so whether a checkpoint keeps it (`step`, as PyTorch's state does).
    counts_steps: bool,
}

impl<T: Scalar> Base<T> {
    /// Learning rate `lr` (checked), no decay, no steps taken, for an optimizer whose update
    /// does not depend on the step count.
    pub(crate) fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        Ok(Base {
            lr,
            decay: WeightDecay::NONE,
            steps: 0,
            counts_steps: false,
        })
    }

    /// [`new`](Base::new), for an optimizer whose update depends on the step count: a
    /// checkpoint keeps it.
    pub(crate) fn counting_steps(lr: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Base {
            counts_steps: true,
            ..Self::new(lr)?
        })
    }

    #[inline]
    pub(crate) fn lr(&self) -> T {
        self.lr
    }

    /// Changes the learning rate; nothing changes unless it is finite and greater than 0.
    pub(crate) fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        validate::learning_rate(lr)?;
        self.lr = lr;
        Ok(())
    }

    #[inline]
    pub(crate) fn decay(&self) -> WeightDecay<T> {
        self.decay
    }

    pub(crate) fn with_decay(self, decay: WeightDecay<T>) -> Self {
        Base { decay, ..self }
    }

    /// The number of steps taken so far (t after the last step).
    #[inline]
    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    /// Counts a step and returns its number t, counting from 1.
    #[inline]
    pub(crate) fn next_step(&mut self) -> u64 {
        self.steps = self.steps.saturating_add(1);
        self.steps
    }
}

/// A checkpoint keeps the learning rate (`lr`) and, where it matters, the step count
/// (`step`).
impl<T: Scalar> Resume for Base<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("lr"), self.lr.to_number());
        if self.counts_steps {
            visit(Key::new("step"), Number::Integer(self.steps));
        }
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.segments() {
            ["lr"] => self.set_lr(crate::io::scalar("learning rate", value)?),
            ["step"] if self.counts_steps => {
                self.steps = crate::io::count("step", value)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Calls `pass` with matching slices of the parameters and gradients, the range of the block
/// they cover (for slicing the state alike) and the decay that applies to them: once over
/// the whole block of `P` when there is no decay (the common case, one loop that the
/// compiler vectorizes), else once per tensor with that tensor's decay.
#[inline]
pub(crate) fn tensor_passes<T: Scalar, P: Tensors<T>>(
    decay: WeightDecay<T>,
    params: &mut P,
    grads: &P,
    mut pass: impl FnMut(&mut [T], &[T], Range<usize>, TensorDecay<T>),
) {
    let (p, g) = (params.as_flat_mut(), grads.as_flat());
    if decay.is_none() {
        pass(p, g, 0..P::LEN, TensorDecay::NONE);
        return;
    }
    P::visit_tensors(&mut |t| {
        let r = t.range();
        let decay = decay.for_tensor(t.role);
        pass(&mut p[r.clone()], &g[r.clone()], r, decay);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::flat::Flat;
    use crate::layers::DenseParams;
    use crate::tensors::Role;
    use std::vec::Vec;

    #[test]
    fn the_step_count_is_kept_only_where_it_matters() {
        let saved = |base: &Base<f32>| {
            let mut keys = Vec::new();
            base.save_progress(&mut |key, value| keys.push((key, value)));
            keys
        };
        let mut counting = Base::counting_steps(0.5f32).unwrap();
        assert_eq!(counting.next_step(), 1);
        assert_eq!(saved(&counting).len(), 2);
        counting
            .load_progress(Key::new("step"), Number::Integer(7))
            .unwrap();
        assert_eq!(counting.next_step(), 8);

        let mut plain = Base::new(0.5f32).unwrap();
        assert_eq!(saved(&plain), [(Key::new("lr"), Number::F32(0.5))]);
        plain
            .load_progress(Key::new("step"), Number::F32(1.5))
            .unwrap();
        assert_eq!(plain.steps(), 0);
        assert!(plain
            .load_progress(Key::new("lr"), Number::F32(-1.0))
            .is_err());
        assert_eq!(plain.lr(), 0.5);
    }

    #[test]
    fn passes_cover_the_block_once_with_each_tensors_decay() {
        type Params = DenseParams<U2, U1, f32>;
        let (mut p, g) = (Params::zeroed(), Params::zeroed());
        let mut seen = Vec::new();
        tensor_passes(WeightDecay::NONE, &mut p, &g, |p, _, r, _| {
            seen.push((p.len(), r))
        });
        assert_eq!(seen, [(3, 0..3)]);
        seen.clear();
        let decay = WeightDecay::new(0.5f32).unwrap();
        let mut decays = Vec::new();
        tensor_passes(decay, &mut p, &g, |p, _, r, d| {
            seen.push((p.len(), r));
            decays.push(d.apply(0.0, 2.0));
        });
        assert_eq!(seen, [(2, 0..2), (1, 2..3)]);
        assert_eq!(decays, [decay.gradient(2.0, Role::Weight), 0.0]);
    }
}
