//! SGD with momentum, dampening and optional Nesterov: PyTorch's `torch.optim.SGD` with its
//! `momentum` argument.

use super::sgd::sgd_pass;
use super::{tensor_passes, Base, Optimizer, StateTensor, TensorDecay, WeightDecay};
use crate::error::{InvalidHyperParameter, Number};
use crate::io::{Key, Resume};
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use crate::validate::{check, check_count};

/// SGD with momentum μ, like `torch.optim.SGD(params, lr, momentum, dampening, nesterov)`.
/// Its state is one copy of the parameters: the momentum buffer b.
///
/// Each step, on every parameter p with gradient g, in PyTorch's order:
///
/// ```text
/// g ← g + λp, or g + λ·sign(p)     (weight decay L2 or L1, on the tensors its scope covers)
/// b ← g                            (first step: the buffer starts as the gradient itself)
/// b ← μb + (1 − τ)g                (later steps; τ is the dampening, 0 by default)
/// g ← g + μb if Nesterov, else b
/// p ← p − lr·g
/// ```
///
/// The course writes momentum as u ← γu − ηg; w ← w + u. That is the same sequence of
/// parameters while the learning rate is fixed (u = −lr·b), but here lr multiplies the
/// buffer at each step instead of being folded into it, so a learning-rate change takes
/// effect at once rather than fading in; and the first buffer is g, not (1 − τ)g.
///
/// With μ = 0 there is no buffer, as in PyTorch: the update is plain SGD and the state is
/// left untouched (dampening then has no effect).
///
/// # Annealing
/// [`annealed(μ₀, n)`](Momentum::annealed) makes μ rise (or fall) linearly with the step
/// count, as the course recommends (γ from 0.5 to 0.9): step t, counting from 1, uses
///
/// ```text
/// μₜ = μ₀ + (μ − μ₀)·min(t − 1, n)/n
/// ```
///
/// so μ₀ on the first step, μ from step n + 1 on. This is PyTorch with `group['momentum']`
/// set to μₜ before each `step()`: the buffer is set (b ← g) on the first step whose
/// momentum is not 0, and μₜ multiplies both the buffer and Nesterov's look-ahead. μₜ is
/// computed in `f64` from μ₀ and μ, as a training script computes it in Python floats,
/// and rounded to `T` once.
///
/// PyTorch computes 1 − τ in `f64` and rounds it to `T`; so does this. Its CPU kernels fuse
/// the multiply-adds (x + a·y rounded once), which this code does not, so results can differ
/// in the last bit, and the buffer carries the difference on: measured against torch 2.15 in
/// `f32`, 50 steps on 64 values stay within 1.1·10⁻⁶ relative.
///
/// # One optimizer per network
/// The state block starts zeroed, so the optimizer counts its steps to know when the buffer
/// must be set rather than decayed. One `Momentum` value therefore drives one network (one
/// state block): to train another, or to start again from a fresh state, build a new one.
/// It is deliberately not `Copy`, so that a copy does not silently restart the count.
///
/// # Type parameters
/// `T` scalar (`f32` by default).
///
/// ```
/// use typenet_core::optim::{Momentum, Optimizer};
/// let mut opt = Momentum::new(0.5, 0.5).unwrap();
/// let mut p = [1.0f64, 2.0];
/// let mut buffer = [0.0; 2];
/// opt.step(&mut p, &[2.0, -4.0], &mut buffer); // b = g
/// assert_eq!((p, buffer), ([0.0, 4.0], [2.0, -4.0]));
/// opt.step(&mut p, &[2.0, 0.0], &mut buffer); // b = 0.5·b + g
/// assert_eq!((p, buffer), ([-1.5, 5.0], [3.0, -2.0]));
/// assert_eq!(opt.steps(), 2);
/// assert!(Momentum::new(0.1f32, 1.0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<T = f32> {
    /// lr, the weight decay and the step count, which the annealed momentum follows.
    base: Base<T>,
    momentum: T,
    dampening: T,
    nesterov: bool,
    /// μ₀ and n, when μ is annealed.
    anneal: Option<(T, u64)>,
    /// Whether the buffer holds a value: set by the first step with a momentum other than 0.
    started: bool,
}

impl<T: Scalar> Momentum<T> {
    /// SGD with learning rate `lr` (finite, greater than 0) and momentum `momentum` (in
    /// [0, 1)); no dampening, no Nesterov, no weight decay.
    pub fn new(lr: T, momentum: T) -> Result<Self, InvalidHyperParameter> {
        let base = Base::counting_steps(lr)?;
        check(
            "momentum",
            momentum,
            momentum >= T::ZERO && momentum < T::ONE,
            "a number in [0, 1)",
        )?;
        Ok(Self {
            base,
            momentum,
            dampening: T::ZERO,
            nesterov: false,
            anneal: None,
            started: false,
        })
    }

    /// The same optimizer with Nesterov momentum: g ← g + μb instead of g ← b. As in
    /// PyTorch, it needs a momentum greater than 0 and no dampening; otherwise the error
    /// names the offending hyper-parameter.
    ///
    /// ```
    /// use typenet_core::optim::Momentum;
    /// assert!(Momentum::new(0.1f32, 0.9).unwrap().nesterov().is_ok());
    /// assert_eq!(Momentum::new(0.1f32, 0.0).unwrap().nesterov().unwrap_err().name, "momentum");
    /// ```
    pub fn nesterov(self) -> Result<Self, InvalidHyperParameter> {
        check_nesterov(self.momentum, self.dampening)?;
        Ok(Self {
            nesterov: true,
            ..self
        })
    }

    /// The same optimizer with dampening τ in [0, 1]: later buffers become μb + (1 − τ)g
    /// (the first is still g). Nesterov momentum allows only τ = 0.
    ///
    /// ```
    /// use typenet_core::optim::Momentum;
    /// assert!(Momentum::new(0.1f32, 0.9).unwrap().with_dampening(0.9).is_ok());
    /// assert!(Momentum::new(0.1f32, 0.9).unwrap().with_dampening(1.5).is_err());
    /// ```
    pub fn with_dampening(self, dampening: T) -> Result<Self, InvalidHyperParameter> {
        check(
            "dampening",
            dampening,
            dampening >= T::ZERO && dampening <= T::ONE,
            "a number in [0, 1]",
        )?;
        if self.nesterov {
            check_nesterov(self.momentum, dampening)?;
        }
        Ok(Self { dampening, ..self })
    }

    /// The same optimizer with weight decay, L2 or L1. The decayed gradient (g + λp, or
    /// g + λ·sign(p)) is what enters the buffer, as in PyTorch.
    ///
    /// ```
    /// use typenet_core::optim::{Momentum, WeightDecay};
    /// let decay = WeightDecay::new(1e-4f32).unwrap().on_all_parameters();
    /// let opt = Momentum::new(0.1, 0.9).unwrap().with_weight_decay(decay);
    /// # let _ = opt;
    /// ```
    pub fn with_weight_decay(self, decay: WeightDecay<T>) -> Self {
        Self {
            base: self.base.with_decay(decay),
            ..self
        }
    }

    /// The same optimizer with its momentum annealed: starting at `from` (in [0, 1)) and
    /// moving linearly to the momentum given to [`new`](Momentum::new) over `steps` steps (at
    /// least 1), then held; see [Annealing](Momentum#annealing). The course's schedule, γ
    /// rising from 0.5 to 0.9:
    ///
    /// ```
    /// use typenet_core::optim::Momentum;
    /// let opt = Momentum::new(0.1f64, 0.9).unwrap().annealed(0.5, 4).unwrap();
    /// let momenta: Vec<f64> = (1..=6).map(|t| opt.momentum_at(t)).collect();
    /// assert_eq!(momenta, [0.5, 0.6, 0.7, 0.8, 0.9, 0.9]);
    /// assert_eq!(opt.clone().annealed(1.0, 4).unwrap_err().name, "initial momentum");
    /// assert_eq!(opt.annealed(0.5, 0).unwrap_err().name, "annealing steps");
    /// ```
    pub fn annealed(self, from: T, steps: u64) -> Result<Self, InvalidHyperParameter> {
        check(
            "initial momentum",
            from,
            from >= T::ZERO && from < T::ONE,
            "a number in [0, 1)",
        )?;
        check_count(
            "annealing steps",
            steps,
            steps >= 1,
            "a number of steps at least 1",
        )?;
        Ok(Self {
            anneal: Some((from, steps)),
            ..self
        })
    }

    /// The momentum μₜ that step `t` (counting from 1) uses: the one given to
    /// [`new`](Momentum::new), unless it is [annealed](Momentum::annealed).
    ///
    /// ```
    /// use typenet_core::optim::Momentum;
    /// let opt = Momentum::new(0.1f32, 0.9).unwrap();
    /// assert_eq!((opt.momentum_at(1), opt.momentum_at(1000)), (0.9, 0.9));
    /// ```
    pub fn momentum_at(&self, t: u64) -> T {
        let Some((from, steps)) = self.anneal else {
            return self.momentum;
        };
        let done = t.saturating_sub(1).min(steps);
        // from + (to − from)·(k/n), in Python floats.
        let (from, to) = (from.to_f64(), self.momentum.to_f64());
        T::from_f64(from + (to - from) * (done as f64 / steps as f64))
    }

    /// The number of steps taken so far.
    pub fn steps(&self) -> u64 {
        self.base.steps()
    }
}

crate::simd::dispatched! {
    /// One pass of `opt` over matching slices of parameters, gradients and buffer, with
    /// momentum `mu` and `decay`. Every branch tests a value fixed for the whole pass, so the
    /// compiler hoists it out of the loop and the loop itself vectorizes.
    fn momentum_pass<T: Scalar>(opt: &Momentum<T>, pass: Pass<T>, p: &mut [T], g: &[T], b: &mut [T]) {
        let Pass { first, mu, decay } = pass;
        let (lr, nesterov) = (opt.base.lr(), opt.nesterov);
        // PyTorch computes 1 − τ in Python floats (f64), then rounds it to the tensor's type.
        let undamped = T::from_f64(1.0 - opt.dampening.to_f64());
        for ((p, &g), b) in p.iter_mut().zip(g).zip(b.iter_mut()) {
            // grad.add(param, alpha=λ): g + λ·p (L2), or g + λ·sign(p) (L1)
            let g = decay.apply(g, *p);
            // buf = clone(grad), then buf.mul_(μ).add_(grad, alpha=1 − τ): μ·b, then + (1 − τ)·g
            *b = if first { g } else { mu * *b + undamped * g };
            // grad.add(buf, alpha=μ) or buf, then param.add_(grad, alpha=−lr)
            let d = if nesterov { g + mu * *b } else { *b };
            *p -= lr * d;
        }
    }
}

/// What one step's passes share: whether the buffer is set rather than decayed, the
/// momentum μₜ, and the decay of the tensor at hand.
#[derive(Clone, Copy)]
struct Pass<T> {
    first: bool,
    mu: T,
    decay: TensorDecay<T>,
}

/// Nesterov momentum needs μ > 0 and τ = 0, as PyTorch requires.
fn check_nesterov<T: Scalar>(momentum: T, dampening: T) -> Result<(), InvalidHyperParameter> {
    check(
        "momentum",
        momentum,
        momentum > T::ZERO,
        "a number in (0, 1) with Nesterov momentum",
    )?;
    check(
        "dampening",
        dampening,
        dampening == T::ZERO,
        "0 with Nesterov momentum",
    )
}

impl<T: Scalar> Optimizer<T> for Momentum<T> {
    /// The momentum buffer b, one value per parameter.
    type State<P: Tensors<T>> = P;
    const STATE_TENSORS: &'static [StateTensor] = &[StateTensor::new("momentum_buffer")];

    fn step<P: Tensors<T>>(&mut self, params: &mut P, grads: &P, buffer: &mut P) {
        let t = self.base.next_step();
        let mu = self.momentum_at(t);
        // PyTorch keeps no buffer while the momentum is 0, and sets it on the first step
        // that has one.
        let no_buffer = mu == T::ZERO;
        let first = !no_buffer && !self.started;
        self.started |= !no_buffer;
        let b = buffer.as_flat_mut();
        tensor_passes(self.base.decay(), params, grads, |p, g, r, decay| {
            if no_buffer {
                sgd_pass(self.base.lr(), p, g, decay);
            } else {
                momentum_pass(self, Pass { first, mu, decay }, p, g, &mut b[r]);
            }
        });
    }

    fn lr(&self) -> T {
        self.base.lr()
    }

    fn set_lr(&mut self, lr: T) -> Result<(), InvalidHyperParameter> {
        self.base.set_lr(lr)
    }
}

/// A checkpoint keeps the learning rate (`lr`), the step count (`step`, which the annealed
/// momentum follows) and whether the buffer holds a value yet (`buffer_started`, 0 or 1:
/// PyTorch's `momentum_buffer` is `None` until then).
impl<T: Scalar> Resume for Momentum<T> {
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number)) {
        self.base.save_progress(visit);
        visit(
            Key::new("buffer_started"),
            Number::Integer(u64::from(self.started)),
        );
    }

    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter> {
        match key.segments() {
            ["buffer_started"] => {
                let started = crate::io::count("buffer_started", value)?;
                check_count("buffer_started", started, started <= 1, "0 or 1")?;
                self.started = started == 1;
                Ok(())
            }
            _ => self.base.load_progress(key, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::error::Number;
    use crate::flat::Flat;
    use crate::layers::DenseParams;
    use crate::optim::testing::*;
    use crate::optim::Sgd;
    use core::mem::size_of;
    use std::string::ToString;

    #[test]
    fn both_copies_of_the_pass_agree() {
        assert_copies_agree(|decayed| {
            let opt = Momentum::new(0.1f32, 0.9).unwrap();
            match decayed {
                true => opt
                    .nesterov()
                    .unwrap()
                    .with_weight_decay(WeightDecay::new(0.01).unwrap()),
                false => opt.with_dampening(0.25).unwrap(),
            }
        });
    }

    #[test]
    fn two_steps_by_hand() {
        // Powers of two throughout, so every result is exact.
        let mut opt = Momentum::new(0.25f64, 0.5).unwrap();
        let (mut p, mut b) = ([1.0, 2.0, -1.0], [0.0; 3]);
        opt.step(&mut p, &[4.0, -8.0, 0.0], &mut b);
        // b = g; p − 0.25·b
        assert_eq!(b, [4.0, -8.0, 0.0]);
        assert_eq!(p, [0.0, 4.0, -1.0]);
        opt.step(&mut p, &[2.0, 4.0, 1.0], &mut b);
        // b = 0.5·b + g = [4, 0, 1]; p − 0.25·b
        assert_eq!(b, [4.0, 0.0, 1.0]);
        assert_eq!(p, [-1.0, 4.0, -1.25]);
        assert_eq!(opt.steps(), 2);
    }

    #[test]
    fn the_first_buffer_is_the_gradient_even_with_dampening() {
        let mut opt = Momentum::new(0.5f64, 0.5)
            .unwrap()
            .with_dampening(0.75)
            .unwrap();
        let (mut p, mut b) = ([0.0; 2], [0.0; 2]);
        opt.step(&mut p, &[8.0, -4.0], &mut b);
        // b = g, not (1 − τ)·g = [2, −1].
        assert_eq!(b, [8.0, -4.0]);
        assert_eq!(p, [-4.0, 2.0]);
        opt.step(&mut p, &[8.0, -4.0], &mut b);
        // b = 0.5·b + 0.25·g = [4 + 2, −2 − 1]
        assert_eq!(b, [6.0, -3.0]);
        assert_eq!(p, [-7.0, 3.5]);
        // A stale buffer is overwritten on the first step, not decayed.
        let mut fresh = Momentum::new(0.5f64, 0.5).unwrap();
        let mut stale = [100.0, 100.0];
        fresh.step(&mut [0.0; 2], &[1.0, 2.0], &mut stale);
        assert_eq!(stale, [1.0, 2.0]);
    }

    #[test]
    fn nesterov_adds_momentum_times_the_buffer_to_the_gradient() {
        let plain = Momentum::new(0.25f64, 0.5).unwrap();
        let nesterov = plain.clone().nesterov().unwrap();
        let grads = [[4.0, -8.0], [2.0, 4.0]];
        let run = |mut opt: Momentum<f64>| {
            let (mut p, mut b) = ([0.0; 2], [0.0; 2]);
            for g in &grads {
                opt.step(&mut p, g, &mut b);
            }
            (p, b)
        };
        let (p_plain, b_plain) = run(plain);
        let (p_nesterov, b_nesterov) = run(nesterov);
        // The buffers agree: Nesterov only changes what the parameters move by.
        assert_eq!(b_plain, b_nesterov);
        assert_eq!(b_plain, [4.0, 0.0]);
        // Plain: p = −0.25·(b₁ + b₂) = −0.25·([4, −8] + [4, 0]).
        assert_eq!(p_plain, [-2.0, 2.0]);
        // Nesterov: p = −0.25·((g₁ + 0.5·b₁) + (g₂ + 0.5·b₂))
        //             = −0.25·([6, −12] + [4, 4]).
        assert_eq!(p_nesterov, [-2.5, 2.0]);
    }

    #[test]
    fn zero_momentum_is_plain_sgd_and_keeps_no_buffer() {
        // PyTorch skips the buffer when μ = 0, so dampening changes nothing.
        let mut opt = Momentum::new(0.5f64, 0.0)
            .unwrap()
            .with_dampening(0.5)
            .unwrap();
        let mut sgd = Sgd::new(0.5f64).unwrap();
        let (mut p, mut q, mut b) = ([1.0, 2.0], [1.0, 2.0], [0.0; 2]);
        for g in [[1.0, -2.0], [4.0, 0.5], [-1.0, 3.0]] {
            opt.step(&mut p, &g, &mut b);
            sgd.step(&mut q, &g, &mut []);
        }
        assert_eq!(p, q);
        assert_eq!(b, [0.0; 2]);
    }

    #[test]
    fn weight_decay_skips_biases_unless_asked() {
        type Params = DenseParams<U1, U1, f64>;
        let decay = WeightDecay::new(0.5f64).unwrap();
        let grads = Params::zeroed();
        let (mut p, mut b) = (Params::zeroed(), Params::zeroed());
        p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        let mut opt = Momentum::new(0.25, 0.5).unwrap().with_weight_decay(decay);
        opt.step(&mut p, &grads, &mut b);
        // weight: g = 0 + 0.5·2 = 1 enters the buffer; p = 2 − 0.25 = 1.75. Bias untouched.
        assert_eq!(b.as_flat(), &[1.0, 0.0]);
        assert_eq!(p.as_flat(), &[1.75, 2.0]);

        let all = decay.on_all_parameters();
        let mut opt = Momentum::new(0.25, 0.5).unwrap().with_weight_decay(all);
        let (mut p, mut b) = (Params::zeroed(), Params::zeroed());
        p.as_flat_mut().copy_from_slice(&[2.0, 2.0]);
        opt.step(&mut p, &grads, &mut b);
        assert_eq!(b.as_flat(), &[1.0, 1.0]);
        assert_eq!(p.as_flat(), &[1.75, 1.75]);
        // Second step: g = 0.5·1.75 = 0.875; b = 0.5·1 + 0.875 = 1.375; p = 1.75 − 0.34375.
        opt.step(&mut p, &grads, &mut b);
        assert_eq!(b.as_flat(), &[1.375, 1.375]);
        assert_eq!(p.as_flat(), &[1.40625, 1.40625]);
    }

    #[test]
    fn annealed_momentum_by_hand() {
        // μ₀ = 0.5, μ = 0.875, n = 2: 0.5, 0.6875, then 0.875 held (all exact).
        let mut opt = Momentum::new(0.5f64, 0.875)
            .unwrap()
            .annealed(0.5, 2)
            .unwrap();
        assert_eq!(
            [1, 2, 3, 4, 100].map(|t| opt.momentum_at(t)),
            [0.5, 0.6875, 0.875, 0.875, 0.875]
        );
        let (mut p, mut b) = ([0.0], [0.0]);
        opt.step(&mut p, &[8.0], &mut b); // b = g
        assert_eq!((b, p), ([8.0], [-4.0]));
        opt.step(&mut p, &[8.0], &mut b); // b = 0.6875·8 + 8 = 13.5
        assert_eq!((b, p), ([13.5], [-10.75]));
        opt.step(&mut p, &[0.0], &mut b); // b = 0.875·13.5
        assert_eq!((b, p), ([11.8125], [-16.65625]));
    }

    #[test]
    fn annealed_nesterov_looks_ahead_with_the_steps_momentum() {
        let mut opt = Momentum::new(0.5f64, 0.75)
            .unwrap()
            .nesterov()
            .unwrap()
            .annealed(0.25, 1)
            .unwrap();
        let (mut p, mut b) = ([0.0], [0.0]);
        opt.step(&mut p, &[4.0], &mut b); // b = 4; p − 0.5·(4 + 0.25·4)
        assert_eq!((b, p), ([4.0], [-2.5]));
        opt.step(&mut p, &[4.0], &mut b); // b = 0.75·4 + 4 = 7; p − 0.5·(4 + 0.75·7)
        assert_eq!((b, p), ([7.0], [-7.125]));
    }

    #[test]
    fn annealing_from_zero_starts_the_buffer_on_the_first_step_with_momentum() {
        // PyTorch keeps no buffer while μ = 0 and sets b = g on the first step with μ > 0,
        // undamped: with τ = 0.5 that shows.
        let mut opt = Momentum::new(0.5f64, 0.5)
            .unwrap()
            .with_dampening(0.5)
            .unwrap()
            .annealed(0.0, 2)
            .unwrap();
        let (mut p, mut b) = ([0.0], [0.0]);
        opt.step(&mut p, &[4.0], &mut b); // μ = 0: plain SGD, no buffer
        assert_eq!((b, p), ([0.0], [-2.0]));
        opt.step(&mut p, &[8.0], &mut b); // μ = 0.25: b = g, not 0.5·g
        assert_eq!((b, p), ([8.0], [-6.0]));
        opt.step(&mut p, &[8.0], &mut b); // μ = 0.5: b = 0.5·8 + 0.5·8
        assert_eq!((b, p), ([8.0], [-10.0]));
    }

    #[test]
    fn annealing_is_validated() {
        let opt = Momentum::new(0.1f64, 0.9).unwrap();
        for from in [-0.1, 1.0, f64::NAN] {
            let err = opt.clone().annealed(from, 10).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("initial momentum", "a number in [0, 1)")
            );
        }
        let err = opt.clone().annealed(0.5, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid annealing steps: 0 (expected a number of steps at least 1)"
        );
        assert!(opt.annealed(0.0, 1).is_ok());
    }

    /// The distance between two `f32` of the same sign, in units in the last place.
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn matches_pytorch_in_f32_to_an_ulp() {
        // torch 2.15.0 on the CPU, float32:
        //   p = torch.tensor([0.5, -1.25, 2.0], requires_grad=True)
        //   opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1 (0 with Nesterov),
        //                         nesterov=..., weight_decay=0.01, foreach=False)
        //   for g in G: p.grad = torch.tensor(g); opt.step(); print(p.tolist())
        // (a plain array is one weight tensor, so λ applies to all of it). PyTorch fuses the
        // multiply-add of `add(x, alpha=a)` (one rounding for x + a·y) and typenet does not,
        // so a value may differ in its last bit; the same formula evaluated without fusing,
        // in exact arithmetic rounded to f32 after each operation, gives typenet's bits.
        let grads = [[0.3f32, -0.7, 1.1], [-0.2, 0.4, 0.9], [0.05, -0.6, -1.3]];
        let decay = WeightDecay::new(0.01f32).unwrap();
        let expected_damped = [
            [0.4695, -1.17875, 1.888],
            [0.45962745, -1.1495641, 1.7045008],
            [0.4458285, -1.0682622, 1.6548175],
        ];
        let expected_nesterov = [
            [0.44205, -1.114625, 1.7872],
            [0.45450512, -1.1307946, 1.5220844],
            [0.437749, -0.994202, 1.6101967],
        ];
        let damped = Momentum::new(0.1f32, 0.9)
            .unwrap()
            .with_dampening(0.1)
            .unwrap()
            .with_weight_decay(decay);
        let nesterov = Momentum::new(0.1f32, 0.9)
            .unwrap()
            .nesterov()
            .unwrap()
            .with_weight_decay(decay);
        for (mut opt, expected) in [(damped, expected_damped), (nesterov, expected_nesterov)] {
            let (mut p, mut b) = ([0.5f32, -1.25, 2.0], [0.0; 3]);
            for (g, e) in grads.iter().zip(&expected) {
                opt.step(&mut p, g, &mut b);
                for (&a, &e) in p.iter().zip(e) {
                    assert!(ulps(a, e) <= 1, "{a} against PyTorch's {e}");
                }
            }
        }
    }

    #[test]
    fn the_loss_goes_down_on_a_quadratic() {
        let plain = Momentum::new(0.02, 0.9).unwrap();
        for opt in [plain.clone(), plain.nesterov().unwrap()] {
            assert_descends_on_a_quadratic(opt, [1.0, 10.0, 0.1], 300);
        }
    }

    #[test]
    fn rejects_every_invalid_hyper_parameter() {
        assert_learning_rate_is_checked(|lr| Momentum::new(lr, 0.9));
        for momentum in [1.0, 1.5, -0.1, f64::NAN, f64::INFINITY] {
            let err = Momentum::new(0.1, momentum).unwrap_err();
            assert_eq!((err.name, err.expected), ("momentum", "a number in [0, 1)"));
        }
        let opt = Momentum::new(0.1f64, 0.9).unwrap();
        for dampening in [-0.1, 1.1, f64::NAN] {
            let err = opt.clone().with_dampening(dampening).unwrap_err();
            assert_eq!(err.name, "dampening");
        }
        // Nesterov needs momentum and no dampening, in whichever order they are set.
        let err = Momentum::new(0.1f64, 0.0).unwrap().nesterov().unwrap_err();
        assert_eq!((err.name, err.value), ("momentum", Number::F64(0.0)));
        let damped = opt.clone().with_dampening(0.5).unwrap();
        let err = damped.nesterov().unwrap_err();
        assert_eq!((err.name, err.value), ("dampening", Number::F64(0.5)));
        let err = opt.nesterov().unwrap().with_dampening(0.5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid dampening: 0.5 (expected 0 with Nesterov momentum)"
        );
    }

    #[test]
    fn the_state_is_one_copy_of_the_parameters() {
        type Params = DenseParams<U3, U2, f32>;
        type State = <Momentum<f32> as Optimizer<f32>>::State<Params>;
        assert_eq!(size_of::<State>(), size_of::<Params>());
        assert_eq!(size_of::<State>(), (3 * 2 + 2) * size_of::<f32>());
    }
}
