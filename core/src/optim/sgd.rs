//! Plain stochastic gradient descent: p ← p − lr·(g + λp).

use super::{check_lr, Optimizer, WeightDecay};
use crate::tensors::Tensors;
use crate::{InvalidHyperParameter, Scalar};

/// Plain SGD, p ← p − lr·g, like `torch.optim.SGD(params, lr)`. It keeps no state (its
/// state type is `[T; 0]`). With [`with_weight_decay`](Sgd::with_weight_decay), g becomes
/// g + λp on the tensors the decay applies to (weights only, by default).
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
    lr: T,
    decay: WeightDecay<T>,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr`, which must be finite and greater than zero.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        check_lr(lr)?;
        Ok(Self {
            lr,
            decay: WeightDecay::NONE,
        })
    }

    /// The same optimizer with L2 weight decay.
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self { decay, ..self }
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    type State<P: Tensors<T>> = [T; 0];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, _: &mut [T; 0]) {
        let (p, g) = (params.as_flat_mut(), grads.as_flat());
        if self.decay.lambda == T::ZERO {
            // The common case in one pass that the compiler vectorizes.
            for (p, &g) in p.iter_mut().zip(g) {
                *p -= self.lr * g;
            }
            return;
        }
        P::visit_tensors(&mut |t| {
            let lambda = self.decay.lambda_for(t.role);
            for (p, &g) in p[t.range()].iter_mut().zip(&g[t.range()]) {
                *p -= self.lr * (g + lambda * *p);
            }
        });
    }

    fn lr(&self) -> T {
        self.lr
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        check_lr(lr)?;
        self.lr = lr;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::layers::DenseParams;
    use crate::Flat;
    use std::string::ToString;

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
    fn rejects_bad_learning_rates() {
        for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = Sgd::new(lr).unwrap_err();
            assert_eq!(err.name, "learning rate");
        }
        let mut sgd = Sgd::new(0.1f32).unwrap();
        assert!(sgd.set_lr(f32::NAN).is_err());
        assert_eq!(sgd.lr(), 0.1);
        assert_eq!(
            Sgd::new(0.0f32).unwrap_err().to_string(),
            "invalid learning rate: 0 (expected a finite number greater than 0)"
        );
        assert!(WeightDecay::new(-1.0f32).is_err());
    }
}
