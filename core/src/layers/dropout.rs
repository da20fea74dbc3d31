//! Dropout (inverted): in training y = x ⊙ mask, each mask entry 0 or 1/(1 − p); in
//! evaluation the identity.

use super::{Backward, Forward, Layer};
use crate::init::unit;
use crate::mode::Mode;
use crate::{InvalidHyperParameter, Matrix, Number, Scalar};
use core::fmt;
use core::marker::PhantomData;
use generic_array::ArrayLength;
use rand::Rng;

/// Inverted dropout, as `dropout(p)` in `network!`, like PyTorch's `nn.Dropout(p)`. In
/// training each element is dropped (set to 0) with probability `p` and otherwise kept and
/// scaled by 1/(1 − p), so that its expected value is unchanged and evaluation, where the
/// layer is the identity, needs no rescaling. The mask is drawn from the training mode's
/// random source, so a seeded source gives the same mask again.
///
/// # Type parameters
/// `W` the width of a row (a typenum number), the same in and out.
///
/// ```
/// use typenet_core::layers::{Dropout, Forward, Layer};
/// use typenet_core::{mode::{Eval, Train}, Matrix, dim::{U1, U8}};
/// use rand::{rngs::StdRng, SeedableRng};
/// const DROPOUT: Dropout<U8> = Dropout::new(0.5);
/// let x = Matrix::<U1, U8, f64>::from_fn(|_, i| i as f64 + 1.0);
/// let (mut y, mut mask) = (Matrix::zeros(), Matrix::zeros());
/// let mut rng = StdRng::seed_from_u64(1);
/// let io = Forward { params: &[], buffers: &[], x: &x, y: &mut y, cache: &mut mask };
/// DROPOUT.forward(io, &mut Train::new(&mut rng));
/// // Each element is dropped, or kept and doubled.
/// for (&y, &x) in y.as_slice().iter().zip(x.as_slice()) {
///     assert!(y == 0.0 || y == 2.0 * x);
/// }
/// let io = Forward { params: &[], buffers: &[], x: &x, y: &mut y, cache: &mut mask };
/// DROPOUT.forward(io, &mut Eval);
/// assert_eq!(y, x);
/// assert_eq!(DROPOUT.to_string(), "dropout(p = 0.5)");
/// ```
///
/// A probability outside [0, 1) is rejected, at compile time in a constant:
///
/// ```compile_fail
/// use typenet_core::{layers::Dropout, dim::U8};
/// const DROPOUT: Dropout<U8> = Dropout::new(1.0);
/// ```
pub struct Dropout<W> {
    p: f64,
    width: PhantomData<W>,
}

impl<W> Dropout<W> {
    /// Dropout with probability `p` of dropping each element.
    ///
    /// The constant form, which the `network!` macro uses with a value it has checked; at
    /// run time, use [`try_new`](Dropout::try_new), which returns an error instead.
    ///
    /// # Panics
    /// If `p` is not in [0, 1) (NaN included); in a constant, that is a compile error.
    pub const fn new(p: f64) -> Self {
        assert!(
            valid_probability(p),
            "Dropout::new: dropout probability p must be in [0, 1)"
        );
        Dropout {
            p,
            width: PhantomData,
        }
    }

    /// Dropout with probability `p` of dropping each element, or an error if `p` is not in
    /// [0, 1) (NaN included).
    ///
    /// ```
    /// use typenet_core::{layers::Dropout, dim::U8};
    /// assert!(Dropout::<U8>::try_new(0.2).is_ok());
    /// assert_eq!(Dropout::<U8>::try_new(1.0).unwrap_err().name, "dropout probability");
    /// ```
    pub fn try_new(p: f64) -> Result<Self, InvalidHyperParameter> {
        if valid_probability(p) {
            Ok(Self::new(p))
        } else {
            Err(InvalidHyperParameter {
                name: "dropout probability",
                value: Number::F64(p),
                expected: "a number in [0, 1)",
            })
        }
    }

    /// The probability of dropping each element.
    pub const fn p(&self) -> f64 {
        self.p
    }
}

/// Whether `p` is in [0, 1); false for NaN.
const fn valid_probability(p: f64) -> bool {
    0.0 <= p && p < 1.0
}

impl<W> Clone for Dropout<W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<W> Copy for Dropout<W> {}

impl<W> fmt::Debug for Dropout<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dropout").field("p", &self.p).finish()
    }
}

impl<W> fmt::Display for Dropout<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dropout(p = {})", self.p)
    }
}

impl<T: Scalar, W: ArrayLength> Layer<T> for Dropout<W> {
    type Input = W;
    type Output = W;
    type Params = [T; 0];
    type Buffers = [T; 0];
    /// The mask: each element's factor, 0 or 1/(1 − p) (all 1 after an evaluation pass).
    type Cache<B: ArrayLength> = Matrix<B, W, T>;

    fn init<R: Rng + ?Sized>(&self, _: &mut [T; 0], _: &mut [T; 0], _: &mut R) {}

    /// In training, draws a fresh mask and applies it; in evaluation (or a mode with no
    /// random source), copies `x` and sets the mask to 1.
    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, mode: &mut M) {
        let mask = io.cache.as_mut_slice();
        match mode.rng() {
            Some(rng) if M::TRAINING => {
                let scale = T::from_f64(1.0 / (1.0 - self.p));
                for m in mask.iter_mut() {
                    // Dropped when u < p, u uniform in [0, 1): probability p.
                    *m = if unit(rng) < self.p { T::ZERO } else { scale };
                }
                let x = io.x.as_slice();
                for ((y, &x), &m) in io.y.as_mut_slice().iter_mut().zip(x).zip(&*mask) {
                    *y = x * m; // y = x ⊙ mask  ⇒  ∂y/∂x = mask
                }
            }
            _ => {
                mask.fill(T::ONE);
                io.y.as_mut_slice().copy_from_slice(io.x.as_slice()); // y = x  ⇒  ∂y/∂x = 1
            }
        }
    }

    /// The identity, as in evaluation.
    fn infer<B: ArrayLength>(
        &self,
        _: &[T; 0],
        _: &[T; 0],
        x: &Matrix<B, W, T>,
        y: &mut Matrix<B, W, T>,
    ) {
        y.as_mut_slice().copy_from_slice(x.as_slice());
    }

    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        if let Some(dx) = io.dx {
            let mask = io.cache.as_slice();
            // dL/dx = dy ⊙ mask
            for ((dx, &dy), &m) in dx.as_mut_slice().iter_mut().zip(io.dy.as_slice()).zip(mask) {
                *dx = dy * m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use crate::mode::{Eval, Train};
    use rand::{rngs::StdRng, SeedableRng};
    use std::string::ToString;

    type X = Matrix<U3, U4, f64>;

    /// The output and the mask of a forward pass in `mode`.
    fn forward<B: ArrayLength, M: Mode>(
        layer: Dropout<U4>,
        x: &Matrix<B, U4, f64>,
        mode: &mut M,
    ) -> (Matrix<B, U4, f64>, Matrix<B, U4, f64>) {
        let (mut y, mut mask) = (Matrix::zeros(), Matrix::zeros());
        let io = Forward {
            params: &[],
            buffers: &[],
            x,
            y: &mut y,
            cache: &mut mask,
        };
        layer.forward(io, mode);
        (y, mask)
    }

    /// A training forward pass with a fresh source seeded with `seed`.
    fn train(layer: Dropout<U4>, x: &X, seed: u64) -> (X, X) {
        forward(layer, x, &mut Train::new(&mut StdRng::seed_from_u64(seed)))
    }

    fn backward(layer: Dropout<U4>, x: &X, y: &X, mask: &X, dy: &X) -> X {
        let mut dx = Matrix::zeros();
        layer.backward(Backward {
            params: &[],
            x,
            y,
            cache: &mut mask.clone(),
            dy,
            grads: &mut [],
            dx: Some(&mut dx),
        });
        dx
    }

    #[test]
    fn infer_is_the_identity_of_evaluation() {
        let x: X = test_weights(3);
        let y = crate::layers::tests::assert_infer_is_eval_forward(Dropout::new(0.5), &[], &[], &x);
        assert_eq!(y, x);
    }

    #[test]
    fn the_same_seed_gives_the_same_mask() {
        let layer = Dropout::new(0.5);
        let x: X = test_weights(1);
        let (y, mask) = train(layer, &x, 7);
        assert_eq!(train(layer, &x, 7), (y, mask.clone()));
        assert_ne!(train(layer, &x, 8).1, mask);
    }

    #[test]
    fn kept_elements_are_scaled_by_exactly_one_over_one_minus_p() {
        let layer = Dropout::new(0.25);
        let x = X::from_fn(|r, c| 1.0 + (4 * r + c) as f64);
        let (y, mask) = train(layer, &x, 3);
        let scale = 1.0 / 0.75;
        let (mut kept, mut dropped) = (0, 0);
        for ((&y, &x), &m) in y.as_slice().iter().zip(x.as_slice()).zip(mask.as_slice()) {
            if m == 0.0 {
                assert_eq!(y, 0.0);
                dropped += 1;
            } else {
                assert_eq!((m, y), (scale, x * scale));
                kept += 1;
            }
        }
        assert!(kept > 0 && dropped > 0, "{kept} kept, {dropped} dropped");
    }

    #[test]
    fn the_fraction_kept_is_one_minus_p() {
        // Over n independent draws, Hoeffding's inequality bounds the fraction kept k/n:
        // P(|k/n − (1 − p)| ≥ t) ≤ 2·exp(−2nt²). With t = √(ln(2/δ)/2n) and δ = 10⁻⁹, a
        // correct layer fails for fewer than one seed in 10⁹; here n = 81 920, t ≈ 0.0114.
        let (p, passes) = (0.3, 320);
        let layer = Dropout::<U4>::new(p);
        let x = Matrix::<U64, U4, f64>::from_fn(|_, _| 1.0);
        let mut rng = StdRng::seed_from_u64(11);
        let mut mode = Train::new(&mut rng);
        let mut kept = 0;
        for _ in 0..passes {
            let (_, mask) = forward(layer, &x, &mut mode);
            kept += mask.as_slice().iter().filter(|&&m| m != 0.0).count();
        }
        let n = (passes * 64 * 4) as f64;
        let t = (2e9f64.ln() / (2.0 * n)).sqrt();
        let fraction = kept as f64 / n;
        assert!(
            (fraction - (1.0 - p)).abs() < t,
            "kept {fraction}, bound {t}"
        );
    }

    #[test]
    fn p_zero_keeps_everything() {
        let x: X = test_weights(2);
        let (y, mask) = train(Dropout::new(0.0), &x, 5);
        assert_eq!(y, x);
        assert!(mask.as_slice().iter().all(|&m| m == 1.0));
    }

    #[test]
    fn evaluation_is_the_identity_forward_and_backward() {
        let layer = Dropout::new(0.9);
        let x: X = test_weights(3);
        // The mask a training pass left is overwritten with 1s.
        let (mut y, mut mask) = train(layer, &x, 1);
        let io = Forward {
            params: &[],
            buffers: &[],
            x: &x,
            y: &mut y,
            cache: &mut mask,
        };
        layer.forward(io, &mut Eval);
        assert_eq!(y, x);
        assert!(mask.as_slice().iter().all(|&m| m == 1.0));
        let dy: X = test_weights(4);
        assert_eq!(backward(layer, &x, &y, &mask, &dy), dy);
    }

    #[test]
    fn backward_matches_finite_differences_with_the_mask_fixed() {
        // Each evaluation of the loss re-creates the seeded source, so every forward pass
        // draws the same mask and the loss is a function of x alone.
        let layer = Dropout::new(0.5);
        let (mut x, c): (X, X) = (test_weights(5), test_weights(6));
        let (y, mask) = train(layer, &x, 9);
        assert!(mask.as_slice().contains(&0.0) && mask.as_slice().contains(&2.0));
        let dx = backward(layer, &x, &y, &mask, &c);
        let report = GradCheck::F64
            .run(&mut x, &dx, |x| weighted_sum(&c, &train(layer, x, 9).0))
            .unwrap();
        assert_eq!(report.checked, 12);
    }

    #[test]
    fn try_new_rejects_probabilities_outside_zero_to_one() {
        for p in [
            -0.1,
            -1e-300,
            1.0,
            1.2,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let err = Dropout::<U4>::try_new(p).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("dropout probability", "a number in [0, 1)")
            );
            assert!(err.value_f64().to_bits() == p.to_bits());
        }
        assert_eq!(Dropout::<U4>::try_new(0.0).unwrap().p(), 0.0);
        assert_eq!(Dropout::<U4>::try_new(0.999).unwrap().p(), 0.999);
    }

    #[test]
    #[should_panic(expected = "dropout probability p must be in [0, 1)")]
    fn new_panics_on_an_invalid_probability() {
        let _ = Dropout::<U4>::new(core::hint::black_box(1.0));
    }

    #[test]
    fn displays_its_probability() {
        assert_eq!(Dropout::<U4>::new(0.5).to_string(), "dropout(p = 0.5)");
        assert_eq!(Dropout::<U4>::new(0.0).to_string(), "dropout(p = 0)");
    }
}
