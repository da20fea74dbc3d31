//! Dense (fully connected) layer: y = x·Wᵀ + b.

use super::{Backward, Forward, Layer};
use crate::init::Init;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use crate::tensors::{Role, Shape, TensorInfo, Tensors};
use core::fmt;
use core::marker::PhantomData;
use generic_array::{ArrayLength, GenericArray};
use rand::Rng;

/// A fully connected layer, y = x·Wᵀ + b, as `dense(out)` or `dense(in -> out)` in
/// `network!`. The weight is stored `[out, in]` like PyTorch's `nn.Linear`, so weights are
/// exchanged without transposing. The configuration is the weights' initializer.
///
/// # Type parameters
/// `I` inputs, `O` outputs (typenum numbers).
///
/// ```
/// use typenet_core::layers::{Dense, DenseParams, Forward, Layer};
/// use typenet_core::{mode::Eval, Flat, Init, Matrix, dim::{U1, U2, U3}};
/// let layer = Dense::<U2, U3>::new(Init::LeCun);
/// let mut params = DenseParams::<U2, U3, f64>::zeroed();
/// params.weight = Matrix::from_fn(|o, i| [[1., 2.], [3., 4.], [5., 6.]][o][i]);
/// params.bias.copy_from_slice(&[0.5, -1.0, 2.0]);
/// let x = Matrix::<U1, U2, f64>::from_fn(|_, i| [1., -1.][i]);
/// let mut y = Matrix::zeros();
/// let io = Forward { params: &params, buffers: &[], x: &x, y: &mut y, cache: &mut [] };
/// layer.forward(io, &mut Eval);
/// assert_eq!(y.as_slice(), &[-0.5, -2.0, 1.0]);
/// ```
pub struct Dense<I, O> {
    /// How the weights are drawn.
    pub init: Init,
    widths: PhantomData<(I, O)>,
}

impl<I, O> Dense<I, O> {
    /// A dense layer whose weights are drawn with `init`.
    pub const fn new(init: Init) -> Self {
        Dense {
            init,
            widths: PhantomData,
        }
    }
}

impl<I, O> Clone for Dense<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, O> Copy for Dense<I, O> {}

impl<I: ArrayLength, O: ArrayLength> fmt::Display for Dense<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dense {} → {}", I::USIZE, O::USIZE)
    }
}

crate::flat_struct! { @core
    /// The parameters of a [`Dense`] layer.
    pub struct DenseParams[I: ArrayLength, O: ArrayLength, T = f32][I: ArrayLength, O: ArrayLength, T: Scalar][I, O, T] (T, I) {
        /// W, `O`×`I` (`weight` in PyTorch).
        pub weight: Matrix<O, I, T>,
        /// b, `O` values (`bias` in PyTorch).
        pub bias: GenericArray<T, O>,
    }
}

impl<I: ArrayLength, O: ArrayLength, T: Scalar> Tensors<T> for DenseParams<I, O, T> {
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo)) {
        let weights = O::USIZE * I::USIZE;
        visit(TensorInfo::new(
            "weight",
            Role::Weight,
            Shape::matrix(O::USIZE, I::USIZE),
            0,
        ));
        visit(TensorInfo::new(
            "bias",
            Role::Bias,
            Shape::vector(O::USIZE),
            weights,
        ));
    }
}

impl<T: Scalar, I: ArrayLength, O: ArrayLength> Layer<T> for Dense<I, O> {
    type Input = I;
    type Output = O;
    type Params = DenseParams<I, O, T>;
    type Buffers = [T; 0];
    type Cache<B: ArrayLength> = [T; 0];

    /// Draws the weights with the layer's initializer; biases start at zero.
    fn init<R: Rng + ?Sized>(&self, params: &mut Self::Params, _: &mut [T; 0], rng: &mut R) {
        self.init
            .fill(params.weight.as_mut_slice(), I::USIZE, O::USIZE, rng);
        params.bias.fill(T::ZERO);
    }

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        self.infer(io.params, io.buffers, io.x, io.y);
    }

    fn infer<B: ArrayLength>(
        &self,
        params: &Self::Params,
        _: &[T; 0],
        x: &Matrix<B, I, T>,
        y: &mut Matrix<B, O, T>,
    ) {
        for row in y.rows_mut() {
            row.copy_from_slice(&params.bias);
        }
        y.gemm_nt(T::ONE, x, &params.weight, T::ONE);
    }

    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        let (grads, dy) = (io.grads, io.dy);
        // y = x·Wᵀ + b  ⇒  dL/dW = dyᵀ·x
        grads.weight.gemm_tn(T::ONE, dy, io.x, T::ZERO);
        // dL/db = Σ over the batch of dy
        column_sums(dy.as_slice(), &mut grads.bias);
        // dL/dx = dy·W
        if let Some(dx) = io.dx {
            dx.gemm(T::ONE, dy, &io.params.weight, T::ZERO);
        }
    }
}

crate::simd::dispatched! {
    /// The sums of the columns of `rows`, a row-major matrix as wide as `sums`, each added in
    /// the rows' order. 32 columns at a time in sums of a fixed size, which stay in vector
    /// registers (summed in `sums` itself, LLVM kept every sum in memory), then the last
    /// columns in sums on the stack.
    fn column_sums<T: Scalar>(rows: &[T], sums: &mut [T]) {
        const COLUMNS: usize = 32;
        let width = sums.len();
        let mut block_start = 0;
        for block in sums.chunks_exact_mut(COLUMNS) {
            let mut block_sums = [T::ZERO; COLUMNS];
            for row in rows.chunks_exact(width) {
                let Some(row) = row[block_start..].first_chunk::<COLUMNS>() else {
                    continue;
                };
                for (sum, &d) in block_sums.iter_mut().zip(row) {
                    *sum += d;
                }
            }
            block.copy_from_slice(&block_sums);
            block_start += COLUMNS;
        }
        let last = &mut sums[block_start..];
        let mut last_sums = [T::ZERO; COLUMNS];
        let last_sums = &mut last_sums[..last.len()];
        for row in rows.chunks_exact(width.max(1)) {
            for (sum, &d) in last_sums.iter_mut().zip(&row[block_start..]) {
                *sum += d;
            }
        }
        last.copy_from_slice(last_sums);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::flat::Flat;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use crate::mode::Eval;
    use rand::{rngs::StdRng, SeedableRng};

    type Params = DenseParams<U4, U5, f64>;
    const LAYER: Dense<U4, U5> = Dense::new(Init::LeCun);

    fn setup() -> (Params, Matrix<U3, U4, f64>, Matrix<U3, U5, f64>) {
        let mut params = Params::zeroed();
        LAYER.init(&mut params, &mut [], &mut StdRng::seed_from_u64(5));
        params.bias.copy_from_slice(&[0.1, -0.2, 0.3, 0.0, 0.5]);
        (params, test_weights(11), test_weights(12))
    }

    fn forward(params: &Params, x: &Matrix<U3, U4, f64>) -> Matrix<U3, U5, f64> {
        let mut y = Matrix::zeros();
        let io = Forward {
            params,
            buffers: &[],
            x,
            y: &mut y,
            cache: &mut [],
        };
        LAYER.forward(io, &mut Eval);
        y
    }

    /// dL/dparams and dL/dx for L = Σ cₖ·yₖ, whose dL/dy is c.
    fn backward(
        params: &Params,
        x: &Matrix<U3, U4, f64>,
        c: &Matrix<U3, U5, f64>,
        grads: &mut Params,
    ) -> Matrix<U3, U4, f64> {
        let y = forward(params, x);
        let mut dx = Matrix::zeros();
        LAYER.backward(Backward {
            params,
            x,
            y: &y,
            cache: &mut [],
            dy: c,
            grads,
            dx: Some(&mut dx),
        });
        dx
    }

    #[test]
    fn column_sums_of_wide_and_narrow_matrices() {
        for width in [0, 5, 32, 70] {
            let rows: std::vec::Vec<f64> = (0..3 * width).map(|i| i as f64).collect();
            let mut sums = std::vec![9.0; width];
            column_sums(&rows, &mut sums);
            let by_hand: std::vec::Vec<f64> =
                (0..width).map(|c| (3 * c + 3 * width) as f64).collect();
            assert_eq!(sums, by_hand, "{width}");
        }
    }

    #[test]
    fn both_copies_of_the_bias_sums_agree() {
        fn in_type<T: Scalar>() {
            use crate::simd::tests::{assert_same_bits, awkward_values};
            let rows = awkward_values::<T>(37 * 150, 5);
            assert_same_bits(|| {
                let mut sums = std::vec![T::ZERO; 150];
                column_sums(&rows, &mut sums);
                sums
            });
        }
        in_type::<f32>();
        in_type::<f64>();
    }

    #[test]
    fn backward_matches_finite_differences() {
        let (mut params, mut x, c) = setup();
        let mut grads = Params::zeroed();
        let dx = backward(&params, &x, &c, &mut grads);
        let report = GradCheck::F64
            .run(&mut params, &grads, |p| weighted_sum(&c, &forward(p, &x)))
            .unwrap();
        assert_eq!(report.checked, 25);
        GradCheck::F64
            .run(&mut x, &dx, |x| weighted_sum(&c, &forward(&params, x)))
            .unwrap();
    }

    #[test]
    fn backward_overwrites_old_gradients() {
        let (params, x, c) = setup();
        let mut fresh = Params::zeroed();
        backward(&params, &x, &c, &mut fresh);
        let mut stale = Params::zeroed();
        stale.as_flat_mut().fill(7.0);
        backward(&params, &x, &c, &mut stale);
        assert_eq!(fresh.as_flat(), stale.as_flat());
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        let (mut params, x, c) = setup();
        let mut grads = Params::zeroed();
        backward(&params, &x, &c, &mut grads);
        grads.bias[2] *= 1.001;
        let err = GradCheck::F64
            .run(&mut params, &grads, |p| weighted_sum(&c, &forward(p, &x)))
            .unwrap_err();
        assert_eq!(err.index, 20 + 2);
    }

    #[test]
    fn infer_is_the_evaluation_forward_pass() {
        let (params, x, _) = setup();
        let y = crate::layers::tests::assert_infer_is_eval_forward(LAYER, &params, &[], &x);
        assert_eq!(y.as_slice(), forward(&params, &x).as_slice());
        // One row by hand: y₀ = b₀ + Σᵢ W₀ᵢ·xᵢ.
        let by_hand = params.bias[0]
            + (0..4)
                .map(|i| params.weight[(0, i)] * x[(0, i)])
                .sum::<f64>();
        assert!((y[(0, 0)] - by_hand).abs() < 1e-12);
    }

    #[test]
    fn init_zeroes_biases_and_names_its_tensors() {
        let mut params = Params::zeroed();
        params.bias.fill(1.0);
        LAYER.init(&mut params, &mut [], &mut StdRng::seed_from_u64(1));
        assert!(params.bias.iter().all(|&b| b == 0.0));
        assert!(params.weight.as_slice().iter().all(|&w| w != 0.0));
        assert_eq!(Params::LEN, 25);
        let bias = Params::tensor_info("bias").unwrap();
        assert_eq!((bias.range(), bias.shape.dims()), (20..25, &[5][..]));
        assert_eq!(Params::tensor_info("weight").unwrap().shape.dims(), &[5, 4]);
    }
}
