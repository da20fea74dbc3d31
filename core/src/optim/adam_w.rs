//! AdamW: PyTorch's `torch.optim.AdamW`, Adam with decoupled weight decay.

use super::{Adam, Amsgrad, AmsgradOption, DecayScope, NoAmsgrad, Optimizer};
use super::{Penalty, StateTensor, WeightDecay};
use crate::error::InvalidHyperParameter;
use crate::error::Number;
use crate::io::{Key, Resume};
use crate::math::scale;
use crate::scalar::Scalar;
use crate::tensors::Tensors;

/// AdamW, like `torch.optim.AdamW(params, lr, betas, eps, weight_decay, amsgrad)`:
/// [`Adam`] whose L2 weight decay shrinks the parameters directly instead of joining the
/// gradient. Its state is Adam's, [`AdamState`](crate::optim::AdamState): the moment estimates m and v; with
/// [`amsgrad`](AdamW::amsgrad), [`AmsgradState`](crate::optim::AmsgradState), which keeps
/// the largest v too and divides by its root, as [`Adam::amsgrad`] does.
///
/// Step t (counting from 1), on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// p ← p·(1 − lr·λ)                    (decoupled decay, on the tensors its scope covers)
/// m ← m + (1 − β₁)(g − m)
/// v ← β₂v + (1 − β₂)g²
/// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// Because the decay never enters m and v, it is not rescaled by Adam's per-parameter step
/// size: every weight shrinks by the same factor 1 − lr·λ, however large or steady its
/// gradients (with Adam's coupled L2, λp is divided by √v̂ like the rest of the gradient).
///
/// The defaults are PyTorch's but for one: λ = 0.01, β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, and
/// the decay applies to **weights only**, where PyTorch's `weight_decay` reaches every
/// parameter unless parameter groups say otherwise; [`WeightDecay::on_all_parameters`]
/// extends it to biases and batch-norm scales and shifts.
///
/// An L1 [`WeightDecay`] has no decoupled form in PyTorch: given one, AdamW adds λ·sign(p)
/// to the gradient as [`Adam`] does, and drops its decoupled L2 decay (one regularizer per
/// optimizer, as for every other optimizer here).
///
/// # Rounding
/// The factor 1 − lr·λ is computed in `f64` from the `T` values lr and λ, as PyTorch
/// computes it in Python floats, and rounded to `T` once; the parameters are multiplied by it
/// in a pass of their own before Adam's, as PyTorch's `param.mul_` comes before the moment
/// updates. The Adam step is [`Adam`]'s own, with its rounding. Measured against torch
/// 2.15's 5-step trajectories (tests/optimizer_parity.rs): within 2.7·10⁻⁷ relative in `f32`
/// and 5.0·10⁻¹⁶ in `f64`; with AMSGrad, within 3.4·10⁻⁷ and 5.3·10⁻¹⁶.
///
/// # One optimizer per network
/// As for [`Adam`], the step count lives in the optimizer: one `AdamW` value drives one
/// network (one state block).
///
/// # Type parameters
/// `T` scalar (`f32` by default); `A`, [`NoAmsgrad`] (the default) or [`Amsgrad`].
///
/// ```
/// use typenet_core::optim::{AdamW, Optimizer};
/// use typenet_core::Flat;
/// let mut opt = AdamW::new(0.1).unwrap(); // λ = 0.01 on the weights
/// let mut state = Flat::zeroed();
/// let mut p = [2.0f64];
/// opt.step(&mut p, &[0.0], &mut state);
/// // No gradient, so Adam does not move it; the decay alone: 2·(1 − 0.1·0.01).
/// assert_eq!(p, [1.998]);
/// assert!(AdamW::new(0.1f32).unwrap().with_eps(0.0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AdamW<T = f32, A = NoAmsgrad> {
    /// The Adam step, with an L1 decay if one was given, else none.
    adam: Adam<T, A>,
    /// The decoupled L2 decay, or none.
    decay: WeightDecay<T>,
}

impl<T: Scalar> AdamW<T> {
    /// AdamW with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, decoupled decay λ = 0.01 (on weights only).
    ///
    /// ```
    /// use typenet_core::optim::{AdamW, Optimizer};
    /// assert_eq!(AdamW::new(1e-3f32).unwrap().lr(), 1e-3);
    /// assert_eq!(AdamW::new(f32::NAN).unwrap_err().name, "learning rate");
    /// ```
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            adam: Adam::new(lr)?,
            decay: WeightDecay {
                lambda: T::from_f64(0.01),
                penalty: Penalty::L2,
                scope: DecayScope::WeightsOnly,
            },
        })
    }

    /// The same optimizer with AMSGrad (`amsgrad=True` in PyTorch), as [`Adam::amsgrad`]:
    /// its state is then an [`AmsgradState`](crate::optim::AmsgradState).
    ///
    /// ```
    /// use typenet_core::optim::{AdamW, AmsgradState, Optimizer};
    /// use typenet_core::Flat;
    /// let mut opt = AdamW::new(0.01).unwrap().amsgrad();
    /// let mut state: AmsgradState<[f32; 1]> = Flat::zeroed();
    /// opt.step(&mut [1.0], &[0.5], &mut state);
    /// assert_eq!(state.v_max, state.v);
    /// ```
    pub fn amsgrad(self) -> AdamW<T, Amsgrad> {
        AdamW {
            adam: self.adam.amsgrad(),
            decay: self.decay,
        }
    }
}

impl<T: Scalar, A> AdamW<T, A> {
    /// The same optimizer with the decay rates β₁ (of m) and β₂ (of v), each in [0, 1), as
    /// [`Adam::with_betas`].
    ///
    /// ```
    /// use typenet_core::optim::AdamW;
    /// assert!(AdamW::new(1e-3f32).unwrap().with_betas(0.9, 0.99).is_ok());
    /// assert_eq!(AdamW::new(1e-3f32).unwrap().with_betas(0.9, 1.0).unwrap_err().name, "beta2");
    /// ```
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            adam: self.adam.with_betas(beta1, beta2)?,
            ..self
        })
    }

    /// The same optimizer with ε, finite and greater than 0, as [`Adam::with_eps`].
    ///
    /// ```
    /// use typenet_core::optim::AdamW;
    /// assert!(AdamW::new(1e-3f32).unwrap().with_eps(1e-6).is_ok());
    /// ```
    pub fn with_eps(self, eps: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            adam: self.adam.with_eps(eps)?,
            ..self
        })
    }

    /// The same optimizer with another weight decay: an L2 one is decoupled (p ← p·(1 −
    /// lr·λ) before the Adam step, on the tensors its scope covers), which is what AdamW is
    /// for; an L1 one joins the gradient as in [`Adam`], and replaces the decoupled decay.
    /// [`WeightDecay::NONE`] turns decay off, leaving plain Adam.
    ///
    /// ```
    /// use typenet_core::optim::{AdamW, WeightDecay};
    /// let all = WeightDecay::new(0.05f32).unwrap().on_all_parameters();
    /// let opt = AdamW::new(1e-3).unwrap().with_weight_decay(all);
    /// # let _ = opt;
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        match decay.penalty {
            Penalty::L2 => Self {
                adam: self.adam.with_weight_decay(WeightDecay::NONE),
                decay,
            },
            Penalty::L1 => Self {
                adam: self.adam.with_weight_decay(decay),
                decay: WeightDecay::NONE,
            },
        }
    }

    /// The number of steps taken so far (t after the last step).
    ///
    /// ```
    /// use typenet_core::optim::{AdamW, Optimizer};
    /// use typenet_core::Flat;
    /// let mut opt = AdamW::new(1e-3f32).unwrap();
    /// opt.step(&mut [1.0f32], &[1.0], &mut Flat::zeroed());
    /// assert_eq!(opt.steps(), 1);
    /// ```
    pub fn steps(&self) -> u64 {
        self.adam.steps()
    }
}

impl<T: Scalar, A: AmsgradOption<T>> Optimizer<T> for AdamW<T, A> {
    /// Adam's moments m and v, one value of each per parameter; with AMSGrad, the largest v
    /// too.
    type State<P: Tensors<T>> = A::State<P>;
    const STATE_TENSORS: &'static [StateTensor] = A::STATE_TENSORS;

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, state: &mut A::State<P>) {
        if !self.decay.is_none() {
            // param.mul_(1 − lr·weight_decay), the factor in Python floats.
            let lr = self.adam.lr().to_f64();
            let factor = T::from_f64(1.0 - lr * self.decay.lambda.to_f64());
            let (p, scope) = (params.as_flat_mut(), self.decay.scope);
            P::visit_tensors(&mut |t| {
                if scope.applies_to(t.role) {
                    scale(&mut p[t.range()], factor);
                }
            });
        }
        self.adam.step(params, grads, state);
    }

    fn lr(&self) -> T {
        self.adam.lr()
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        self.adam.set_lr(lr)
    }
}

/// A checkpoint keeps Adam's progress: the learning rate (`lr`) and the step count (`step`).
impl<T: Scalar, A: AmsgradOption<T>> Resume for AdamW<T, A> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        self.adam.save_progress(visit);
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        self.adam.load_progress(key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::flat::Flat;
    use crate::layers::DenseParams;
    use crate::optim::testing::*;
    use crate::optim::{AdamState, AmsgradState};
    use core::mem::size_of;

    /// AdamW with hyper-parameters whose first step is exact (as in Adam's tests), and
    /// decoupled decay λ = 0.5: the factor 1 − 0.25·0.5 = 0.875.
    fn exact() -> AdamW<f64> {
        AdamW::new(0.25)
            .unwrap()
            .with_betas(0.5, 0.75)
            .unwrap()
            .with_eps(2.0)
            .unwrap()
            .with_weight_decay(WeightDecay::new(0.5).unwrap())
    }

    #[test]
    fn both_copies_of_the_pass_agree() {
        let decay = |decayed| match decayed {
            true => WeightDecay::new(0.01f32).unwrap(),
            false => WeightDecay::NONE,
        };
        assert_copies_agree(|decayed| {
            AdamW::new(0.1f32)
                .unwrap()
                .with_weight_decay(decay(decayed))
        });
        assert_copies_agree(|decayed| {
            AdamW::new(0.1f32)
                .unwrap()
                .with_weight_decay(decay(decayed))
                .amsgrad()
        });
    }

    #[test]
    fn first_step_by_hand() {
        type Params = DenseParams<U1, U1, f64>;
        let mut opt = exact();
        let (mut p, mut state) = (Params::zeroed(), AdamState::<Params, f64>::zeroed());
        p.as_flat_mut().copy_from_slice(&[1.0, 1.0]);
        let mut g = Params::zeroed();
        g.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        opt.step(&mut p, &g, &mut state);
        // The moments see the gradient alone: m = 0.5·g = 1, v = 0.25·g² = 1.
        assert_eq!(state.m.as_flat(), &[1.0, 1.0]);
        assert_eq!(state.v.as_flat(), &[1.0, 1.0]);
        // Adam's step: −(0.5·1)/(1/0.5 + 2) = −0.125. The weight first shrinks to 0.875,
        // the bias (outside the default scope) does not.
        assert_eq!(p.as_flat(), &[0.75, 0.875]);
        assert_eq!(opt.steps(), 1);
    }

    #[test]
    fn decoupled_decay_is_not_coupled_decay() {
        // With a gradient of zero, Adam's coupled decay moves p by about lr (the decay is
        // the whole gradient, normalized); AdamW's moves it by lr·λ·p.
        let mut adamw = AdamW::new(0.1f64)
            .unwrap()
            .with_weight_decay(WeightDecay::new(0.5).unwrap());
        let mut adam = Adam::new(0.1f64)
            .unwrap()
            .with_weight_decay(WeightDecay::new(0.5).unwrap());
        let (mut p, mut q) = ([2.0f64], [2.0f64]);
        let (mut s, mut t) = (Flat::zeroed(), Flat::zeroed());
        adamw.step(&mut p, &[0.0], &mut s);
        adam.step(&mut q, &[0.0], &mut t);
        assert_eq!(p, [2.0 * (1.0 - 0.05)]);
        assert!((q[0] - 1.9).abs() < 1e-7, "{}", q[0]);
    }

    #[test]
    fn on_all_parameters_and_l1() {
        type Params = DenseParams<U1, U1, f64>;
        let grads = Params::zeroed();
        let run = |opt: AdamW<f64>| {
            let (mut p, mut state) = (Params::zeroed(), AdamState::<Params, f64>::zeroed());
            p.as_flat_mut().copy_from_slice(&[1.0, 1.0]);
            let mut opt = opt;
            opt.step(&mut p, &grads, &mut state);
            (p, state)
        };
        let (p, _) =
            run(exact().with_weight_decay(WeightDecay::new(0.5).unwrap().on_all_parameters()));
        assert_eq!(p.as_flat(), &[0.875, 0.875]);
        // L1 joins the gradient (g = 0.5·sign(p) on the weight), as in Adam: m = 0.25,
        // v = 0.0625; no decoupled shrinking.
        let (p, state) = run(exact().with_weight_decay(WeightDecay::l1(0.5).unwrap()));
        assert_eq!(state.m.as_flat(), &[0.25, 0.0]);
        assert_eq!(state.v.as_flat(), &[0.0625, 0.0]);
        // −(0.5·0.25)/(0.25/0.5 + 2) = −0.05
        assert_eq!(p.as_flat(), &[0.95, 1.0]);
        // No decay at all is plain Adam.
        let (p, _) = run(exact().with_weight_decay(WeightDecay::NONE));
        assert_eq!(p.as_flat(), &[1.0, 1.0]);
    }

    #[test]
    fn the_loss_goes_down_on_a_quadratic() {
        // The default decay pulls the minimum towards 0 a little; the loss still falls a
        // thousandfold.
        assert_descends_on_a_quadratic(AdamW::new(0.05f32).unwrap(), [1.0, 100.0, 0.01], 1000);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_learning_rate_is_checked(AdamW::new);
        let opt = AdamW::new(1e-3f64).unwrap();
        assert_eq!(opt.clone().with_betas(1.0, 0.9).unwrap_err().name, "beta1");
        assert_eq!(opt.clone().with_betas(0.9, -0.1).unwrap_err().name, "beta2");
        assert_eq!(opt.with_eps(f64::NAN).unwrap_err().name, "eps");
    }

    #[test]
    fn the_state_is_adams() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <AdamW<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), 2 * size_of::<Params>());
    }

    #[test]
    fn amsgrad_keeps_the_decoupled_decay_and_grows_the_state() {
        type Params = DenseParams<U1, U1, f64>;
        type State = <AdamW<f64, Amsgrad> as Optimizer<f64>>::State<Params>;
        assert_eq!(size_of::<State>(), 3 * size_of::<Params>());
        let names: std::vec::Vec<_> = AdamW::<f64, Amsgrad>::STATE_TENSORS
            .iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
        let mut opt = exact().amsgrad();
        let (mut p, mut state) = (Params::zeroed(), AmsgradState::<Params, f64>::zeroed());
        p.as_flat_mut().copy_from_slice(&[1.0, 1.0]);
        let mut g = Params::zeroed();
        g.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        opt.step(&mut p, &g, &mut state);
        // As in first_step_by_hand: the maximum of 0 and v = 1 is v.
        assert_eq!(state.v_max.as_flat(), &[1.0, 1.0]);
        assert_eq!(p.as_flat(), &[0.75, 0.875]);
        g.as_flat_mut().copy_from_slice(&[0.0, 0.0]);
        opt.step(&mut p, &g, &mut state);
        // v = 0.75·1 = 0.75 falls, v̄ stays 1; m = 0.5. Step 2: step size 0.25/(1 − 0.25) =
        // 1/3, √(1 − 0.75²) = √0.4375; p ← p·0.875 (weight only) − (m/3)/(1/√0.4375 + 2).
        assert_eq!(state.v.as_flat(), &[0.75, 0.75]);
        assert_eq!(state.v_max.as_flat(), &[1.0, 1.0]);
        let step = (0.5 / 3.0) / (1.0 / 0.4375f64.sqrt() + 2.0);
        let expected = [0.75 * 0.875 - step, 0.875 - step];
        for (p, e) in p.as_flat().iter().zip(expected) {
            assert!((p - e).abs() < 1e-15, "{p} against {e}");
        }
    }
}
