//! Dense (fully connected) layer: y = x·Wᵀ + b.

use crate::{Flat, Init, Matrix, Scalar};
use generic_array::{ArrayLength, GenericArray};
use rand::Rng;

/// A fully connected layer, y = x·Wᵀ + b, with the weight stored as `[out, in]` like
/// PyTorch's `nn.Linear`, so weights can be exchanged without transposing.
///
/// # Type parameters
/// `I` inputs, `O` outputs (typenum numbers), `T` the scalar.
///
/// ```
/// use typenet_core::{layers::Dense, Flat, Matrix, dim::{U1, U2, U3}};
/// let mut layer = Dense::<U2, U3, f64>::zeroed();
/// layer.weight = Matrix::from_fn(|o, i| [[1., 2.], [3., 4.], [5., 6.]][o][i]);
/// layer.bias.copy_from_slice(&[0.5, -1.0, 2.0]);
/// let x = Matrix::<U1, U2, f64>::from_fn(|_, i| [1., -1.][i]);
/// let mut y = Matrix::<U1, U3, f64>::zeros();
/// layer.forward(&x, &mut y);
/// assert_eq!(y.as_slice(), &[-0.5, -2.0, 1.0]);
/// ```
#[repr(C)]
pub struct Dense<I: ArrayLength, O: ArrayLength, T = f32> {
    /// W, `O`×`I`.
    pub weight: Matrix<O, I, T>,
    /// b, `O` values.
    pub bias: GenericArray<T, O>,
}

// SAFETY: `repr(C)` over two flat fields whose sizes are multiples of `T`'s, so no padding.
unsafe impl<I: ArrayLength, O: ArrayLength, T: Scalar> Flat<T> for Dense<I, O, T> {
    const LEN: usize = O::USIZE * I::USIZE + O::USIZE;
}

impl<I: ArrayLength, O: ArrayLength, T: Scalar> Dense<I, O, T> {
    /// The number of parameters: weights and biases.
    pub const PARAMETERS: usize = <Self as Flat<T>>::LEN;

    /// y = x·Wᵀ + b for a batch of `B` rows.
    pub fn forward<B: ArrayLength>(&self, x: &Matrix<B, I, T>, y: &mut Matrix<B, O, T>) {
        for row in y.rows_mut() {
            row.copy_from_slice(&self.bias);
        }
        y.gemm_nt(T::ONE, x, &self.weight, T::ONE);
    }

    /// Given dL/dy, writes dL/dW and dL/db into `grads` (overwriting them) and, when asked,
    /// dL/dx into `dx`. `x` is the input the forward pass saw.
    pub fn backward<B: ArrayLength>(
        &self,
        x: &Matrix<B, I, T>,
        dy: &Matrix<B, O, T>,
        grads: &mut Self,
        dx: Option<&mut Matrix<B, I, T>>,
    ) {
        // y = x·Wᵀ + b  ⇒  dL/dW = dyᵀ·x
        grads.weight.gemm_tn(T::ONE, dy, x, T::ZERO);
        // dL/db = Σ over the batch of dy
        grads.bias.fill(T::ZERO);
        for row in dy.rows() {
            for (g, &d) in grads.bias.iter_mut().zip(row.iter()) {
                *g += d;
            }
        }
        // dL/dx = dy·W
        if let Some(dx) = dx {
            dx.gemm(T::ONE, dy, &self.weight, T::ZERO);
        }
    }

    /// Draws fresh weights with `init` and sets the biases to zero.
    pub fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        init.fill(self.weight.as_mut_slice(), I::USIZE, O::USIZE, rng);
        self.bias.fill(T::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use rand::{rngs::StdRng, SeedableRng};

    type Layer = Dense<U4, U5, f64>;

    fn setup() -> (Layer, Matrix<U3, U4, f64>, Matrix<U3, U5, f64>) {
        let mut layer = Layer::zeroed();
        layer.init(Init::LeCun, &mut StdRng::seed_from_u64(5));
        layer.bias.copy_from_slice(&[0.1, -0.2, 0.3, 0.0, 0.5]);
        let x = test_weights(11);
        let c = test_weights(12);
        (layer, x, c)
    }

    fn loss(layer: &Layer, x: &Matrix<U3, U4, f64>, c: &Matrix<U3, U5, f64>) -> f64 {
        let mut y = Matrix::zeros();
        layer.forward(x, &mut y);
        weighted_sum(c, &y)
    }

    #[test]
    fn backward_matches_finite_differences() {
        let (mut layer, mut x, c) = setup();
        let mut grads = Layer::zeroed();
        let mut dx = Matrix::zeros();
        // For L = Σ cₖ·yₖ, dL/dy = c.
        layer.backward(&x, &c, &mut grads, Some(&mut dx));
        let params = GradCheck::F64
            .run(&mut layer, &grads, |l| loss(l, &x, &c))
            .unwrap();
        assert_eq!(params.checked, 25);
        let layer = layer;
        GradCheck::F64
            .run(&mut x, &dx, |x| loss(&layer, x, &c))
            .unwrap();
    }

    #[test]
    fn backward_overwrites_old_gradients() {
        let (layer, x, c) = setup();
        let mut fresh = Layer::zeroed();
        layer.backward(&x, &c, &mut fresh, None);
        let mut stale = Layer::zeroed();
        stale.as_flat_mut().fill(7.0);
        layer.backward(&x, &c, &mut stale, None);
        assert_eq!(fresh.as_flat(), stale.as_flat());
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        let (mut layer, x, c) = setup();
        let mut grads = Layer::zeroed();
        layer.backward(&x, &c, &mut grads, None);
        grads.bias[2] *= 1.001;
        let err = GradCheck::F64
            .run(&mut layer, &grads, |l| loss(l, &x, &c))
            .unwrap_err();
        assert_eq!(err.index, 20 + 2);
    }

    #[test]
    fn init_zeroes_biases_and_counts_parameters() {
        let mut layer = Layer::zeroed();
        layer.bias.fill(1.0);
        layer.init(Init::He, &mut StdRng::seed_from_u64(1));
        assert!(layer.bias.iter().all(|&b| b == 0.0));
        assert!(layer.weight.as_slice().iter().all(|&w| w != 0.0));
        assert_eq!(Layer::PARAMETERS, 25);
    }
}
