//! RMSprop: PyTorch's `torch.optim.RMSprop`, each step divided by a running root mean square
//! of the gradients.

use super::{check, check_lr, Optimizer, StateTensor, TensorDecay, WeightDecay};
use crate::io::{Key, Resume};
use crate::tensors::Tensors;
use crate::Number;
use crate::{InvalidHyperParameter, Scalar};

/// RMSprop, like `torch.optim.RMSprop(params, lr, alpha, eps, weight_decay)` (without
/// momentum and not centered). Its state is one copy of the parameters: the running mean of
/// the squared gradients r (`square_avg` in PyTorch), zero at the start.
///
/// Each step, on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// g ← g + λp, or g + λ·sign(p)     (weight decay L2 or L1, on the tensors its scope covers)
/// r ← αr + (1 − α)g²
/// p ← p − lr·g / (√r + ε)
/// ```
///
/// The defaults are PyTorch's: α = 0.99, ε = 10⁻⁸, no weight decay. There is no bias
/// correction, so the first steps are large: r starts at 0, and the first step moves each
/// parameter by about lr/√(1 − α) = 10·lr.
///
/// # Where the course differs
/// The course (after Goodfellow et al., algorithm 8.5) writes the step as
/// −lr·g / √(δ + r), with its small constant δ *inside* the square root, and decays r with
/// ρ = 0.9. PyTorch, and so typenet, add ε *outside* the root, to √r, and default to
/// α = 0.99. The two agree wherever r ≫ ε²; for a parameter whose gradients are all near
/// zero, ε = 10⁻⁸ outside the root bounds the step by lr·|g|/10⁻⁸, where 10⁻⁸ inside it
/// would bound it by lr·|g|/10⁻⁴. To follow the course's decay rate, use
/// [`with_alpha(0.9)`](RmsProp::with_alpha).
///
/// PyTorch's `momentum` and `centered` options are not offered: each would add a copy of the
/// parameters to the state, which is a type here, so they would be separate optimizers.
///
/// # Rounding
/// α is kept in `f64`, as PyTorch keeps it in a Python float: 1 − α is computed in `f64` and
/// rounded to `T` once, and α itself is rounded to `T` for the multiplication, as PyTorch's
/// `mul_(alpha)` does. lr, ε and λ are `T` values. The multiply-adds are not fused. Measured
/// against torch 2.15's 5-step trajectories (tests/optimizer_parity.rs), with and without
/// weight decay: within 4.3·10⁻⁷ relative in `f32` and 6.2·10⁻¹⁶ in `f64`.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::optim::{Optimizer, RmsProp};
/// let mut opt = RmsProp::new(0.01).unwrap().with_alpha(0.75).unwrap();
/// let mut p = [1.0f64, 1.0];
/// let mut square_avg = [0.0; 2];
/// opt.step(&mut p, &[2.0, -4.0], &mut square_avg);
/// assert_eq!(square_avg, [1.0, 4.0]); // (1 − 0.75)·g²
/// // p − 0.01·g/(√r + ε): about 0.01·2/1 and 0.01·(−4)/2
/// assert!((p[0] - 0.98).abs() < 1e-9 && (p[1] - 1.02).abs() < 1e-9);
/// assert_eq!(RmsProp::new(0.01f32).unwrap().with_alpha(1.0).unwrap_err().name, "alpha");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsProp<T = f32> {
    lr: T,
    // Kept in f64, as PyTorch keeps it in a Python float (see Adam's betas).
    alpha: f64,
    eps: T,
    decay: WeightDecay<T>,
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// α = 0.99, ε = 10⁻⁸, no weight decay.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, RmsProp};
    /// assert_eq!(RmsProp::new(1e-3f32).unwrap().lr(), 1e-3);
    /// assert_eq!(RmsProp::new(-1e-3f32).unwrap_err().name, "learning rate");
    /// ```
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        check_lr(lr)?;
        Ok(Self {
            lr,
            alpha: 0.99,
            eps: T::from_f64(1e-8),
            decay: WeightDecay::NONE,
        })
    }

    /// The same optimizer with smoothing constant α in [0, 1): the weight of the old mean
    /// square in each update.
    ///
    /// ```
    /// use typenet_core::optim::RmsProp;
    /// assert!(RmsProp::new(1e-3f32).unwrap().with_alpha(0.9).is_ok());
    /// assert!(RmsProp::new(1e-3f32).unwrap().with_alpha(-0.1).is_err());
    /// ```
    pub fn with_alpha(self, alpha: f64) -> Result<Self, InvalidHyperParameter> {
        check(
            "alpha",
            alpha,
            (0.0..1.0).contains(&alpha),
            "a number in [0, 1)",
        )?;
        Ok(Self { alpha, ..self })
    }

    /// The same optimizer with ε, finite and greater than 0, added to √r.
    ///
    /// ```
    /// use typenet_core::optim::RmsProp;
    /// assert!(RmsProp::new(1e-3f32).unwrap().with_eps(1e-6).is_ok());
    /// assert_eq!(RmsProp::new(1e-3f32).unwrap().with_eps(0.0).unwrap_err().name, "eps");
    /// ```
    pub fn with_eps(self, eps: T) -> Result<Self, InvalidHyperParameter> {
        check(
            "eps",
            eps,
            eps.is_finite() && eps > T::ZERO,
            "a finite number greater than 0",
        )?;
        Ok(Self { eps, ..self })
    }

    /// The same optimizer with weight decay, L2 or L1: its gradient joins g before r sees
    /// it, as RMSprop's `weight_decay` does in PyTorch.
    ///
    /// ```
    /// use typenet_core::optim::{RmsProp, WeightDecay};
    /// let opt = RmsProp::new(1e-3f32).unwrap().with_weight_decay(WeightDecay::l1(1e-4).unwrap());
    /// # let _ = opt;
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self { decay, ..self }
    }

    /// One pass over matching slices of parameters, gradients and mean squares, with
    /// `decay`. Every branch tests a value fixed for the whole pass, so the compiler hoists
    /// it out of the loop and the loop itself vectorizes.
    #[inline]
    fn update(&self, p: &mut [T], g: &[T], r: &mut [T], decay: TensorDecay<T>) {
        // Python floats: 1 − α in f64, then each scalar rounded to T by the tensor op.
        let alpha = T::from_f64(self.alpha);
        let one_minus_alpha = T::from_f64(1.0 - self.alpha);
        let (eps, neg_lr) = (self.eps, -self.lr);
        for ((p, &g), r) in p.iter_mut().zip(g).zip(r.iter_mut()) {
            // grad.add(param, alpha=λ): g + λ·p (L2), or g + λ·sign(p) (L1)
            let g = decay.apply(g, *p);
            // square_avg.mul_(α).addcmul_(grad, grad, value=1 − α): α·r, then + ((1 − α)·g)·g
            *r = alpha * *r + one_minus_alpha * g * g;
            // avg = square_avg.sqrt().add_(ε)
            let avg = r.sqrt() + eps;
            // param.addcdiv_(grad, avg, value=−lr): p + (−lr·g)/avg
            *p += neg_lr * g / avg;
        }
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    /// The running mean of the squared gradients r, one value per parameter.
    type State<P: Tensors<T>> = P;
    const STATE_TENSORS: &'static [StateTensor] = &[StateTensor::non_negative("square_avg")];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, square_avg: &mut P) {
        let (p, g, r) = (
            params.as_flat_mut(),
            grads.as_flat(),
            square_avg.as_flat_mut(),
        );
        if self.decay.is_none() {
            // The common case: one pass over the whole block.
            self.update(p, g, r, TensorDecay::NONE);
            return;
        }
        P::visit_tensors(&mut |t| {
            let (rg, decay) = (t.range(), self.decay.for_tensor(t.role));
            self.update(&mut p[rg.clone()], &g[rg.clone()], &mut r[rg], decay);
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

/// A checkpoint keeps the learning rate (`lr`).
impl<T: Scalar> Resume for RmsProp<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("lr"), self.lr.to_number());
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.segments() {
            ["lr"] => self.set_lr(crate::io::scalar("learning rate", value)?),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::layers::DenseParams;
    use crate::Flat;
    use core::mem::size_of;
    use std::string::ToString;

    /// RMSprop whose first steps are exact: α = 0.75, ε = 1, lr = 0.5.
    fn exact() -> RmsProp<f64> {
        RmsProp::new(0.5)
            .unwrap()
            .with_alpha(0.75)
            .unwrap()
            .with_eps(1.0)
            .unwrap()
    }

    #[test]
    fn two_steps_by_hand() {
        let mut opt = exact();
        let (mut p, mut r) = ([1.0, 1.0, 1.0], [0.0; 3]);
        opt.step(&mut p, &[2.0, -6.0, 0.0], &mut r);
        // r = 0.25·g² = [1, 9, 0]; √r + 1 = [2, 4, 1]; p − 0.5·g/(√r + 1)
        assert_eq!(r, [1.0, 9.0, 0.0]);
        assert_eq!(p, [0.5, 1.75, 1.0]);
        opt.step(&mut p, &[2.0, 6.0, 4.0], &mut r);
        // r = 0.75·r + 0.25·g² = [1.75, 15.75, 4]; the third: p − 0.5·4/(2 + 1)
        assert_eq!(r, [1.75, 15.75, 4.0]);
        let expected = 0.5 - 0.5 * 2.0 / (f64::sqrt(1.75) + 1.0);
        assert!((p[0] - expected).abs() < 1e-15);
        assert!((p[2] - (1.0 - 2.0 / 3.0)).abs() < 1e-15);
    }

    #[test]
    fn eps_is_outside_the_square_root() {
        // The course's √(r + ε) and PyTorch's √r + ε differ visibly for a large ε.
        let mut opt = RmsProp::new(1.0f64)
            .unwrap()
            .with_alpha(0.0)
            .unwrap()
            .with_eps(0.5)
            .unwrap();
        let (mut p, mut r) = ([0.0], [0.0]);
        opt.step(&mut p, &[2.0], &mut r);
        // α = 0: r = g² = 4; p = −2/(√4 + 0.5) = −0.8, not −2/√4.5.
        assert_eq!(r, [4.0]);
        assert_eq!(p, [-0.8]);
    }

    #[test]
    fn weight_decay_joins_the_gradient_before_the_mean_square() {
        type Params = DenseParams<U1, U1, f64>;
        let grads = Params::zeroed();
        for (decay, expected_r) in [
            (WeightDecay::l2(0.5).unwrap(), [0.25, 0.0]), // g = 0.5·2 on the weight only
            (
                WeightDecay::l1(0.5).unwrap().on_all_parameters(),
                [0.0625, 0.0625],
            ),
        ] {
            let (mut p, mut r) = (Params::zeroed(), Params::zeroed());
            p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
            let mut opt = exact().with_weight_decay(decay);
            opt.step(&mut p, &grads, &mut r);
            assert_eq!(r.as_flat(), &expected_r);
        }
    }

    #[test]
    fn the_loss_goes_down_on_a_quadratic() {
        // L = Σ cᵢ·(pᵢ − tᵢ)², dL/dpᵢ = 2cᵢ·(pᵢ − tᵢ): an ill-conditioned bowl.
        let (c, t) = ([1.0f32, 100.0, 0.01], [1.0f32, -2.0, 3.0]);
        let loss = |p: &[f32; 3]| (0..3).map(|i| c[i] * (p[i] - t[i]).powi(2)).sum::<f32>();
        let mut opt = RmsProp::new(0.01f32).unwrap();
        let (mut p, mut r) = ([0.0f32; 3], [0.0; 3]);
        let start = loss(&p);
        for _ in 0..1000 {
            let g: [f32; 3] = core::array::from_fn(|i| 2.0 * c[i] * (p[i] - t[i]));
            opt.step(&mut p, &g, &mut r);
        }
        assert!(loss(&p) < 1e-3 * start, "{} → {}", start, loss(&p));
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        for lr in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            assert_eq!(RmsProp::new(lr).unwrap_err().name, "learning rate");
        }
        let opt = RmsProp::new(0.01f64).unwrap();
        for alpha in [1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let err = opt.with_alpha(alpha).unwrap_err();
            assert_eq!((err.name, err.expected), ("alpha", "a number in [0, 1)"));
        }
        for eps in [0.0, -1e-8, f64::NAN, f64::INFINITY] {
            assert_eq!(opt.with_eps(eps).unwrap_err().name, "eps");
        }
        assert_eq!(
            opt.with_alpha(1.0).unwrap_err().to_string(),
            "invalid alpha: 1 (expected a number in [0, 1))"
        );
        assert!(opt.with_alpha(0.0).is_ok());
        let mut opt = RmsProp::new(0.01f32).unwrap();
        assert!(opt.set_lr(0.0).is_err());
        assert_eq!(opt.lr(), 0.01);
    }

    #[test]
    fn the_state_is_one_copy_of_the_parameters() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <RmsProp<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), size_of::<Params>());
        assert_eq!(<State as Flat<f32>>::LEN, 3 * 2 + 2);
    }
}
