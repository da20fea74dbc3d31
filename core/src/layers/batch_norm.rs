//! Batch normalization: y = γ·(x − μ)/√(σ² + ε) + β per feature, with the batch's statistics
//! in training and running ones in evaluation.

use super::{Backward, Forward, Layer};
use crate::mode::Mode;
use crate::tensors::{Role, Shape, TensorInfo, Tensors};
use crate::{InvalidHyperParameter, Matrix, Number, Scalar};
use core::fmt;
use core::marker::PhantomData;
use generic_array::{ArrayLength, GenericArray};
use rand::Rng;

/// Batch normalization over the features of a row, as `batch_norm` in `network!`, like
/// PyTorch's `nn.BatchNorm1d(W, eps, momentum)`. In training each feature is normalized with
/// the batch's mean μ and biased variance σ², then scaled by γ and shifted by β; the running
/// statistics follow running = (1 − momentum)·running + momentum·batch, with the unbiased
/// variance σ²·B/(B − 1). In evaluation the running statistics take the batch's place.
///
/// # Type parameters
/// `W` the width of a row (a typenum number), the same in and out.
///
/// ```
/// use typenet_core::layers::{BatchNorm, BatchNormBuffers, BatchNormCache, BatchNormParams};
/// use typenet_core::layers::{Forward, Layer};
/// use typenet_core::{mode::Train, Flat, Matrix, dim::{U1, U2}};
/// use rand::{rngs::StdRng, SeedableRng};
/// let norm = BatchNorm::<U1>::DEFAULT;
/// let mut rng = StdRng::seed_from_u64(0);
/// let mut params = BatchNormParams::<U1, f64>::zeroed();
/// let mut buffers = BatchNormBuffers::zeroed();
/// norm.init(&mut params, &mut buffers, &mut rng); // γ = 1, β = 0
/// let x = Matrix::<U2, U1, f64>::from_fn(|r, _| [1.0, 3.0][r]);
/// let (mut y, mut cache) = (Matrix::zeros(), BatchNormCache::zeroed());
/// let io = Forward { params: &params, buffers: &buffers, x: &x, y: &mut y, cache: &mut cache };
/// norm.forward(io, &mut Train::new(&mut rng));
/// // μ = 2 and σ² = 1, so y = ∓1/√(1 + 10⁻⁵).
/// assert!((y[(0, 0)] + 1.0).abs() < 1e-5 && (y[(1, 0)] - 1.0).abs() < 1e-5);
/// norm.update_buffers(&mut buffers, &cache);
/// // 0.9·0 + 0.1·2, and 0.9·1 + 0.1·(1·2/1).
/// assert!((buffers.running_mean[0] - 0.2).abs() < 1e-15);
/// assert!((buffers.running_var[0] - 1.1).abs() < 1e-15);
/// ```
///
/// Its running variance divides by B − 1, so a batch of one row leaves the running statistics
/// as they were (a network refuses to train on one row at compile time):
///
/// ```
/// use typenet_core::layers::{BatchNorm, BatchNormBuffers, BatchNormCache, Layer};
/// use typenet_core::{Flat, dim::{U1, U2}};
/// let mut buffers = BatchNormBuffers::<U2, f64>::zeroed();
/// let cache = BatchNormCache::<U1, U2, f64>::zeroed();
/// Layer::<f64>::update_buffers(&BatchNorm::<U2>::DEFAULT, &mut buffers, &cache);
/// assert_eq!(buffers.as_flat(), &[0.0; 4]);
/// ```
pub struct BatchNorm<W> {
    eps: f64,
    momentum: f64,
    width: PhantomData<W>,
}

impl<W> BatchNorm<W> {
    /// PyTorch's defaults: ε = 10⁻⁵, momentum 0.1.
    pub const DEFAULT: Self = Self::new(1e-5, 0.1);

    /// Batch norm adding `eps` to the variance and updating its running statistics with
    /// weight `momentum` on the batch's.
    ///
    /// The constant form, which the `network!` macro uses with values it has checked; at run
    /// time, use [`try_new`](BatchNorm::try_new), which returns an error instead.
    ///
    /// # Panics
    /// If `eps` is not a finite number greater than 0, or `momentum` is not in [0, 1] (NaN
    /// included); in a constant, that is a compile error.
    pub const fn new(eps: f64, momentum: f64) -> Self {
        assert!(
            valid_eps(eps),
            "BatchNorm::new: batch norm eps must be a finite number greater than 0"
        );
        assert!(
            valid_momentum(momentum),
            "BatchNorm::new: batch norm momentum must be in [0, 1]"
        );
        BatchNorm {
            eps,
            momentum,
            width: PhantomData,
        }
    }

    /// [`new`](BatchNorm::new), or an error naming the first invalid hyper-parameter.
    ///
    /// ```
    /// use typenet_core::{layers::BatchNorm, dim::U8};
    /// assert!(BatchNorm::<U8>::try_new(1e-3, 0.01).is_ok());
    /// assert_eq!(BatchNorm::<U8>::try_new(0.0, 0.1).unwrap_err().name, "batch norm eps");
    /// ```
    pub fn try_new(eps: f64, momentum: f64) -> Result<Self, InvalidHyperParameter> {
        if !valid_eps(eps) {
            return Err(InvalidHyperParameter {
                name: "batch norm eps",
                value: Number::F64(eps),
                expected: "a finite number greater than 0",
            });
        }
        if !valid_momentum(momentum) {
            return Err(InvalidHyperParameter {
                name: "batch norm momentum",
                value: Number::F64(momentum),
                expected: "a number in [0, 1]",
            });
        }
        Ok(Self::new(eps, momentum))
    }

    /// ε, added to the variance before its square root.
    pub const fn eps(&self) -> f64 {
        self.eps
    }

    /// The weight of a batch's statistics in the running ones.
    pub const fn momentum(&self) -> f64 {
        self.momentum
    }
}

const fn valid_eps(eps: f64) -> bool {
    eps > 0.0 && eps.is_finite()
}

const fn valid_momentum(momentum: f64) -> bool {
    0.0 <= momentum && momentum <= 1.0
}

impl<W> Clone for BatchNorm<W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<W> Copy for BatchNorm<W> {}

impl<W> fmt::Debug for BatchNorm<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchNorm")
            .field("eps", &self.eps)
            .field("momentum", &self.momentum)
            .finish()
    }
}

impl<W> fmt::Display for BatchNorm<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("batch_norm")
    }
}

crate::flat_struct! { @core
    /// The parameters of a [`BatchNorm`] layer: a scale and a shift per feature.
    ///
    /// ```
    /// use typenet_core::{layers::BatchNormParams, tensors::{Role, Tensors}, dim::U3};
    /// let gamma = BatchNormParams::<U3, f32>::tensor_info("weight").unwrap();
    /// assert_eq!((gamma.role, gamma.range()), (Role::Scale, 0..3));
    /// ```
    pub struct BatchNormParams[W: ArrayLength, T = f32][W: ArrayLength, T: Scalar][W, T] (T, W) {
        /// γ, `W` values (`weight` in PyTorch).
        pub weight: GenericArray<T, W>,
        /// β, `W` values (`bias` in PyTorch).
        pub bias: GenericArray<T, W>,
    }
}

crate::flat_struct! { @core
    /// The buffers of a [`BatchNorm`] layer: the running statistics used in evaluation.
    ///
    /// ```
    /// use typenet_core::{layers::BatchNormBuffers, tensors::{Role, Tensors}, dim::U3};
    /// let var = BatchNormBuffers::<U3, f32>::tensor_info("running_var").unwrap();
    /// assert_eq!((var.role, var.range()), (Role::RunningStatistic, 3..6));
    /// ```
    pub struct BatchNormBuffers[W: ArrayLength, T = f32][W: ArrayLength, T: Scalar][W, T] (T, W) {
        /// The running mean, `W` values (`running_mean` in PyTorch).
        pub running_mean: GenericArray<T, W>,
        /// The running unbiased variance, `W` values (`running_var` in PyTorch).
        pub running_var: GenericArray<T, W>,
    }
}

crate::flat_struct! { @core
    /// What a [`BatchNorm`] forward pass over `B` rows keeps: for the backward pass x̂ and
    /// 1/√(σ² + ε), for [`update_buffers`](Layer::update_buffers) μ and σ². Its statistics
    /// are per feature, or per channel `C` for a [`BatchNorm2d`](super::BatchNorm2d).
    ///
    /// ```
    /// use typenet_core::{layers::BatchNormCache, Flat, dim::{U2, U3, U12}};
    /// assert_eq!(BatchNormCache::<U2, U3, f32>::LEN, 2 * 3 + 3 * 3);
    /// assert_eq!(BatchNormCache::<U2, U12, f32, U3>::LEN, 2 * 12 + 3 * 3);
    /// ```
    pub struct BatchNormCache[B: ArrayLength, W: ArrayLength, T = f32, C: ArrayLength = W][B: ArrayLength, W: ArrayLength, T: Scalar, C: ArrayLength][B, W, T, C] (T, (B, W, C)) {
        /// x̂ = (x − μ)/√(σ² + ε), `B`×`W`.
        pub x_hat: Matrix<B, W, T>,
        /// 1/√(σ² + ε) per feature (channel).
        pub inv_std: GenericArray<T, C>,
        /// μ per feature (channel): the batch's mean in training, the running mean in
        /// evaluation.
        pub mean: GenericArray<T, C>,
        /// σ² per feature (channel): the batch's biased variance in training, the running
        /// variance in evaluation.
        pub var: GenericArray<T, C>,
    }
}

impl<W: ArrayLength, T: Scalar> Tensors<T> for BatchNormParams<W, T> {
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo)) {
        let n = W::USIZE;
        visit(TensorInfo::new("weight", Role::Scale, Shape::vector(n), 0));
        visit(TensorInfo::new("bias", Role::Shift, Shape::vector(n), n));
    }
}

impl<W: ArrayLength, T: Scalar> Tensors<T> for BatchNormBuffers<W, T> {
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo)) {
        let (n, role) = (W::USIZE, Role::RunningStatistic);
        visit(TensorInfo::new("running_mean", role, Shape::vector(n), 0));
        visit(TensorInfo::new("running_var", role, Shape::vector(n), n));
    }
}

/// `out[c] = Σ_b Σ_s f(b, c·area + s)` over the `B` rows of a batch and the `area` values of
/// each channel `c`, row by row.
fn sum_over_batch<B: ArrayLength, C: ArrayLength, T: Scalar>(
    out: &mut GenericArray<T, C>,
    area: usize,
    f: impl Fn(usize, usize) -> T,
) {
    out.fill(T::ZERO);
    for b in 0..B::USIZE {
        for (c, o) in out.iter_mut().enumerate() {
            for j in c * area..(c + 1) * area {
                *o += f(b, j);
            }
        }
    }
}

/// The values per channel of a row of `W` values in `C` channels (1 for [`BatchNorm`]).
const fn area<W: ArrayLength, C: ArrayLength>() -> usize {
    W::USIZE / C::USIZE
}

/// The forward pass of batch normalization over `C` channels of `W`/`C` adjacent values
/// each: [`BatchNorm`] (one value per channel) and [`BatchNorm2d`](super::BatchNorm2d).
pub(super) fn forward_channels<B, W, C, T, M>(
    eps: f64,
    params: &BatchNormParams<C, T>,
    buffers: &BatchNormBuffers<C, T>,
    (x, y): (&Matrix<B, W, T>, &mut Matrix<B, W, T>),
    cache: &mut BatchNormCache<B, W, T, C>,
) where
    B: ArrayLength,
    W: ArrayLength,
    C: ArrayLength,
    T: Scalar,
    M: Mode,
{
    let area = area::<W, C>();
    let n = T::from_usize(B::USIZE * area);
    if M::TRAINING {
        // μ = Σ x / n over the batch and the channel's values
        sum_over_batch::<B, C, T>(&mut cache.mean, area, |b, j| x[(b, j)] / n);
        let mean = &cache.mean;
        // σ² = Σ (x − μ)² / n
        sum_over_batch::<B, C, T>(&mut cache.var, area, |b, j| {
            let d = x[(b, j)] - mean[j / area];
            d * d / n
        });
    } else {
        cache.mean.copy_from_slice(&buffers.running_mean);
        cache.var.copy_from_slice(&buffers.running_var);
    }
    let eps = T::from_f64(eps);
    for (s, &var) in cache.inv_std.iter_mut().zip(&cache.var) {
        *s = T::ONE / (var + eps).sqrt();
    }
    let (gamma, beta) = (&params.weight, &params.bias);
    for (b, row) in x.rows().iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            let c = j / area;
            // x̂ = (x − μ)/√(σ² + ε); in training μ and σ² depend on x (see backward)
            let x_hat = (x - cache.mean[c]) * cache.inv_std[c];
            cache.x_hat[(b, j)] = x_hat;
            // y = γ·x̂ + β  ⇒  ∂y/∂γ = x̂, ∂y/∂β = 1, ∂y/∂x̂ = γ
            y[(b, j)] = gamma[c] * x_hat + beta[c];
        }
    }
}

/// Normalization with the running statistics, computing each channel's 1/√(σ² + ε) as the
/// evaluation forward pass does, so that the output is the same bit for bit.
pub(super) fn infer_channels<B, W, C, T>(
    eps: f64,
    params: &BatchNormParams<C, T>,
    buffers: &BatchNormBuffers<C, T>,
    x: &Matrix<B, W, T>,
    y: &mut Matrix<B, W, T>,
) where
    B: ArrayLength,
    W: ArrayLength,
    C: ArrayLength,
    T: Scalar,
{
    let area = area::<W, C>();
    let eps = T::from_f64(eps);
    let (gamma, beta) = (&params.weight, &params.bias);
    let (mean, var) = (&buffers.running_mean, &buffers.running_var);
    for c in 0..C::USIZE {
        let inv_std = T::ONE / (var[c] + eps).sqrt();
        for b in 0..B::USIZE {
            for j in c * area..(c + 1) * area {
                let x_hat = (x[(b, j)] - mean[c]) * inv_std;
                y[(b, j)] = gamma[c] * x_hat + beta[c];
            }
        }
    }
}

/// The training-mode backward pass over channels, through the batch's μ and σ².
pub(super) fn backward_channels<B, W, C, T>(
    gamma: &GenericArray<T, C>,
    cache: &BatchNormCache<B, W, T, C>,
    dy: &Matrix<B, W, T>,
    grads: &mut BatchNormParams<C, T>,
    dx: Option<&mut Matrix<B, W, T>>,
) where
    B: ArrayLength,
    W: ArrayLength,
    C: ArrayLength,
    T: Scalar,
{
    let area = area::<W, C>();
    // dL/dβ = Σ dy
    sum_over_batch::<B, C, T>(&mut grads.bias, area, |b, j| dy[(b, j)]);
    // dL/dγ = Σ dy·x̂
    sum_over_batch::<B, C, T>(&mut grads.weight, area, |b, j| {
        dy[(b, j)] * cache.x_hat[(b, j)]
    });
    let Some(dx) = dx else { return };
    let n = T::from_usize(B::USIZE * area);
    for (b, row) in dx.rows_mut().iter_mut().enumerate() {
        for (j, dx) in row.iter_mut().enumerate() {
            let c = j / area;
            // dL/dx̂ = γ·dy, and x̂ = (x − μ)/√(σ² + ε) with ∂μ/∂x = 1/n and
            // ∂σ²/∂x = 2(x − μ)/n  ⇒
            // dL/dx = (γ/√(σ² + ε)/n)·(n·dy − Σ dy − x̂·Σ dy·x̂)
            let k = gamma[c] * cache.inv_std[c] / n;
            let sums = grads.bias[c] + cache.x_hat[(b, j)] * grads.weight[c];
            *dx = k * (n * dy[(b, j)] - sums);
        }
    }
}

/// running_mean ← (1 − m)·running_mean + m·μ and running_var ← (1 − m)·running_var +
/// m·σ²·n/(n − 1), m the momentum and n the values per channel in the batch.
pub(super) fn update_running<B, W, C, T>(
    momentum: f64,
    buffers: &mut BatchNormBuffers<C, T>,
    cache: &BatchNormCache<B, W, T, C>,
) where
    B: ArrayLength,
    W: ArrayLength,
    C: ArrayLength,
    T: Scalar,
{
    let n = B::USIZE * area::<W, C>();
    // A batch of one value per channel has no unbiased variance. Networks refuse to train on
    // one at compile time (MIN_TRAINING_BATCH); called directly, the statistics stay as they
    // are.
    if n < 2 {
        return;
    }
    let (m, keep) = (T::from_f64(momentum), T::from_f64(1.0 - momentum));
    let unbiased = T::from_f64(n as f64 / (n - 1) as f64);
    for (r, &mean) in buffers.running_mean.iter_mut().zip(&cache.mean) {
        *r = keep * *r + m * mean;
    }
    for (r, &var) in buffers.running_var.iter_mut().zip(&cache.var) {
        *r = keep * *r + m * var * unbiased;
    }
}

impl<T: Scalar, W: ArrayLength> Layer<T> for BatchNorm<W> {
    type Input = W;
    type Output = W;
    type Params = BatchNormParams<W, T>;
    type Buffers = BatchNormBuffers<W, T>;
    type Cache<B: ArrayLength> = BatchNormCache<B, W, T>;
    const MIN_TRAINING_BATCH: usize = 2;

    /// γ = 1 and β = 0, so that the layer starts as plain normalization; running mean 0 and
    /// running variance 1, as in PyTorch.
    fn init<R: Rng + ?Sized>(
        &self,
        params: &mut Self::Params,
        buffers: &mut Self::Buffers,
        _: &mut R,
    ) {
        params.weight.fill(T::ONE);
        params.bias.fill(T::ZERO);
        buffers.running_mean.fill(T::ZERO);
        buffers.running_var.fill(T::ONE);
    }

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        let (params, buffers) = (io.params, io.buffers);
        forward_channels::<B, W, W, T, M>(self.eps, params, buffers, (io.x, io.y), io.cache);
    }

    /// Normalizes with the running statistics, computing each feature's 1/√(σ² + ε) as the
    /// evaluation forward pass does, so that the output is the same bit for bit.
    fn infer<B: ArrayLength>(
        &self,
        params: &Self::Params,
        buffers: &Self::Buffers,
        x: &Matrix<B, W, T>,
        y: &mut Matrix<B, W, T>,
    ) {
        infer_channels(self.eps, params, buffers, x, y);
    }

    /// The training-mode derivative, through the batch's μ and σ². (After an evaluation
    /// pass, where μ and σ² are constants, the derivative would be dy·γ/√(σ² + ε).)
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        backward_channels(&io.params.weight, io.cache, io.dy, io.grads, io.dx);
    }

    /// running_mean ← (1 − m)·running_mean + m·μ and running_var ← (1 − m)·running_var +
    /// m·σ²·B/(B − 1), m the momentum; from the cache of a training pass.
    fn update_buffers<B: ArrayLength>(&self, buffers: &mut Self::Buffers, cache: &Self::Cache<B>) {
        update_running(self.momentum, buffers, cache);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use crate::mode::{Eval, Train};
    use crate::Flat;
    use rand::{rngs::StdRng, SeedableRng};
    use std::{string::ToString, vec::Vec};

    type Params<W> = BatchNormParams<W, f64>;
    type Buffers<W> = BatchNormBuffers<W, f64>;

    fn matrix<B: ArrayLength, const R: usize>(rows: [[f64; 2]; R]) -> Matrix<B, U2, f64> {
        Matrix::from_fn(|b, j| rows[b][j])
    }

    /// γ = (2, −1), β = (0.5, 1).
    fn params() -> Params<U2> {
        let mut params = Params::zeroed();
        params.weight.copy_from_slice(&[2.0, -1.0]);
        params.bias.copy_from_slice(&[0.5, 1.0]);
        params
    }

    fn initial<W: ArrayLength>(norm: BatchNorm<W>) -> (Params<W>, Buffers<W>) {
        let (mut params, mut buffers) = (Params::zeroed(), Buffers::zeroed());
        norm.init(&mut params, &mut buffers, &mut StdRng::seed_from_u64(0));
        (params, buffers)
    }

    fn forward<B: ArrayLength, W: ArrayLength, M: Mode>(
        norm: BatchNorm<W>,
        (params, buffers): (&Params<W>, &Buffers<W>),
        x: &Matrix<B, W, f64>,
        mode: &mut M,
    ) -> (Matrix<B, W, f64>, BatchNormCache<B, W, f64>) {
        let (mut y, mut cache) = (Matrix::zeros(), BatchNormCache::zeroed());
        let io = Forward {
            params,
            buffers,
            x,
            y: &mut y,
            cache: &mut cache,
        };
        norm.forward(io, mode);
        (y, cache)
    }

    fn train<B: ArrayLength, W: ArrayLength>(
        norm: BatchNorm<W>,
        blocks: (&Params<W>, &Buffers<W>),
        x: &Matrix<B, W, f64>,
    ) -> (Matrix<B, W, f64>, BatchNormCache<B, W, f64>) {
        forward(
            norm,
            blocks,
            x,
            &mut Train::new(&mut StdRng::seed_from_u64(0)),
        )
    }

    /// μ = (2, 10), σ² = (10/4, 58/4): with ε = 1.5, √(σ² + ε) = (2, 4) and all is exact.
    fn batch() -> Matrix<U4, U2, f64> {
        matrix([[0.0, 12.0], [1.0, 5.0], [3.0, 15.0], [4.0, 8.0]])
    }

    #[test]
    fn infer_normalizes_with_the_running_statistics() {
        let norm = BatchNorm::<U2>::new(1e-5, 0.1);
        let mut buffers = Buffers::<U2>::zeroed();
        buffers.running_mean.copy_from_slice(&[1.0, -2.0]);
        buffers.running_var.copy_from_slice(&[4.0, 0.25]);
        let x = matrix::<U3, 3>([[3.0, -2.0], [1.0, 0.0], [-1.0, 1e300]]);
        let y = crate::layers::tests::assert_infer_is_eval_forward(norm, &params(), &buffers, &x);
        // y = γ·(x − mean)/√(var + ε) + β, by hand for the first row.
        let expected = [
            2.0 * 2.0 / (4.0f64 + 1e-5).sqrt() + 0.5,
            -(0.0 / (0.25f64 + 1e-5).sqrt()) + 1.0,
        ];
        assert_eq!(y.rows()[0].as_slice(), &expected);
    }

    #[test]
    fn training_forward_by_hand() {
        let norm = BatchNorm::new(1.5, 0.1);
        let (y, cache) = train(norm, (&params(), &initial(norm).1), &batch());
        assert_eq!(cache.mean.as_slice(), &[2.0, 10.0]);
        assert_eq!(cache.var.as_slice(), &[2.5, 14.5]);
        assert_eq!(cache.inv_std.as_slice(), &[0.5, 0.25]);
        let x_hat = matrix([[-1.0, 0.5], [-0.5, -1.25], [0.5, 1.25], [1.0, -0.5]]);
        assert_eq!(cache.x_hat, x_hat);
        // y = (2·x̂₀ + 0.5, −x̂₁ + 1)
        assert_eq!(
            y,
            matrix([[-1.5, 0.5], [-0.5, 2.25], [1.5, -0.25], [2.5, 1.5]])
        );
    }

    #[test]
    fn evaluation_uses_the_running_statistics() {
        let norm = BatchNorm::new(1.0, 0.1);
        let mut buffers = Buffers::zeroed();
        buffers.running_mean.copy_from_slice(&[1.0, -2.0]);
        buffers.running_var.copy_from_slice(&[3.0, 15.0]); // √(σ² + ε) = (2, 4)
        let x = matrix::<U2, 2>([[5.0, 2.0], [-1.0, -6.0]]); // x̂ = ((2, 1), (−1, −1))
        let (y, _) = forward(norm, (&params(), &buffers), &x, &mut Eval);
        assert_eq!(y, matrix([[4.5, 0.0], [-1.5, 2.0]]));
        // One row is a batch in evaluation.
        let (y, _) = forward(
            norm,
            (&params(), &buffers),
            &matrix::<U1, 1>([[5.0, 2.0]]),
            &mut Eval,
        );
        assert_eq!(y.as_slice(), &[4.5, 0.0]);
    }

    #[test]
    fn running_statistics_after_two_batches() {
        // Momentum 0.1 weighs the batch (PyTorch), not the running value: running =
        // 0.9·running + 0.1·batch, starting from mean 0 and variance 1.
        let norm = BatchNorm::DEFAULT;
        let (params, mut buffers) = initial(norm);
        // μ = (2, 10), unbiased variance (10/3, 58/3): 0.1·(2, 10) and 0.9 + 0.1·(10/3, 58/3).
        let (_, cache) = train(norm, (&params, &buffers), &batch());
        norm.update_buffers(&mut buffers, &cache);
        assert_close(&buffers.running_mean, [0.2, 1.0]);
        assert_close(&buffers.running_var, [0.9 + 1.0 / 3.0, 0.9 + 5.8 / 3.0]);
        // A batch of 3: μ = (4, 1); unbiased variance (18/2, 6/2) = (9, 3).
        let x = matrix::<U3, 3>([[1.0, 0.0], [4.0, 3.0], [7.0, 0.0]]);
        let (_, cache) = train(norm, (&params, &buffers), &x);
        norm.update_buffers(&mut buffers, &cache);
        // 0.9·(0.2, 1) + 0.1·(4, 1), and 0.9·(0.9 + 1/3, 0.9 + 29/15) + 0.1·(9, 3).
        assert_close(&buffers.running_mean, [0.58, 1.0]);
        assert_close(&buffers.running_var, [2.01, 2.85]);
    }

    fn assert_close(found: &[f64], expected: [f64; 2]) {
        let close = found
            .iter()
            .zip(expected)
            .all(|(a, b)| (a - b).abs() < 1e-14);
        assert!(close, "{found:?}, expected {expected:?}");
    }

    #[test]
    fn backward_matches_finite_differences() {
        let norm = BatchNorm::<U4>::DEFAULT;
        let (mut params, buffers) = initial(norm);
        params.weight = test_weights(1);
        params.bias = test_weights(2);
        let (mut x, c): (Matrix<U3, U4, f64>, Matrix<U3, U4, f64>) =
            (test_weights(3), test_weights(4));
        let (y, mut cache) = train(norm, (&params, &buffers), &x);
        let (mut grads, mut dx) = (Params::zeroed(), Matrix::zeros());
        grads.as_flat_mut().fill(7.0); // overwritten, not added to
        norm.backward(Backward {
            params: &params,
            x: &x,
            y: &y,
            cache: &mut cache,
            dy: &c,
            grads: &mut grads,
            dx: Some(&mut dx),
        });
        let report = GradCheck::F64
            .run(&mut params, &grads, |p| {
                weighted_sum(&c, &train(norm, (p, &buffers), &x).0)
            })
            .unwrap();
        assert_eq!(report.checked, 8);
        let report = GradCheck::F64
            .run(&mut x, &dx, |x| {
                weighted_sum(&c, &train(norm, (&params, &buffers), x).0)
            })
            .unwrap();
        assert_eq!(report.checked, 12);
    }

    #[test]
    fn init_and_tensor_names_and_roles() {
        let norm = BatchNorm::<U3>::DEFAULT;
        let (params, buffers) = initial(norm);
        assert_eq!(
            (params.weight.as_slice(), params.bias.as_slice()),
            (&[1.0; 3][..], &[0.0; 3][..])
        );
        assert_eq!(buffers.running_mean.as_slice(), &[0.0; 3]);
        assert_eq!(buffers.running_var.as_slice(), &[1.0; 3]);
        let mut seen = Vec::new();
        let mut visit =
            |t: TensorInfo| seen.push((t.name, t.role, t.range(), t.shape.dims().to_vec()));
        Params::<U3>::visit_tensors(&mut visit);
        Buffers::<U3>::visit_tensors(&mut visit);
        let running = Role::RunningStatistic;
        assert_eq!(
            seen,
            [
                ("weight", Role::Scale, 0..3, [3].to_vec()),
                ("bias", Role::Shift, 3..6, [3].to_vec()),
                ("running_mean", running, 0..3, [3].to_vec()),
                ("running_var", running, 3..6, [3].to_vec()),
            ]
        );
        assert!(!running.is_trainable());
        assert_eq!(<BatchNorm<U3> as Layer<f64>>::MIN_TRAINING_BATCH, 2);
        assert_eq!(norm.to_string(), "batch_norm");
    }

    #[test]
    fn try_new_rejects_invalid_hyper_parameters() {
        for eps in [0.0, -0.0, -1e-5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = BatchNorm::<U2>::try_new(eps, 0.1).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("batch norm eps", "a finite number greater than 0")
            );
        }
        for momentum in [-0.1, 1.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = BatchNorm::<U2>::try_new(1e-5, momentum).unwrap_err();
            assert_eq!(
                (err.name, err.expected),
                ("batch norm momentum", "a number in [0, 1]")
            );
        }
        for momentum in [0.0, 1.0] {
            assert_eq!(
                BatchNorm::<U2>::try_new(1e-5, momentum).unwrap().momentum(),
                momentum
            );
        }
        let default = BatchNorm::<U2>::DEFAULT;
        assert_eq!((default.eps(), default.momentum()), (1e-5, 0.1));
    }

    #[test]
    #[should_panic(expected = "batch norm momentum must be in [0, 1]")]
    fn new_panics_on_an_invalid_momentum() {
        let _ = BatchNorm::<U2>::new(1e-5, core::hint::black_box(1.5));
    }
}
