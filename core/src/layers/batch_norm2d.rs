//! Batch normalization over the channels of `[C, H, W]` rows: one mean and variance per
//! channel, over the batch and the channel's H·W values.

use super::batch_norm::{
    backward_channels, forward_channels, infer_channels, update_running, BatchNorm,
    BatchNormBuffers, BatchNormCache, BatchNormParams,
};
use super::{Backward, Forward, Layer};
use crate::error::InvalidHyperParameter;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use core::fmt;
use core::marker::PhantomData;
use generic_array::ArrayLength;
use rand::Rng;

/// Batch normalization over channels, as `batch_norm` after a convolution in `network!`,
/// like PyTorch's `nn.BatchNorm2d(C, eps, momentum)`: [`BatchNorm`]'s computation with the
/// statistics of each channel taken over the batch and the channel's H·W positions (n =
/// B·H·W values, the running variance unbiased with n/(n − 1)). Its parameters and buffers
/// are [`BatchNorm`]'s, one value per channel, with PyTorch's names.
///
/// # Type parameters
/// `I` the width of a row, C·H·W, the same in and out; `C` the channels (typenum numbers).
///
/// ```
/// use typenet_core::layers::{BatchNorm2d, BatchNormBuffers, BatchNormCache, BatchNormParams};
/// use typenet_core::layers::{Forward, Layer};
/// use typenet_core::{mode::Train, Flat, Matrix, dim::{U1, U2, U4}};
/// use rand::{rngs::StdRng, SeedableRng};
/// // One row of 2 channels of 2 values: each channel is normalized on its own.
/// let norm = BatchNorm2d::<U4, U2>::DEFAULT;
/// let mut rng = StdRng::seed_from_u64(0);
/// let (mut params, mut buffers) = (BatchNormParams::<U2, f64>::zeroed(), BatchNormBuffers::zeroed());
/// norm.init(&mut params, &mut buffers, &mut rng);
/// let x = Matrix::<U1, U4, f64>::from_fn(|_, j| [1.0, 3.0, 10.0, 30.0][j]);
/// let (mut y, mut cache) = (Matrix::zeros(), BatchNormCache::zeroed());
/// let io = Forward { params: &params, buffers: &buffers, x: &x, y: &mut y, cache: &mut cache };
/// norm.forward(io, &mut Train::new(&mut rng));
/// assert_eq!(cache.mean.as_slice(), &[2.0, 20.0]);
/// assert!(y.as_slice().iter().zip([-1.0, 1.0, -1.0, 1.0]).all(|(y, e)| (y - e).abs() < 1e-4));
/// ```
pub struct BatchNorm2d<I, C> {
    norm: BatchNorm<C>,
    width: PhantomData<I>,
}

impl<I: ArrayLength, C: ArrayLength> BatchNorm2d<I, C> {
    /// PyTorch's defaults: ε = 10⁻⁵, momentum 0.1.
    pub const DEFAULT: Self = Self::new(1e-5, 0.1);

    /// Batch norm over channels adding `eps` to the variance and updating its running
    /// statistics with weight `momentum` on the batch's.
    ///
    /// # Panics
    /// As [`BatchNorm::new`], and if `I` is not a multiple of `C`; in a constant, that is a
    /// compile error.
    pub const fn new(eps: f64, momentum: f64) -> Self {
        assert!(
            C::USIZE > 0 && I::USIZE % C::USIZE == 0,
            "BatchNorm2d: the width I must be the channels C times H·W"
        );
        BatchNorm2d {
            norm: BatchNorm::new(eps, momentum),
            width: PhantomData,
        }
    }

    /// [`new`](BatchNorm2d::new), or an error naming the first invalid hyper-parameter
    /// (as [`BatchNorm::try_new`]).
    pub fn try_new(eps: f64, momentum: f64) -> Result<Self, InvalidHyperParameter> {
        BatchNorm::<C>::try_new(eps, momentum)?;
        Ok(Self::new(eps, momentum))
    }

    /// ε, added to the variance before its square root.
    pub const fn eps(&self) -> f64 {
        self.norm.eps()
    }

    /// The weight of a batch's statistics in the running ones.
    pub const fn momentum(&self) -> f64 {
        self.norm.momentum()
    }
}

impl<I, C> Clone for BatchNorm2d<I, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, C> Copy for BatchNorm2d<I, C> {}

impl<I, C> fmt::Debug for BatchNorm2d<I, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchNorm2d")
            .field("eps", &self.norm.eps())
            .field("momentum", &self.norm.momentum())
            .finish()
    }
}

impl<I, C> fmt::Display for BatchNorm2d<I, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("batch_norm2d")
    }
}

impl<T: Scalar, I: ArrayLength, C: ArrayLength> Layer<T> for BatchNorm2d<I, C> {
    type Input = I;
    type Output = I;
    type Params = BatchNormParams<C, T>;
    type Buffers = BatchNormBuffers<C, T>;
    type Cache<B: ArrayLength> = BatchNormCache<B, I, T, C>;
    /// A channel of more than one position has a variance in a batch of one row.
    const MIN_TRAINING_BATCH: usize = if I::USIZE > C::USIZE { 1 } else { 2 };

    /// γ = 1 and β = 0, running mean 0 and running variance 1, as in PyTorch.
    fn init<R: Rng + ?Sized>(
        &self,
        params: &mut Self::Params,
        buffers: &mut Self::Buffers,
        rng: &mut R,
    ) {
        Layer::<T>::init(&self.norm, params, buffers, rng);
    }

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        let (params, buffers, eps) = (io.params, io.buffers, self.norm.eps());
        forward_channels::<B, I, C, T, M>(eps, params, buffers, (io.x, io.y), io.cache);
    }

    fn infer<B: ArrayLength>(
        &self,
        params: &Self::Params,
        buffers: &Self::Buffers,
        x: &Matrix<B, I, T>,
        y: &mut Matrix<B, I, T>,
    ) {
        infer_channels(self.norm.eps(), params, buffers, x, y);
    }

    /// The training-mode derivative, through the batch's per-channel μ and σ².
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        backward_channels(&io.params.weight, io.cache, io.dy, io.grads, io.dx);
    }

    fn update_buffers<B: ArrayLength>(&self, buffers: &mut Self::Buffers, cache: &Self::Cache<B>) {
        update_running(self.norm.momentum(), buffers, cache);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::test_weights;
    use crate::layers::tests::{assert_infer_is_eval_forward, check_layer_backward, train_forward};
    use crate::Flat;
    use std::string::ToString;

    /// 3 channels of 2×2.
    type Norm = BatchNorm2d<U12, U3>;

    fn blocks(seed: u64) -> (BatchNormParams<U3, f64>, BatchNormBuffers<U3, f64>) {
        let (params, mut buffers): (BatchNormParams<U3, f64>, BatchNormBuffers<U3, f64>) =
            (test_weights(seed), test_weights(seed + 1));
        buffers
            .running_var
            .iter_mut()
            .for_each(|v| *v = v.abs() + 0.5);
        (params, buffers)
    }

    #[test]
    fn backward_matches_finite_differences() {
        let (mut params, buffers) = blocks(1);
        let mut x: Matrix<U2, U12, f64> = test_weights(3);
        assert_eq!(
            check_layer_backward(Norm::DEFAULT, &mut params, &buffers, &mut x, 4),
            (6, 24)
        );
        // One row is a batch: each channel still has 4 values.
        let mut x: Matrix<U1, U12, f64> = test_weights(5);
        assert_eq!(
            check_layer_backward(Norm::DEFAULT, &mut params, &buffers, &mut x, 6),
            (6, 12)
        );
        assert_eq!(<Norm as Layer<f64>>::MIN_TRAINING_BATCH, 1);
        assert_eq!(<BatchNorm2d<U3, U3> as Layer<f64>>::MIN_TRAINING_BATCH, 2);
    }

    #[test]
    fn statistics_are_per_channel_over_the_batch_and_positions() {
        let norm = Norm::new(1e-5, 0.25);
        let (params, mut buffers) = blocks(7);
        let running = (buffers.running_mean, buffers.running_var);
        // Channel c of row b holds 4b + c·10 + (0, 1, 2, 3).
        let x = Matrix::<U2, U12, f64>::from_fn(|b, j| (4 * b + j % 4 + 10 * (j / 4)) as f64);
        let (_, cache) = train_forward(norm, (&params, &buffers), &x);
        // Values 0..8 (+10c): mean 3.5 + 10c, biased variance 5.25, unbiased 6.
        assert_eq!(cache.mean.as_slice(), &[3.5, 13.5, 23.5]);
        assert_eq!(cache.var.as_slice(), &[5.25; 3]);
        Layer::<f64>::update_buffers(&norm, &mut buffers, &cache);
        for c in 0..3 {
            let mean = 0.75 * running.0[c] + 0.25 * (3.5 + 10.0 * c as f64);
            let var = 0.75 * running.1[c] + 0.25 * 6.0;
            assert!((buffers.running_mean[c] - mean).abs() < 1e-14);
            assert!((buffers.running_var[c] - var).abs() < 1e-14);
        }
        assert_infer_is_eval_forward(norm, &params, &buffers, &x);
    }

    /// With one value per channel it is batch norm over features, bit for bit.
    #[test]
    fn one_position_per_channel_is_batch_norm() {
        let (params, buffers) = blocks(9);
        let x: Matrix<U4, U3, f64> = test_weights(10);
        let flat = BatchNorm::<U3>::DEFAULT;
        let planar = BatchNorm2d::<U3, U3>::DEFAULT;
        let (y1, cache1) = train_forward(flat, (&params, &buffers), &x);
        let (y2, cache2) = train_forward(planar, (&params, &buffers), &x);
        assert_eq!(
            (y1.as_slice(), cache1.as_flat()),
            (y2.as_slice(), cache2.as_flat())
        );
    }

    #[test]
    fn hyper_parameters_and_display() {
        let err = Norm::try_new(1e-5, 2.0).unwrap_err();
        assert_eq!(err.name, "batch norm momentum");
        let norm = Norm::try_new(1e-3, 0.01).unwrap();
        assert_eq!((norm.eps(), norm.momentum()), (1e-3, 0.01));
        assert_eq!(norm.to_string(), "batch_norm2d");
    }

    #[test]
    #[should_panic(expected = "the width I must be the channels C times H·W")]
    fn new_rejects_a_width_that_is_not_a_multiple_of_the_channels() {
        let _ = BatchNorm2d::<U10, U3>::new(core::hint::black_box(1e-5), 0.1);
    }
}
