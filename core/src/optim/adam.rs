//! Adam: PyTorch's `torch.optim.Adam`, with bias correction and coupled weight decay.

use super::{check, check_lr, Optimizer, StateTensor, TensorDecay, WeightDecay};
use crate::io::{Key, Resume};
use crate::tensors::Tensors;
use crate::Number;
use crate::{Flat, InvalidHyperParameter, Scalar};

/// Adam, like `torch.optim.Adam(params, lr, betas, eps, weight_decay)` (without AMSGrad).
/// Its state is two copies of the parameters, [`AdamState`]: the moment estimates m and v.
///
/// Step t (counting from 1), on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// g ← g + λp, or g + λ·sign(p)       (weight decay L2 or L1, on the tensors its scope covers)
/// m ← m + (1 − β₁)(g − m)            (m.lerp_(g, 1 − β₁): β₁m + (1 − β₁)g)
/// v ← β₂v + (1 − β₂)g²
/// p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// The defaults are PyTorch's: β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, no weight decay. ε is added
/// after the square root and after the bias correction of v. The decay is L2 added to the
/// gradient, as Adam's `weight_decay` (AdamW's decoupled decay is another rule).
///
/// # Rounding
/// PyTorch computes the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, the step size lr/(1 − β₁ᵗ) and
/// √(1 − β₂ᵗ) in Python floats, that is in `f64`, and only the per-element arithmetic in the
/// tensor's type. This does the same: the per-step scalars are computed in `f64` from the
/// hyper-parameters (exactly, as `T::to_f64` is exact) and rounded once to `T`. In `f32`,
/// 1 − β₂ᵗ would keep few correct digits in the first steps, where β₂ᵗ is close to 1.
///
/// β₁ and β₂ are kept in `f64`, as PyTorch keeps them in Python floats, so 1 − β₂ is exact
/// to `f64` before it is rounded to `T`; lr, ε and λ are `T` values. PyTorch's CPU kernels
/// fuse the multiply-adds of the weight decay and of both moment updates, which this code
/// does not (it would stop the loop from vectorizing on baseline x86-64). Measured against
/// torch 2.15's 5-step trajectories (tests/optimizer_parity.rs): within 2.7·10⁻⁷ relative in
/// `f32` and 5.1·10⁻¹⁶ in `f64`.
///
/// # One optimizer per network
/// The step count t lives in the optimizer, not in the state block, so one `Adam` value
/// drives one network (one state block): to train another, or to start again from a zeroed
/// state, build a new one. It is deliberately not `Copy`, so that a copy does not silently
/// restart the count.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::optim::{Adam, Optimizer};
/// use typenet_core::Flat;
/// let mut adam = Adam::new(0.1).unwrap();
/// let mut state = Flat::zeroed();
/// let mut p = [1.0f64, 1.0];
/// adam.step(&mut p, &[0.5, -1e3], &mut state);
/// // The first step moves each parameter by about lr, whatever the gradient's scale.
/// assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] - 1.1).abs() < 1e-6);
/// assert!(Adam::<f32>::new(0.1).unwrap().with_betas(0.9, 1.0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T = f32> {
    lr: T,
    // The decay rates are kept in f64, as PyTorch keeps them in Python floats: in f32, 0.999
    // is 0.99899999, and 1 − β₂ would be 1.3e-5 off, relative, in every update of v.
    beta1: f64,
    beta2: f64,
    eps: T,
    decay: WeightDecay<T>,
    steps: u64,
}

crate::flat_struct! { @core
    /// [`Adam`]'s state for parameters of type `P`: the moment estimates, zero at the start.
    ///
    /// ```
    /// use typenet_core::optim::{Adam, AdamState, Optimizer};
    /// use typenet_core::Flat;
    /// let mut adam = Adam::new(0.1).unwrap();
    /// let mut state = AdamState::<[f64; 1], f64>::zeroed();
    /// adam.step(&mut [0.0f64], &[2.0], &mut state);
    /// assert!((state.m[0] - 0.2).abs() < 1e-15); // (1 − 0.9)·2
    /// assert!((state.v[0] - 0.004).abs() < 1e-15); // (1 − 0.999)·2²
    /// assert_eq!(adam.steps(), 1);
    /// ```
    pub struct AdamState[P, T = f32][T: Scalar, P: Flat<T>][P, T] (T, ()) {
        /// m, the running average of the gradients (`exp_avg` in PyTorch).
        pub m: P,
        /// v, the running average of the squared gradients (`exp_avg_sq` in PyTorch).
        pub v: P,
    }
}

impl<T: Scalar> Adam<T> {
    /// Adam with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, no weight decay.
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        check_lr(lr)?;
        Ok(Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: T::from_f64(1e-8),
            decay: WeightDecay::NONE,
            steps: 0,
        })
    }

    /// The same optimizer with the decay rates β₁ (of m) and β₂ (of v), each in [0, 1).
    ///
    /// ```
    /// use typenet_core::optim::Adam;
    /// assert!(Adam::new(1e-3f32).unwrap().with_betas(0.5, 0.99).is_ok());
    /// assert_eq!(Adam::new(1e-3f32).unwrap().with_betas(1.0, 0.99).unwrap_err().name, "beta1");
    /// ```
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Result<Self, InvalidHyperParameter> {
        let in_range = |beta: f64| (0.0..1.0).contains(&beta);
        check("beta1", beta1, in_range(beta1), "a number in [0, 1)")?;
        check("beta2", beta2, in_range(beta2), "a number in [0, 1)")?;
        Ok(Self {
            beta1,
            beta2,
            ..self
        })
    }

    /// The same optimizer with ε, finite and greater than 0, added to the denominator.
    ///
    /// ```
    /// use typenet_core::optim::Adam;
    /// assert!(Adam::new(1e-3f32).unwrap().with_eps(1e-6).is_ok());
    /// assert!(Adam::new(1e-3f32).unwrap().with_eps(0.0).is_err());
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

    /// The same optimizer with weight decay: λp (L2) or λ·sign(p) (L1) is added to the
    /// gradient before the moments see it, as Adam's `weight_decay` does in PyTorch (for
    /// decoupled decay, use [`AdamW`](crate::optim::AdamW)).
    ///
    /// ```
    /// use typenet_core::optim::{Adam, WeightDecay};
    /// let adam = Adam::new(1e-3f32).unwrap().with_weight_decay(WeightDecay::new(1e-4).unwrap());
    /// # let _ = adam;
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self { decay, ..self }
    }

    /// The number of steps taken so far (t after the last step).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The scalars of step `t`, each computed as PyTorch computes it and rounded to `T` once.
    fn coefficients(&self, t: u64) -> Coefficients<T> {
        // Python floats: f64. `beta ** step` is the C library's pow; t is exact in f64.
        let (beta1, beta2) = (self.beta1, self.beta2);
        let bias_correction1 = 1.0 - powf(beta1, t as f64);
        let bias_correction2 = 1.0 - powf(beta2, t as f64);
        let step_size = self.lr.to_f64() / bias_correction1;
        // math.sqrt: correctly rounded, as `sqrt` is on every platform.
        let bias_correction2_sqrt = <f64 as Scalar>::sqrt(bias_correction2);
        // lerp_'s weight, rounded to T; PyTorch then picks its formula by the weight's size.
        let weight = T::from_f64(1.0 - beta1);
        Coefficients {
            weight,
            small_weight: weight < T::from_f64(0.5),
            one_minus_weight: T::ONE - weight,
            beta2: T::from_f64(self.beta2),
            one_minus_beta2: T::from_f64(1.0 - beta2),
            bias_correction2_sqrt: T::from_f64(bias_correction2_sqrt),
            eps: self.eps,
            neg_step_size: T::from_f64(-step_size),
        }
    }
}

/// The scalars of one step, in `T`.
struct Coefficients<T> {
    /// 1 − β₁, the weight of `m.lerp_(g, 1 − β₁)`.
    weight: T,
    /// Whether that weight is below 0.5, which selects lerp's formula.
    small_weight: bool,
    /// 1 − weight, computed in `T` as lerp does.
    one_minus_weight: T,
    beta2: T,
    one_minus_beta2: T,
    bias_correction2_sqrt: T,
    eps: T,
    /// −lr/(1 − β₁ᵗ), the `value` of `addcdiv_`.
    neg_step_size: T,
}

impl<T: Scalar> Coefficients<T> {
    /// One pass over matching slices of parameters, gradients and moments, with `decay`.
    /// Every branch tests a value fixed for the whole pass, so the compiler hoists it out of
    /// the loop and the loop itself vectorizes.
    #[inline]
    fn update(&self, p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], decay: TensorDecay<T>) {
        let k = self;
        let moments = m.iter_mut().zip(v.iter_mut());
        for ((p, &g), (m, v)) in p.iter_mut().zip(g).zip(moments) {
            // grad.add(param, alpha=λ): g + λ·p (L2), or g + λ·sign(p) (L1)
            let g = decay.apply(g, *p);
            // exp_avg.lerp_(grad, w): m + w·(g − m) for w < 0.5, else g − (g − m)·(1 − w)
            *m = if k.small_weight {
                *m + k.weight * (g - *m)
            } else {
                g - (g - *m) * k.one_minus_weight
            };
            // exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value=1 − β₂): β₂·v, then + ((1 − β₂)·g)·g
            *v = k.beta2 * *v + k.one_minus_beta2 * g * g;
            // denom = (exp_avg_sq.sqrt() / √(1 − β₂ᵗ)).add_(ε)
            let denom = v.sqrt() / k.bias_correction2_sqrt + k.eps;
            // param.addcdiv_(exp_avg, denom, value=−step_size): p + (value·m)/denom
            *p += k.neg_step_size * *m / denom;
        }
    }
}

/// `base` to the power `exp` in `f64`, as Python's `**` computes it for floats.
fn powf(base: f64, exp: f64) -> f64 {
    // The platform's libm where there is one (CPython calls it too); `libm` serves `no_std`.
    #[cfg(feature = "std")]
    return base.powf(exp);
    #[cfg(not(feature = "std"))]
    return libm::pow(base, exp);
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    /// The moments m and v, one value of each per parameter.
    type State<P: Tensors<T>> = AdamState<P, T>;
    const STATE_TENSORS: &'static [StateTensor] = &[
        StateTensor::new("exp_avg"),
        StateTensor::non_negative("exp_avg_sq"),
    ];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, state: &mut AdamState<P, T>) {
        self.steps = self.steps.saturating_add(1);
        let k = self.coefficients(self.steps);
        let (p, g) = (params.as_flat_mut(), grads.as_flat());
        let (m, v) = (state.m.as_flat_mut(), state.v.as_flat_mut());
        if self.decay.is_none() {
            // The common case: one pass over the whole block.
            k.update(p, g, m, v, TensorDecay::NONE);
            return;
        }
        P::visit_tensors(&mut |t| {
            let (r, decay) = (t.range(), self.decay.for_tensor(t.role));
            let (p, g) = (&mut p[r.clone()], &g[r.clone()]);
            k.update(p, g, &mut m[r.clone()], &mut v[r], decay);
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

/// A checkpoint keeps the learning rate (`lr`) and the step count t (`step`), as PyTorch's
/// state does.
impl<T: Scalar> Resume for Adam<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        visit(Key::new("lr"), self.lr.to_number());
        visit(Key::new("step"), Number::Integer(self.steps));
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.segments() {
            ["lr"] => self.set_lr(crate::io::scalar("learning rate", value)?),
            ["step"] => {
                self.steps = crate::io::count("step", value)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::layers::DenseParams;
    use core::mem::size_of;
    use std::string::ToString;

    /// Adam with hyper-parameters that are powers of two or sums of them, so that the first
    /// step is exact.
    fn exact() -> Adam<f64> {
        Adam::new(0.25)
            .unwrap()
            .with_betas(0.5, 0.75)
            .unwrap()
            .with_eps(2.0)
            .unwrap()
    }

    #[test]
    fn first_step_by_hand() {
        let mut adam = exact();
        let mut state = AdamState::<[f64; 3], f64>::zeroed();
        let mut p = [1.0, 1.0, 1.0];
        adam.step(&mut p, &[2.0, -6.0, 0.0], &mut state);
        // m = 0 + 0.5·(g − 0) = [1, −3, 0]; v = 0.75·0 + (0.25·g)·g = [1, 9, 0]
        assert_eq!(state.m, [1.0, -3.0, 0.0]);
        assert_eq!(state.v, [1.0, 9.0, 0.0]);
        // step size 0.25/(1 − 0.5) = 0.5; denominator √v/√(1 − 0.75) + 2 = [4, 8, 2]
        // p + (−0.5·m)/denominator = [1 − 0.125, 1 + 0.1875, 1]
        assert_eq!(p, [0.875, 1.1875, 1.0]);
        assert_eq!(adam.steps(), 1);
    }

    #[test]
    fn second_step_matches_the_textbook_formula() {
        let mut adam = exact();
        let mut state = AdamState::<[f64; 2], f64>::zeroed();
        let mut p = [1.0, 1.0];
        adam.step(&mut p, &[2.0, -6.0], &mut state);
        adam.step(&mut p, &[1.0, 3.0], &mut state);
        // m = 0.5·[1, −3] + 0.5·[1, 3] = [1, 0]; v = 0.75·[1, 9] + 0.25·[1, 9] = [1, 9]
        assert_eq!(state.m, [1.0, 0.0]);
        assert_eq!(state.v, [1.0, 9.0]);
        // m̂ = m/(1 − 0.5²), v̂ = v/(1 − 0.75²); p = p − 0.25·m̂/(√v̂ + 2)
        let (m_hat, v_hat) = (1.0 / 0.75, 1.0 / 0.4375);
        let expected = 0.875 - 0.25 * m_hat / (f64::sqrt(v_hat) + 2.0);
        assert!(
            (p[0] - expected).abs() < 1e-15,
            "{} against {expected}",
            p[0]
        );
        assert_eq!(p[1], 1.1875);
    }

    #[test]
    fn matches_pytorch_in_f32() {
        // torch 2.15.0 on the CPU, float32, hyper-parameters given as the values typenet
        // uses: lr, eps and λ rounded to f32 (they are `T`), the betas as Python floats (they
        // are f64 in typenet too):
        //   p = torch.tensor([0.5, -1.25, 2.0], requires_grad=True)
        //   opt = torch.optim.Adam([p], lr=f32(0.01), betas=(β₁, 0.999),
        //                          eps=f32(1e-8), weight_decay=f32(0.01), foreach=False)
        //   for g in G: p.grad = torch.tensor(g); opt.step(); print(p.tolist())
        // with β₁ = 0.9, then 0.25 (whose lerp weight 0.75 takes lerp's other formula). Here
        // all 18 values agree to the bit, which a change in the order of operations would
        // likely break. PyTorch fuses the multiply-adds of its moment updates and typenet does
        // not, so other inputs may differ in the last bit.
        let grads = [[0.3f32, -0.7, 1.1], [-0.2, 0.4, 0.9], [0.05, -0.6, -1.3]];
        let decay = WeightDecay::new(0.01f32).unwrap();
        let expected_09 = [
            [0.49, -1.24, 1.99],
            [0.48836756, -1.2376721, 1.9800987],
            [0.4861617, -1.232385, 1.9785953],
        ];
        let expected_025 = [
            [0.49, -1.24, 1.99],
            [0.4937142, -1.2429223, 1.980633],
            [0.4928049, -1.2356498, 1.987322],
        ];
        for (beta1, expected) in [(0.9, expected_09), (0.25, expected_025)] {
            let mut adam = Adam::new(0.01f32)
                .unwrap()
                .with_betas(beta1, 0.999)
                .unwrap()
                .with_weight_decay(decay);
            let mut state = Flat::zeroed();
            let mut p = [0.5f32, -1.25, 2.0];
            for (g, e) in grads.iter().zip(&expected) {
                adam.step(&mut p, g, &mut state);
                assert_eq!(&p, e, "β₁ {beta1}");
            }
        }
    }

    #[test]
    fn bias_correction_makes_the_first_step_about_lr() {
        let mut adam = Adam::new(0.01f64).unwrap();
        let mut state = Flat::zeroed();
        let mut p = [0.0; 3];
        let g = [1e-3, -1.0, 1e3];
        adam.step(&mut p, &g, &mut state);
        // m̂ = g and v̂ = g², so each parameter moves by lr·|g|/(|g| + ε), about lr.
        for (&p, &g) in p.iter().zip(&g) {
            let expected = -0.01 * g / (g.abs() + 1e-8);
            assert!((p - expected).abs() < 1e-17, "{p} against {expected}");
            assert!((p.abs() - 0.01).abs() < 1e-7);
        }
    }

    #[test]
    fn weight_decay_skips_biases_unless_asked() {
        type Params = DenseParams<U1, U1, f64>;
        let decay = WeightDecay::new(0.5f64).unwrap();
        let grads = Params::zeroed();
        let start = |p: &mut Params| p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        let (mut p, mut state) = (Params::zeroed(), Flat::zeroed());
        start(&mut p);
        let mut adam = exact().with_weight_decay(decay);
        adam.step(&mut p, &grads, &mut state);
        // weight: g = 0 + 0.5·2 = 1, m = 0.5, v = 0.25; p = 2 + (−0.5·0.5)/(0.5/0.5 + 2).
        // The bias has no gradient and no decay: m = v = 0, and it does not move.
        let state: &AdamState<Params, f64> = &state;
        assert_eq!(
            (state.m.as_flat(), state.v.as_flat()),
            (&[0.5, 0.0][..], &[0.25, 0.0][..])
        );
        assert_eq!(p.as_flat(), &[2.0 - 0.25 / 3.0, 2.0]);

        let (mut p, mut state) = (Params::zeroed(), Flat::zeroed());
        start(&mut p);
        let mut adam = exact().with_weight_decay(decay.on_all_parameters());
        adam.step(&mut p, &grads, &mut state);
        assert_eq!(p.as_flat(), &[2.0 - 0.25 / 3.0; 2]);
    }

    #[test]
    fn the_loss_goes_down_on_a_quadratic() {
        // L = Σ cᵢ·(pᵢ − tᵢ)², dL/dpᵢ = 2cᵢ·(pᵢ − tᵢ): an ill-conditioned bowl.
        let (c, t) = ([1.0f32, 100.0, 0.01], [1.0f32, -2.0, 3.0]);
        let loss = |p: &[f32; 3]| (0..3).map(|i| c[i] * (p[i] - t[i]).powi(2)).sum::<f32>();
        let mut adam = Adam::new(0.05f32).unwrap();
        let (mut p, mut state) = ([0.0f32; 3], Flat::zeroed());
        let start = loss(&p);
        for _ in 0..1000 {
            let g: [f32; 3] = core::array::from_fn(|i| 2.0 * c[i] * (p[i] - t[i]));
            adam.step(&mut p, &g, &mut state);
        }
        assert!(loss(&p) < 1e-3 * start, "{} → {}", start, loss(&p));
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        for lr in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
            assert_eq!(Adam::new(lr).unwrap_err().name, "learning rate");
        }
        let adam = Adam::new(1e-3f64).unwrap();
        for beta in [1.0, -0.1, 2.0, f64::NAN, f64::NEG_INFINITY] {
            let err = adam.clone().with_betas(beta, 0.999).unwrap_err();
            assert_eq!((err.name, err.expected), ("beta1", "a number in [0, 1)"));
            let err = adam.clone().with_betas(0.9, beta).unwrap_err();
            assert_eq!(err.name, "beta2");
        }
        for eps in [0.0, -1e-8, f64::NAN, f64::INFINITY] {
            assert_eq!(adam.clone().with_eps(eps).unwrap_err().name, "eps");
        }
        assert_eq!(
            adam.clone().with_betas(0.9, 1.0).unwrap_err().to_string(),
            "invalid beta2: 1 (expected a number in [0, 1))"
        );
        // Zero is a valid β (no averaging).
        assert!(adam.with_betas(0.0, 0.0).is_ok());

        let mut adam = Adam::new(1e-3f32).unwrap();
        assert_eq!(adam.set_lr(f32::NAN).unwrap_err().name, "learning rate");
        assert_eq!(adam.lr(), 1e-3);
        adam.set_lr(1e-4).unwrap();
        assert_eq!(adam.lr(), 1e-4);
    }

    #[test]
    fn the_state_is_two_copies_of_the_parameters() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <Adam<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), 2 * size_of::<Params>());
        assert_eq!(<State as Flat<f32>>::LEN, 2 * (3 * 2 + 2));
    }
}
