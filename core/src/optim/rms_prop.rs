//! RMSprop: PyTorch's `torch.optim.RMSprop`, each step divided by a running root mean square
//! of the gradients, with its options momentum and centered.

use super::{tensor_passes, Base, Lerp, Optimizer, StateTensor, TensorDecay, WeightDecay};
use crate::error::{InvalidHyperParameter, Number};
use crate::flat::Flat;
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use crate::validate::{self, check};
use core::marker::PhantomData;

/// RMSprop, like `torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum,
/// centered)`. Its state is one copy of the parameters: the running mean of the squared
/// gradients r (`square_avg` in PyTorch), zero at the start; momentum and centering each add
/// one (see [Options](RmsProp#options)).
///
/// Each step, on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// g ← g + λp, or g + λ·sign(p)     (weight decay L2 or L1, on the tensors its scope covers)
/// r ← αr + (1 − α)g²
/// p ← p − lr·g / (√r + ε)
/// ```
///
/// The defaults are PyTorch's: α = 0.99, ε = 10⁻⁸, no weight decay, no momentum, not
/// centered. There is no bias correction, so the first steps are large: r starts at 0, and
/// the first step moves each parameter by about lr/√(1 − α) = 10·lr.
///
/// # Options
/// [`centered`](RmsProp::centered) divides by an estimate of the gradients' standard
/// deviation instead of their root mean square, keeping their running mean ḡ (`grad_avg`);
/// [`with_momentum(μ)`](RmsProp::with_momentum) accumulates the normalized steps in a buffer
/// b (`momentum_buffer`, zero at the start) and moves p by it:
///
/// ```text
/// ḡ ← ḡ + (1 − α)(g − ḡ)           (centered: ḡ.lerp_(g, 1 − α), after r's update)
/// d ← √(r − ḡ²) + ε                (centered; else √r + ε)
/// b ← μb + g/d, p ← p − lr·b       (with momentum; else p ← p − lr·g/d)
/// ```
///
/// Each option is a type parameter, as each adds a copy of the parameters to the state's
/// type: `M` is [`NoMomentum`] or [`WithMomentum`], `C` is [`Uncentered`] or [`Centered`].
/// Without either the state is the parameters' own type `P`; with one or both, an
/// [`RmsPropState`] holding only the copies they use.
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
/// # Rounding
/// α and μ are kept in `f64`, as PyTorch keeps them in Python floats: 1 − α is computed in
/// `f64` and rounded to `T` once, and α and μ themselves are rounded to `T` for the
/// multiplications, as PyTorch's `mul_(alpha)` and `mul_(momentum)` do; ḡ's update is
/// `lerp_`'s formula. lr, ε and λ are `T` values. The multiply-adds are not fused. Measured
/// against torch 2.15's 5-step trajectories (tests/optimizer_parity.rs), with and without
/// weight decay: within 4.3·10⁻⁷ relative in `f32` and 6.2·10⁻¹⁶ in `f64`; with momentum
/// within 4.3·10⁻⁷ and 9.8·10⁻¹⁶, centered within 4.3·10⁻⁷ and 5.5·10⁻¹⁶, with both within
/// 1.3·10⁻⁶ and 8.6·10⁻¹⁶.
///
/// # Type parameters
/// `T` scalar (`f32` by default); `M` and `C` the options above, off by default.
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
pub struct RmsProp<T = f32, M = NoMomentum, C = Uncentered> {
    /// lr and the weight decay.
    base: Base<T>,
    // Kept in f64, as PyTorch keeps it in a Python float (see Adam's betas).
    alpha: f64,
    eps: T,
    /// μ, in f64 as alpha; 0 without momentum.
    momentum: f64,
    options: PhantomData<(M, C)>,
}

crate::flat_struct! { @core
    /// The state of an [`RmsProp`] with momentum or centered (or both) for parameters of
    /// type `P`, zero at the start: r, and the buffer `B` and the mean gradient `A`, each
    /// either `P` or the empty `[T; 0]` when its option is off.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, RmsProp, RmsPropState};
    /// use typenet_core::Flat;
    /// let mut opt = RmsProp::new(0.5).unwrap().with_alpha(0.75).unwrap().centered();
    /// let mut state: RmsPropState<[f64; 1], f64, [f64; 0], [f64; 1]> = Flat::zeroed();
    /// opt.step(&mut [0.0], &[2.0], &mut state);
    /// assert_eq!((state.square_avg, state.grad_avg), ([1.0], [0.5])); // 0.25·g², 0.25·g
    /// assert_eq!(size_of_val(&state), 2 * size_of::<f64>()); // no buffer
    /// ```
    pub struct RmsPropState[P, T = f32, B = P, A = P][T: Scalar, P: Flat<T>, B: Flat<T>, A: Flat<T>][P, T, B, A] (T, ()) {
        /// r, the running mean of the squared gradients (`square_avg` in PyTorch).
        pub square_avg: P,
        /// b, the momentum buffer (`momentum_buffer` in PyTorch), or nothing.
        pub momentum_buffer: B,
        /// ḡ, the running mean of the gradients (`grad_avg` in PyTorch), or nothing.
        pub grad_avg: A,
    }
}

/// [`RmsProp`] without momentum, the default: p moves by −lr·g/d.
///
/// ```
/// use typenet_core::optim::{NoMomentum, RmsProp, Uncentered};
/// let opt: RmsProp<f32, NoMomentum, Uncentered> = RmsProp::new(1e-3).unwrap();
/// # let _ = opt;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoMomentum;

/// [`RmsProp`] with momentum ([`RmsProp::with_momentum`]): the normalized steps accumulate
/// in a buffer.
///
/// ```
/// use typenet_core::optim::{RmsProp, Uncentered, WithMomentum};
/// let opt: RmsProp<f32, WithMomentum, Uncentered> = RmsProp::new(1e-3).unwrap().with_momentum(0.9)?;
/// # let _ = opt;
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithMomentum;

/// [`RmsProp`] not centered, the default: the step divides by √r + ε.
///
/// ```
/// use typenet_core::optim::{RmsProp, Uncentered};
/// let opt: RmsProp<f32, _, Uncentered> = RmsProp::new(1e-3).unwrap();
/// # let _ = opt;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uncentered;

/// [`RmsProp`] centered ([`RmsProp::centered`]): the step divides by √(r − ḡ²) + ε.
///
/// ```
/// use typenet_core::optim::{Centered, RmsProp};
/// let opt: RmsProp<f32, _, Centered> = RmsProp::new(1e-3).unwrap().centered();
/// # let _ = opt;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Centered;

mod sealed {
    pub trait Sealed {}
    impl<M: Options, C: Options> Sealed for (M, C) {}
    /// The markers.
    pub trait Options {}
    impl Options for super::NoMomentum {}
    impl Options for super::WithMomentum {}
    impl Options for super::Uncentered {}
    impl Options for super::Centered {}
}

/// The options of an [`RmsProp`], its momentum `M` and centering `C` as the pair `(M, C)`,
/// and so what its state holds: implemented for the four pairs of [`NoMomentum`] or
/// [`WithMomentum`] with [`Uncentered`] or [`Centered`] only.
///
/// ```
/// use typenet_core::optim::{Centered, NoMomentum, RmsPropOptions, WithMomentum};
/// let names: Vec<_> = <(WithMomentum, Centered) as RmsPropOptions<f32>>::STATE_TENSORS
///     .iter()
///     .map(|s| s.name)
///     .collect();
/// assert_eq!(names, ["square_avg", "momentum_buffer", "grad_avg"]);
/// assert_eq!(<(NoMomentum, Centered) as RmsPropOptions<f32>>::STATE_TENSORS.len(), 2);
/// ```
pub trait RmsPropOptions<T: Scalar>: sealed::Sealed {
    /// The state for parameters of type `P`.
    type State<P: Tensors<T>>: Flat<T>;
    /// Its tensors, as [`Optimizer::STATE_TENSORS`] lists them, in PyTorch's order.
    const STATE_TENSORS: &'static [StateTensor];
    /// r, and the buffer and mean gradient if kept, as slices.
    #[doc(hidden)]
    fn buffers<P: Tensors<T>>(
        state: &mut Self::State<P>,
    ) -> (&mut [T], Option<&mut [T]>, Option<&mut [T]>);
}

const SQUARE_AVG: StateTensor = StateTensor::non_negative("square_avg");
const MOMENTUM_BUFFER: StateTensor = StateTensor::new("momentum_buffer");
const GRAD_AVG: StateTensor = StateTensor::new("grad_avg");

impl<T: Scalar> RmsPropOptions<T> for (NoMomentum, Uncentered) {
    type State<P: Tensors<T>> = P;
    const STATE_TENSORS: &'static [StateTensor] = &[SQUARE_AVG];

    fn buffers<P: Tensors<T>>(state: &mut P) -> (&mut [T], Option<&mut [T]>, Option<&mut [T]>) {
        (state.as_flat_mut(), None, None)
    }
}

impl<T: Scalar> RmsPropOptions<T> for (WithMomentum, Uncentered) {
    type State<P: Tensors<T>> = RmsPropState<P, T, P, [T; 0]>;
    const STATE_TENSORS: &'static [StateTensor] = &[SQUARE_AVG, MOMENTUM_BUFFER];

    fn buffers<P: Tensors<T>>(
        state: &mut Self::State<P>,
    ) -> (&mut [T], Option<&mut [T]>, Option<&mut [T]>) {
        let b = state.momentum_buffer.as_flat_mut();
        (state.square_avg.as_flat_mut(), Some(b), None)
    }
}

impl<T: Scalar> RmsPropOptions<T> for (NoMomentum, Centered) {
    type State<P: Tensors<T>> = RmsPropState<P, T, [T; 0], P>;
    const STATE_TENSORS: &'static [StateTensor] = &[SQUARE_AVG, GRAD_AVG];

    fn buffers<P: Tensors<T>>(
        state: &mut Self::State<P>,
    ) -> (&mut [T], Option<&mut [T]>, Option<&mut [T]>) {
        let a = state.grad_avg.as_flat_mut();
        (state.square_avg.as_flat_mut(), None, Some(a))
    }
}

impl<T: Scalar> RmsPropOptions<T> for (WithMomentum, Centered) {
    type State<P: Tensors<T>> = RmsPropState<P, T>;
    const STATE_TENSORS: &'static [StateTensor] = &[SQUARE_AVG, MOMENTUM_BUFFER, GRAD_AVG];

    fn buffers<P: Tensors<T>>(
        state: &mut Self::State<P>,
    ) -> (&mut [T], Option<&mut [T]>, Option<&mut [T]>) {
        let (b, a) = (
            state.momentum_buffer.as_flat_mut(),
            state.grad_avg.as_flat_mut(),
        );
        (state.square_avg.as_flat_mut(), Some(b), Some(a))
    }
}

impl<T: Scalar> RmsProp<T> {
    /// RMSprop with learning rate `lr` (finite, greater than 0) and PyTorch's defaults:
    /// α = 0.99, ε = 10⁻⁸, no weight decay, no momentum, not centered.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, RmsProp};
    /// assert_eq!(RmsProp::new(1e-3f32).unwrap().lr(), 1e-3);
    /// assert_eq!(RmsProp::new(-1e-3f32).unwrap_err().name, "learning rate");
    /// ```
    pub fn new(lr: T) -> Result<Self, InvalidHyperParameter> {
        Ok(Self {
            base: Base::new(lr)?,
            alpha: 0.99,
            eps: T::from_f64(1e-8),
            momentum: 0.0,
            options: PhantomData,
        })
    }
}

impl<T: Scalar, C> RmsProp<T, NoMomentum, C> {
    /// The same optimizer with momentum μ in (0, 1) (PyTorch's `momentum`): the normalized
    /// steps g/d accumulate in a buffer b ← μb + g/d, which the state then holds, and p
    /// moves by −lr·b. μ = 0 is no momentum (leave this out); from 1 up the buffer would
    /// never forget.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, RmsProp, RmsPropState};
    /// use typenet_core::Flat;
    /// let mut opt = RmsProp::new(0.5).unwrap().with_alpha(0.75)?.with_eps(1.0)?.with_momentum(0.5)?;
    /// let mut state: RmsPropState<[f64; 1], f64, [f64; 1], [f64; 0]> = Flat::zeroed();
    /// let mut p = [0.0];
    /// opt.step(&mut p, &[2.0], &mut state); // r = 1, d = √1 + 1 = 2, b = 2/2
    /// opt.step(&mut p, &[2.0], &mut state); // r = 1.75, b = 0.5·1 + 2/(√1.75 + 1)
    /// assert_eq!(state.momentum_buffer[0], 0.5 + 2.0 / (1.75f64.sqrt() + 1.0));
    /// assert_eq!(RmsProp::new(0.5f32).unwrap().with_momentum(1.0).unwrap_err().name, "momentum");
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn with_momentum(
        self,
        momentum: f64,
    ) -> Result<RmsProp<T, WithMomentum, C>, InvalidHyperParameter> {
        check(
            "momentum",
            momentum,
            momentum > 0.0 && momentum < 1.0,
            "a number in (0, 1)",
        )?;
        Ok(RmsProp {
            base: self.base,
            alpha: self.alpha,
            eps: self.eps,
            momentum,
            options: PhantomData,
        })
    }
}

impl<T: Scalar, M> RmsProp<T, M, Uncentered> {
    /// The same optimizer centered (PyTorch's `centered=True`): it keeps the running mean of
    /// the gradients ḡ (updated as r, with weight 1 − α), which the state then holds, and
    /// divides by √(r − ḡ²) + ε, an estimate of the gradients' standard deviation.
    ///
    /// ```
    /// use typenet_core::optim::{Optimizer, RmsProp, RmsPropState};
    /// use typenet_core::Flat;
    /// let mut opt = RmsProp::new(0.5).unwrap().with_alpha(0.75)?.with_eps(1.0)?.centered();
    /// let mut state: RmsPropState<[f64; 1], f64, [f64; 0], [f64; 1]> = Flat::zeroed();
    /// let mut p = [0.0];
    /// opt.step(&mut p, &[4.0], &mut state);
    /// // r = 0.25·16 = 4, ḡ = 0.25·4 = 1; p − 0.5·4/(√(4 − 1) + 1)
    /// assert_eq!((state.square_avg, state.grad_avg), ([4.0], [1.0]));
    /// assert_eq!(p, [-2.0 / (3f64.sqrt() + 1.0)]);
    /// # Ok::<(), typenet_core::InvalidHyperParameter>(())
    /// ```
    pub fn centered(self) -> RmsProp<T, M, Centered> {
        RmsProp {
            base: self.base,
            alpha: self.alpha,
            eps: self.eps,
            momentum: self.momentum,
            options: PhantomData,
        }
    }
}

impl<T: Scalar, M, C> RmsProp<T, M, C> {
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
        validate::finite_positive("eps", eps)?;
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
        Self {
            base: self.base.with_decay(decay),
            ..self
        }
    }

    /// The scalars of a step, each rounded to `T` as PyTorch's tensor ops round them.
    fn coefficients(&self) -> Coefficients<T> {
        Coefficients {
            alpha: T::from_f64(self.alpha),
            // Python floats: 1 − α in f64, then rounded to T by the tensor op.
            one_minus_alpha: T::from_f64(1.0 - self.alpha),
            grad_avg_weight: Lerp::new(1.0 - self.alpha),
            eps: self.eps,
            neg_lr: -self.base.lr(),
            momentum: T::from_f64(self.momentum),
        }
    }
}

/// The scalars of one step, in `T`.
#[derive(Clone, Copy)]
struct Coefficients<T> {
    alpha: T,
    one_minus_alpha: T,
    /// `grad_avg.lerp_(grad, 1 − α)`'s weight.
    grad_avg_weight: Lerp<T>,
    eps: T,
    neg_lr: T,
    momentum: T,
}

impl<T: Scalar> Coefficients<T> {
    /// One parameter's update, in PyTorch's order; `b` is the momentum buffer and `a` the
    /// mean gradient, if kept.
    #[inline(always)]
    fn update(
        &self,
        p: &mut T,
        g: T,
        r: &mut T,
        b: Option<&mut T>,
        a: Option<&mut T>,
        decay: TensorDecay<T>,
    ) {
        let k = self;
        // grad.add(param, alpha=λ): g + λ·p (L2), or g + λ·sign(p) (L1)
        let g = decay.apply(g, *p);
        // square_avg.mul_(α).addcmul_(grad, grad, value=1 − α): α·r, then + ((1 − α)·g)·g
        *r = k.alpha * *r + k.one_minus_alpha * g * g;
        let root = match a {
            // grad_avg.lerp_(grad, 1 − α); square_avg.addcmul(grad_avg, grad_avg, value=−1).sqrt_()
            Some(a) => {
                *a = k.grad_avg_weight.apply(*a, g);
                (*r - *a * *a).sqrt()
            }
            // square_avg.sqrt()
            None => r.sqrt(),
        };
        // avg.add_(ε)
        let avg = root + k.eps;
        match b {
            // buf.mul_(μ).addcdiv_(grad, avg); param.add_(buf, alpha=−lr)
            Some(b) => {
                *b = k.momentum * *b + g / avg;
                *p += k.neg_lr * *b;
            }
            // param.addcdiv_(grad, avg, value=−lr): p + (−lr·g)/avg
            None => *p += k.neg_lr * g / avg,
        }
    }
}

crate::simd::dispatched! {
    /// One pass with the step's scalars `k` over matching slices of parameters, gradients
    /// and state, with `decay`. Every branch tests a value fixed for the whole pass, so the
    /// compiler hoists it out of the loop and the loop itself vectorizes.
    fn rms_prop_pass<T: Scalar>(
        k: &Coefficients<T>,
        p: &mut [T],
        g: &[T],
        r: &mut [T],
        b: Option<&mut [T]>,
        a: Option<&mut [T]>,
        decay: TensorDecay<T>,
    ) {
        let each = p.iter_mut().zip(g).zip(r.iter_mut());
        match (b, a) {
            (None, None) => {
                for ((p, &g), r) in each {
                    k.update(p, g, r, None, None, decay);
                }
            }
            (Some(b), None) => {
                for (((p, &g), r), b) in each.zip(b) {
                    k.update(p, g, r, Some(b), None, decay);
                }
            }
            (None, Some(a)) => {
                for (((p, &g), r), a) in each.zip(a) {
                    k.update(p, g, r, None, Some(a), decay);
                }
            }
            (Some(b), Some(a)) => {
                for ((((p, &g), r), b), a) in each.zip(b).zip(a) {
                    k.update(p, g, r, Some(b), Some(a), decay);
                }
            }
        }
    }
}

impl<T: Scalar, M, C> Optimizer<T> for RmsProp<T, M, C>
where
    (M, C): RmsPropOptions<T>,
{
    /// The running mean of the squared gradients r, one value per parameter; with momentum
    /// the buffer, centered the mean gradient.
    type State<P: Tensors<T>> = <(M, C) as RmsPropOptions<T>>::State<P>;
    const STATE_TENSORS: &'static [StateTensor] = <(M, C) as RmsPropOptions<T>>::STATE_TENSORS;

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, state: &mut Self::State<P>) {
        let k = self.coefficients();
        let (r, mut b, mut a) = <(M, C) as RmsPropOptions<T>>::buffers(state);
        tensor_passes(self.base.decay(), params, grads, |p, g, rg, decay| {
            let b = b.as_deref_mut().map(|b| &mut b[rg.clone()]);
            let a = a.as_deref_mut().map(|a| &mut a[rg.clone()]);
            rms_prop_pass(&k, p, g, &mut r[rg], b, a, decay);
        });
    }

    fn lr(&self) -> T {
        self.base.lr()
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        self.base.set_lr(lr)
    }
}

/// A checkpoint keeps the learning rate (`lr`). (The buffers start at zero, as PyTorch's
/// do, so no step count is needed.)
impl<T: Scalar, M, C> Resume for RmsProp<T, M, C>
where
    (M, C): RmsPropOptions<T>,
{
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
    fn both_copies_of_the_pass_agree() {
        let decay = |decayed| match decayed {
            true => WeightDecay::new(0.01f32).unwrap(),
            false => WeightDecay::NONE,
        };
        let plain = || RmsProp::new(0.1f32).unwrap();
        assert_copies_agree(|decayed| plain().with_weight_decay(decay(decayed)));
        assert_copies_agree(|decayed| plain().with_weight_decay(decay(decayed)).centered());
        let with_momentum = || plain().with_momentum(0.9).unwrap();
        assert_copies_agree(|decayed| with_momentum().with_weight_decay(decay(decayed)));
        assert_copies_agree(|decayed| with_momentum().with_weight_decay(decay(decayed)).centered());
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
        assert_descends_on_a_quadratic(RmsProp::new(0.01f32).unwrap(), [1.0, 100.0, 0.01], 1000);
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_learning_rate_is_checked(RmsProp::new);
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
    }

    #[test]
    fn the_state_is_one_copy_of_the_parameters() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <RmsProp<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), size_of::<Params>());
        assert_eq!(<State as Flat<f32>>::LEN, 3 * 2 + 2);
    }

    #[test]
    fn momentum_two_steps_by_hand() {
        let mut opt = exact().with_momentum(0.5).unwrap();
        let mut state = RmsPropState::<[f64; 3], f64, [f64; 3], [f64; 0]>::zeroed();
        let mut p = [1.0, 1.0, 1.0];
        opt.step(&mut p, &[2.0, -6.0, 0.0], &mut state);
        // r = [1, 9, 0]; d = √r + 1 = [2, 4, 1]; b = 0.5·0 + g/d; p − 0.5·b
        assert_eq!(state.square_avg, [1.0, 9.0, 0.0]);
        assert_eq!(state.momentum_buffer, [1.0, -1.5, 0.0]);
        assert_eq!(p, [0.5, 1.75, 1.0]);
        opt.step(&mut p, &[2.0, 6.0, 4.0], &mut state);
        // r = [1.75, 15.75, 4]; b = 0.5·b + g/(√r + 1)
        let b = [
            0.5 + 2.0 / (1.75f64.sqrt() + 1.0),
            -0.75 + 6.0 / (15.75f64.sqrt() + 1.0),
            4.0 / 3.0,
        ];
        let expected = [0.5 - 0.5 * b[0], 1.75 - 0.5 * b[1], 1.0 - 0.5 * b[2]];
        for i in 0..3 {
            assert!((state.momentum_buffer[i] - b[i]).abs() < 1e-15);
            assert!(
                (p[i] - expected[i]).abs() < 1e-15,
                "{p:?} against {expected:?}"
            );
        }
    }

    #[test]
    fn centered_divides_by_the_standard_deviation() {
        let mut opt = exact().centered();
        let mut state = RmsPropState::<[f64; 3], f64, [f64; 0], [f64; 3]>::zeroed();
        let mut p = [1.0, 1.0, 1.0];
        opt.step(&mut p, &[2.0, -6.0, 0.0], &mut state);
        // r = 0.25·g² = [1, 9, 0]; ḡ = 0 + 0.25·(g − 0) = [0.5, −1.5, 0]
        assert_eq!(state.square_avg, [1.0, 9.0, 0.0]);
        assert_eq!(state.grad_avg, [0.5, -1.5, 0.0]);
        // d = √(r − ḡ²) + 1 = [√0.75 + 1, √6.75 + 1, 1]; p − 0.5·g/d
        let expected = [
            1.0 - 1.0 / (0.75f64.sqrt() + 1.0),
            1.0 + 3.0 / (6.75f64.sqrt() + 1.0),
            1.0,
        ];
        assert_eq!(p, expected);
        // A weight 1 − α of 0.5 or more takes lerp's other formula, ḡ = g − (g − ḡ)·α: with
        // α = 0.25, r = 0.75·4 = 3 and ḡ = 2 − (2 − 0)·0.25 = 1.5.
        let mut opt = exact().with_alpha(0.25).unwrap().centered();
        let mut state = RmsPropState::<[f64; 1], f64, [f64; 0], [f64; 1]>::zeroed();
        opt.step(&mut [1.0], &[2.0], &mut state);
        assert_eq!((state.square_avg, state.grad_avg), ([3.0], [1.5]));
    }

    #[test]
    fn centered_with_momentum_one_step_by_hand() {
        let mut opt = exact().centered().with_momentum(0.5).unwrap();
        let mut state = RmsPropState::<[f64; 1], f64>::zeroed();
        let mut p = [1.0];
        opt.step(&mut p, &[4.0], &mut state);
        // r = 4, ḡ = 1, d = √3 + 1, b = 4/d, p = 1 − 0.5·b
        let b = 4.0 / (3f64.sqrt() + 1.0);
        assert_eq!((state.square_avg, state.grad_avg), ([4.0], [1.0]));
        assert_eq!(state.momentum_buffer, [b]);
        assert_eq!(p, [1.0 - 0.5 * b]);
    }

    #[test]
    fn rejects_every_invalid_momentum() {
        for momentum in [
            0.0,
            -0.1,
            1.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let err = exact().with_momentum(momentum).unwrap_err();
            assert_eq!((err.name, err.expected), ("momentum", "a number in (0, 1)"));
            assert!(exact().centered().with_momentum(momentum).is_err());
        }
        assert_eq!(
            exact().with_momentum(1.0).unwrap_err().to_string(),
            "invalid momentum: 1 (expected a number in (0, 1))"
        );
        assert!(exact().with_momentum(1e-9).is_ok());
    }

    #[test]
    fn the_options_keep_the_settings_and_grow_the_state_by_a_copy_each() {
        let decay = WeightDecay::l1(0.5).unwrap();
        let plain = exact().with_weight_decay(decay);
        let both = plain.centered().with_momentum(0.5).unwrap();
        assert_eq!(
            (both.base, both.alpha, both.eps, both.momentum),
            (Base::new(0.5).unwrap().with_decay(decay), 0.75, 1.0, 0.5)
        );
        assert_eq!(plain.with_momentum(0.5).unwrap().centered(), both);
        assert_eq!(both.with_alpha(2.0).unwrap_err().name, "alpha");

        type Params = DenseParams<U3, U2, f32>;
        type State<O> = <O as Optimizer<f32>>::State<Params>;
        let size = size_of::<Params>();
        assert_eq!(size_of::<State<RmsProp<f32, WithMomentum>>>(), 2 * size);
        assert_eq!(
            size_of::<State<RmsProp<f32, NoMomentum, Centered>>>(),
            2 * size
        );
        assert_eq!(
            size_of::<State<RmsProp<f32, WithMomentum, Centered>>>(),
            3 * size
        );
        let names =
            |tensors: &[StateTensor]| tensors.iter().map(|s| s.name).collect::<std::vec::Vec<_>>();
        assert_eq!(
            names(RmsProp::<f32, WithMomentum>::STATE_TENSORS),
            ["square_avg", "momentum_buffer"]
        );
        assert_eq!(
            names(RmsProp::<f32, NoMomentum, Centered>::STATE_TENSORS),
            ["square_avg", "grad_avg"]
        );
        assert_eq!(
            names(RmsProp::<f32, WithMomentum, Centered>::STATE_TENSORS),
            ["square_avg", "momentum_buffer", "grad_avg"]
        );
        assert_eq!(RmsProp::<f32>::STATE_TENSORS, [SQUARE_AVG]);
    }
}
