//! Plain stochastic gradient descent: p ← p − lr·g, with g plus a weight-decay penalty.

use super::{tensor_passes, Base, Optimizer, TensorDecay, WeightDecay};
use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::tensors::Tensors;

/// Plain SGD, p ← p − lr·g, like `torch.optim.SGD(params, lr)`. It keeps no state (its
/// state type is `[T; 0]`). With [`with_weight_decay`](Sgd::with_weight_decay), g becomes
/// g + λp (L2) or g + λ·sign(p) (L1) on the tensors the decay applies to (weights only, by
/// default).
///
/// ```
/// use typenet_core::optim::{Optimizer, Sgd};
/// let mut sgd = Sgd::new(0.5).unwrap();
/// let mut p = [1.0f64, 2.0];
/// sgd.step(&mut p, &[2.0, -2.0], &mut []);
/// assert_eq!(p, [0.0, 3.0]);
/// assert!(Sgd::<f32>::new(-0.1).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T = f32> {
    base: Base<T>,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr`, which must be finite and greater than zero.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            base: Base::new(lr)?,
        })
    }

    /// The same optimizer with weight decay, L2 or L1: its gradient joins g before the step.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, Sgd, WeightDecay};
    /// let mut sgd = Sgd::new(0.5).unwrap().with_weight_decay(WeightDecay::l1(0.5).unwrap());
    /// let mut p = [1.0f64, -2.0];
    /// sgd.step(&mut p, &[0.0, 0.0], &mut []);
    /// assert_eq!(p, [0.75, -1.75]); // p − 0.5·0.5·sign(p)
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self {
            base: self.base.with_decay(decay),
        }
    }
}

crate::simd::dispatched! {
    /// One pass of plain SGD over matching slices of parameters and gradients, with `decay`:
    /// also [`Momentum`](super::Momentum)'s update while its momentum is 0.
    pub(super) fn sgd_pass<T: Scalar>(lr: T, p: &mut [T], g: &[T], decay: TensorDecay<T>) {
        for (p, &g) in p.iter_mut().zip(g) {
            // grad.add(param, alpha=λ) for L2; p.grad + λ·sign(p) for L1
            let g = decay.apply(g, *p);
            // param.add_(grad, alpha=−lr)
            *p -= lr * g;
        }
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    type State<P: Tensors<T>> = [T; 0];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, _: &mut [T; 0]) {
        let lr = self.base.lr();
        tensor_passes(self.base.decay(), params, grads, |p, g, _, decay| {
            sgd_pass(lr, p, g, decay)
        });
    }

    fn lr(&self) -> T {
        self.base.lr()
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        self.base.set_lr(lr)
    }
}

/// A checkpoint keeps the learning rate (`lr`).
impl<T: Scalar> Resume for Sgd<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        self.base.save_progress(visit);
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        self.base.load_progress(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::flat::Flat;
    use crate::layers::DenseParams;
    use crate::optim::testing::*;
    use std::string::ToString;

    #[test]
    fn both_copies_of_the_pass_agree() {
        assert_copies_agree(|decayed| {
            let sgd = Sgd::new(0.1f32).unwrap();
            match decayed {
                true => sgd.with_weight_decay(WeightDecay::l1(0.01).unwrap()),
                false => sgd,
            }
        });
        assert_copies_agree(|decayed| {
            let sgd = Sgd::new(0.1f64).unwrap();
            match decayed {
                true => sgd.with_weight_decay(WeightDecay::new(0.01).unwrap()),
                false => sgd,
            }
        });
    }

    #[test]
    fn one_step_by_hand() {
        let mut sgd = Sgd::new(0.1f64).unwrap();
        let mut p = [[1.0, -1.0], [0.5, 0.0]];
        sgd.step(&mut p, &[[10.0, 0.0], [-5.0, 1.0]], &mut []);
        assert_eq!(p, [[0.0, -1.0], [1.0, -0.1]]);
    }

    #[test]
    fn weight_decay_skips_biases_unless_asked() {
        let decay = WeightDecay::new(0.5f64).unwrap();
        let mut p = DenseParams::<U1, U1, f64>::zeroed();
        p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        let grads = DenseParams::<U1, U1, f64>::zeroed();
        let mut sgd = Sgd::new(0.1).unwrap().with_weight_decay(decay);
        sgd.step(&mut p, &grads, &mut []);
        // weight: 2 − 0.1·(0 + 0.5·2) = 1.9; bias untouched.
        assert_eq!(p.as_flat(), &[1.9, 2.0]);
        let mut sgd = Sgd::new(0.1)
            .unwrap()
            .with_weight_decay(decay.on_all_parameters());
        sgd.step(&mut p, &grads, &mut []);
        assert!((p.as_flat()[0] - 1.805).abs() < 1e-15);
        assert_eq!(p.as_flat()[1], 1.9);
    }

    #[test]
    fn l1_decay_moves_by_a_constant_step_towards_zero() {
        type Params = DenseParams<U2, U1, f64>;
        let mut p = Params::zeroed();
        // weights 2, −0.5; bias 1
        p.as_flat_mut().copy_from_slice(&[2.0, -0.5, 1.0]);
        let grads = Params::zeroed();
        let l1 = WeightDecay::l1(0.5f64).unwrap();
        let mut sgd = Sgd::new(0.25).unwrap().with_weight_decay(l1);
        sgd.step(&mut p, &grads, &mut []);
        // weight: p − 0.25·0.5·sign(p), whatever its size; bias untouched.
        assert_eq!(p.as_flat(), &[1.875, -0.375, 1.0]);
        let mut sgd = Sgd::new(0.25)
            .unwrap()
            .with_weight_decay(l1.on_all_parameters());
        let mut grads = Params::zeroed();
        grads.as_flat_mut().copy_from_slice(&[1.0, 0.0, -1.0]);
        sgd.step(&mut p, &grads, &mut []);
        // g + 0.5·sign(p): [1.5, −0.5, −0.5]
        assert_eq!(p.as_flat(), &[1.5, -0.25, 1.125]);
    }

    #[test]
    fn rejects_bad_learning_rates() {
        assert_learning_rate_is_checked(Sgd::new);
        assert_eq!(
            Sgd::new(0.0f32).unwrap_err().to_string(),
            "invalid learning rate: 0 (expected a finite number greater than 0)"
        );
        assert!(WeightDecay::new(-1.0f32).is_err());
    }
}
