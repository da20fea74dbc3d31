//! Adagrad: PyTorch's `torch.optim.Adagrad`, each step divided by the root of the sum of all
//! squared gradients so far.

use super::{tensor_passes, Base, Optimizer, StateTensor, TensorDecay, WeightDecay};
use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use crate::validate;

/// Adagrad, like `torch.optim.Adagrad(params, lr, lr_decay, weight_decay,
/// initial_accumulator_value, eps)`. Its state is one copy of the parameters: the sum of
/// the squared gradients s (`sum` in PyTorch).
///
/// Step t (counting from 1), on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// g ← g + λp, or g + λ·sign(p)     (weight decay L2 or L1, on the tensors its scope covers)
/// s ← s₀ + g²                      (first step; s₀ is the initial accumulator value)
/// s ← s + g²                       (later steps)
/// p ← p − lr/(1 + (t − 1)·δ) · g / (√s + ε)
/// ```
///
/// The defaults are PyTorch's: lr decay δ = 0, s₀ = 0, ε = 10⁻¹⁰, no weight decay (PyTorch's
/// default lr is 10⁻², given here to [`new`](Adagrad::new)). ε is added outside the square
/// root, as PyTorch does; the course (after Goodfellow et al., algorithm 8.4) writes
/// −lr·g / (δ + √s), the same form with its own δ = 10⁻⁷.
///
/// # The first step and the state block
/// PyTorch fills `sum` with s₀ when it creates the optimizer. Here the state block is built
/// zeroed, by the caller, so the optimizer counts its steps and starts the sum from s₀ on
/// the first one, whatever the block holds. As for [`Momentum`](crate::optim::Momentum),
/// one `Adagrad` value therefore drives one network (one state block); it is deliberately
/// not `Copy`, so that a copy does not silently restart the count.
///
/// # Rounding
/// The step size lr/(1 + (t − 1)·δ) is computed in `f64`, as PyTorch computes it in Python
/// floats, and rounded to `T` once; lr, δ, s₀ and ε are `T` values. Measured against torch
/// 2.15's 5-step trajectories (tests/optimizer_parity.rs), with and without weight decay, s₀
/// and δ: within 3.7·10⁻⁷ relative in `f32` and 5.8·10⁻¹⁶ in `f64`.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::optim::{Adagrad, Optimizer};
/// let mut opt = Adagrad::new(0.5).unwrap();
/// let mut p = [1.0f64, 1.0];
/// let mut sum = [0.0; 2];
/// opt.step(&mut p, &[3.0, -4.0], &mut sum); // s = g²: each moves by about lr
/// assert_eq!(sum, [9.0, 16.0]);
/// assert!((p[0] - 0.5).abs() < 1e-9 && (p[1] - 1.5).abs() < 1e-9);
/// assert!(Adagrad::new(0.5f32).unwrap().with_initial_accumulator(-1.0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adagrad<T = f32> {
    /// lr, the weight decay and the step count t.
    base: Base<T>,
    lr_decay: T,
    initial_accumulator: T,
    eps: T,
}

impl<T: Scalar> Adagrad<T> {
    /// Adagrad with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// no lr decay, initial accumulator 0, ε = 10⁻¹⁰, no weight decay.
    ///
    /// ```
    /// use typenet_core::optim::{Adagrad, Optimizer};
    /// assert_eq!(Adagrad::new(1e-2f32).unwrap().lr(), 1e-2);
    /// assert_eq!(Adagrad::new(0.0f32).unwrap_err().name, "learning rate");
    /// ```
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            base: Base::counting_steps(lr)?,
            lr_decay: T::ZERO,
            initial_accumulator: T::ZERO,
            eps: T::from_f64(1e-10),
        })
    }

    /// The same optimizer with learning-rate decay δ, finite and at least 0: step t uses
    /// lr/(1 + (t − 1)·δ).
    ///
    /// ```
    /// use typenet_core::optim::Adagrad;
    /// assert!(Adagrad::new(1e-2f32).unwrap().with_lr_decay(1e-3).is_ok());
    /// assert_eq!(Adagrad::new(1e-2f32).unwrap().with_lr_decay(-1.0).unwrap_err().name, "lr decay");
    /// ```
    pub fn with_lr_decay(self, lr_decay: T) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("lr decay", lr_decay)?;
        Ok(Self { lr_decay, ..self })
    }

    /// The same optimizer with the sum of squares starting at s₀, finite and at least 0
    /// (PyTorch's `initial_accumulator_value`). A positive s₀ damps the first steps, which
    /// otherwise move every parameter by about lr whatever its gradient's size.
    ///
    /// ```
    /// use typenet_core::optim::{Adagrad, Optimizer};
    /// let mut opt = Adagrad::new(1.0f64).unwrap().with_initial_accumulator(16.0).unwrap();
    /// let (mut p, mut sum) = ([0.0], [0.0]);
    /// opt.step(&mut p, &[3.0], &mut sum);
    /// assert_eq!(sum, [25.0]); // 16 + 3²
    /// assert!((p[0] + 0.6).abs() < 1e-9); // −3/(√25 + ε)
    /// ```
    pub fn with_initial_accumulator(self, value: T) -> Result<Self, InvalidHyperParameter> {
        validate::finite_non_negative("initial accumulator value", value)?;
        Ok(Self {
            initial_accumulator: value,
            ..self
        })
    }

    /// The same optimizer with ε, finite and greater than 0, added to √s.
    ///
    /// ```
    /// use typenet_core::optim::Adagrad;
    /// assert!(Adagrad::new(1e-2f32).unwrap().with_eps(1e-8).is_ok());
    /// assert!(Adagrad::new(1e-2f32).unwrap().with_eps(-1e-8).is_err());
    /// ```
    pub fn with_eps(self, eps: T) -> Result<Self, InvalidHyperParameter> {
        validate::finite_positive("eps", eps)?;
        Ok(Self { eps, ..self })
    }

    /// The same optimizer with weight decay, L2 or L1: its gradient joins g before the sum
    /// sees it, as Adagrad's `weight_decay` does in PyTorch.
    ///
    /// ```
    /// use typenet_core::optim::{Adagrad, WeightDecay};
    /// let decay = WeightDecay::new(1e-4f32).unwrap().on_all_parameters();
    /// let opt = Adagrad::new(1e-2).unwrap().with_weight_decay(decay);
    /// # let _ = opt;
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self {
            base: self.base.with_decay(decay),
            ..self
        }
    }

    /// The number of steps taken so far (t after the last step).
    ///
    /// ```
    /// use typenet_core::optim::{Adagrad, Optimizer};
    /// let mut opt = Adagrad::new(1e-2f32).unwrap();
    /// opt.step(&mut [0.0f32], &[1.0], &mut [0.0]);
    /// assert_eq!(opt.steps(), 1);
    /// ```
    pub fn steps(&self) -> u64 {
        self.base.steps()
    }
}

crate::simd::dispatched! {
    /// One pass of `opt` over matching slices of parameters, gradients and sums, with
    /// `decay`, for step `t`. Every branch tests a value fixed for the whole pass, so the
    /// compiler hoists it out of the loop and the loop itself vectorizes.
    fn adagrad_pass<T: Scalar>(
        opt: &Adagrad<T>,
        t: u64,
        p: &mut [T],
        g: &[T],
        s: &mut [T],
        decay: TensorDecay<T>,
    ) {
        let first = t == 1;
        // clr = lr / (1 + (step − 1)·lr_decay), in Python floats; addcdiv_'s value is −clr.
        let clr = opt.base.lr().to_f64() / (1.0 + (t - 1) as f64 * opt.lr_decay.to_f64());
        let (neg_clr, eps, s0) = (T::from_f64(-clr), opt.eps, opt.initial_accumulator);
        for ((p, &g), s) in p.iter_mut().zip(g).zip(s.iter_mut()) {
            // grad.add(param, alpha=λ): g + λ·p (L2), or g + λ·sign(p) (L1)
            let g = decay.apply(g, *p);
            // state_sum.addcmul_(grad, grad, value=1), the sum starting from full_like(p, s₀)
            let before = if first { s0 } else { *s };
            *s = before + g * g;
            // std = state_sum.sqrt().add_(ε)
            let std = s.sqrt() + eps;
            // param.addcdiv_(grad, std, value=−clr): p + (−clr·g)/std
            *p += neg_clr * g / std;
        }
    }
}

impl<T: Scalar> Optimizer<T> for Adagrad<T> {
    /// The sum of the squared gradients s, one value per parameter.
    type State<P: Tensors<T>> = P;
    const STATE_TENSORS: &'static [StateTensor] = &[StateTensor::non_negative("sum")];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, sum: &mut P) {
        let t = self.base.next_step();
        let s = sum.as_flat_mut();
        tensor_passes(self.base.decay(), params, grads, |p, g, r, decay| {
            adagrad_pass(self, t, p, g, &mut s[r], decay);
        });
    }

    fn lr(&self) -> T {
        self.base.lr()
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        self.base.set_lr(lr)
    }
}

/// A checkpoint keeps the learning rate (`lr`) and the step count t (`step`), as PyTorch's
/// state does.
impl<T: Scalar> Resume for Adagrad<T> {
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
    use core::mem::size_of;
    use std::string::ToString;

    /// Adagrad whose first steps are exact: lr = 1, ε = 1.
    fn exact() -> Adagrad<f64> {
        Adagrad::new(1.0).unwrap().with_eps(1.0).unwrap()
    }

    #[test]
    fn both_copies_of_the_pass_agree() {
        assert_copies_agree(|decayed| {
            let opt = Adagrad::new(0.1f32).unwrap().with_lr_decay(0.01).unwrap();
            match decayed {
                true => opt.with_weight_decay(WeightDecay::new(0.01).unwrap()),
                false => opt.with_initial_accumulator(0.5).unwrap(),
            }
        });
    }

    #[test]
    fn two_steps_by_hand() {
        let mut opt = exact();
        let (mut p, mut s) = ([1.0, 1.0, 1.0], [0.0; 3]);
        opt.step(&mut p, &[3.0, -1.0, 0.0], &mut s);
        // s = g² = [9, 1, 0]; p − g/(√s + 1) = [1 − 3/4, 1 + 1/2, 1]
        assert_eq!(s, [9.0, 1.0, 0.0]);
        assert_eq!(p, [0.25, 1.5, 1.0]);
        opt.step(&mut p, &[4.0, 0.0, 1.0], &mut s);
        // s = s + g² = [25, 1, 1]; p − g/(√s + 1) = [0.25 − 4/6, 1.5, 1 − 1/2]
        assert_eq!(s, [25.0, 1.0, 1.0]);
        assert!((p[0] - (0.25 - 4.0 / 6.0)).abs() < 1e-15);
        assert_eq!(&p[1..], &[1.5, 0.5]);
        assert_eq!(opt.steps(), 2);
    }

    #[test]
    fn the_initial_accumulator_replaces_a_stale_state_on_the_first_step() {
        let mut opt = exact().with_initial_accumulator(15.0).unwrap();
        // The block should be zeroed; whatever it holds, the sum starts from s₀.
        let (mut p, mut s) = ([0.0], [100.0]);
        opt.step(&mut p, &[1.0], &mut s);
        // s = 15 + 1 = 16; p = −1/(4 + 1)
        assert_eq!((s, p), ([16.0], [-0.2]));
        opt.step(&mut p, &[3.0], &mut s);
        // s = 16 + 9 = 25, no second s₀; p = −0.2 − 3/(5 + 1)
        assert_eq!(s, [25.0]);
        assert!((p[0] + 0.7).abs() < 1e-15);
    }

    #[test]
    fn lr_decay_divides_step_t_by_one_plus_t_minus_one_times_delta() {
        let mut opt = exact().with_lr_decay(0.5).unwrap();
        let (mut p, mut s) = ([0.0], [0.0]);
        opt.step(&mut p, &[3.0], &mut s); // clr = 1: −3/(3 + 1)
        assert_eq!(p, [-0.75]);
        opt.step(&mut p, &[4.0], &mut s); // clr = 1/1.5; s = 25: −(4/1.5)/6
        assert!((p[0] - (-0.75 - 4.0 / 9.0)).abs() < 1e-15);
    }

    #[test]
    fn weight_decay_joins_the_gradient_before_the_sum() {
        type Params = DenseParams<U1, U1, f64>;
        let grads = Params::zeroed();
        for (decay, expected_s) in [
            (WeightDecay::l2(0.5).unwrap(), [1.0, 0.0]), // g = 0.5·2 on the weight only
            (
                WeightDecay::l1(0.5).unwrap().on_all_parameters(),
                [0.25, 0.25],
            ),
        ] {
            let (mut p, mut s) = (Params::zeroed(), Params::zeroed());
            p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
            let mut opt = exact().with_weight_decay(decay);
            opt.step(&mut p, &grads, &mut s);
            assert_eq!(s.as_flat(), &expected_s);
        }
    }

    #[test]
    fn the_loss_goes_down_on_a_quadratic() {
        assert_descends_on_a_quadratic(Adagrad::new(0.5f32).unwrap(), [1.0, 100.0, 0.01], 1000);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_learning_rate_is_checked(Adagrad::new);
        let opt = Adagrad::new(0.01f64).unwrap();
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let err = opt.clone().with_lr_decay(bad).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("lr decay", "a finite number at least 0")
            );
            let err = opt.clone().with_initial_accumulator(bad).unwrap_err();
            assert_eq!(err.name, "initial accumulator value");
            assert_eq!(opt.clone().with_eps(bad).unwrap_err().name, "eps");
        }
        assert_eq!(
            opt.clone().with_eps(0.0).unwrap_err().to_string(),
            "invalid eps: 0 (expected a finite number greater than 0)"
        );
        assert!(opt.clone().with_lr_decay(0.0).is_ok());
        assert!(opt.with_initial_accumulator(0.0).is_ok());
    }

    #[test]
    fn the_state_is_one_copy_of_the_parameters() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <Adagrad<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), size_of::<Params>());
        assert_eq!(<State as Flat<f32>>::LEN, 3 * 2 + 2);
    }
}
