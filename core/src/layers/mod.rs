//! Layers: one file each, forward and backward side by side, all behind one [`Layer`] trait.
//!
//! A layer type is its *configuration* as written in `network!` (`dense(128, init = he)`,
//! `dropout(0.5)`, `batch_norm(eps = 1e-5)`): a small `Copy` value. Its associated types name
//! the blocks a network keeps for it:
//! - [`Params`](Layer::Params): what it trains; gradients and optimizer state mirror it;
//! - [`Buffers`](Layer::Buffers): what it keeps but does not train (batch norm's running
//!   statistics);
//! - [`Cache`](Layer::Cache): what its forward pass leaves for its backward pass besides its
//!   input and output (a dropout mask, batch norm's normalized input).
//!
//! Each is a [`Flat`] block (`[T; 0]` when a layer has none), so the network macro only
//! composes fields; every type-level fact about a layer lives here.
//!
//! Images are rows too: a `[C, H, W]` activation is one row of C·H·W values in PyTorch's
//! order (channel, then row, then column), so activations and dropout work on it unchanged
//! and flattening costs nothing. [`Conv2d`], [`MaxPool2d`], [`AvgPool2d`] and [`BatchNorm2d`]
//! read their shapes from a geometry value ([`Conv2dGeometry`], [`Pool2dGeometry`]) that
//! their constructors check against their typenum widths, which the network macro computes.
//!
//! Adding a layer: one file here with a type implementing [`Layer`], its `mod`/`pub use`
//! lines below, and one row in the registry of the network macro (`macros/src/registry.rs`).

mod avg_pool2d;
mod batch_norm;
mod batch_norm2d;
mod conv2d;
mod dense;
mod dropout;
mod max_pool2d;
mod relu;
mod sigmoid;
mod spatial;
mod tanh;

pub use avg_pool2d::AvgPool2d;
pub use batch_norm::{BatchNorm, BatchNormBuffers, BatchNormCache, BatchNormParams};
pub use batch_norm2d::BatchNorm2d;
pub use conv2d::{Conv2d, Conv2dGeometry, Conv2dParams};
pub use dense::{Dense, DenseParams};
pub use dropout::Dropout;
pub use max_pool2d::MaxPool2d;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use spatial::Pool2dGeometry;
pub use tanh::Tanh;

use crate::flat::Flat;
use crate::init::Init;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use core::fmt;
use generic_array::ArrayLength;
use rand::Rng;

/// What a layer's forward pass reads and writes, for a batch of `B` rows.
pub struct Forward<'a, L: Layer<T>, B: ArrayLength, T: Scalar> {
    /// The layer's trainable parameters.
    pub params: &'a L::Params,
    /// The layer's buffers (read-only here; see [`Layer::update_buffers`]).
    pub buffers: &'a L::Buffers,
    /// The input, `B`×`Input`.
    pub x: &'a Matrix<B, L::Input, T>,
    /// The output, `B`×`Output`, overwritten.
    pub y: &'a mut Matrix<B, L::Output, T>,
    /// What the backward pass will need besides `x` and `y`.
    pub cache: &'a mut L::Cache<B>,
}

/// What a layer's backward pass reads and writes, for a batch of `B` rows.
pub struct Backward<'a, L: Layer<T>, B: ArrayLength, T: Scalar> {
    /// The layer's trainable parameters.
    pub params: &'a L::Params,
    /// The input the forward pass saw.
    pub x: &'a Matrix<B, L::Input, T>,
    /// The output the forward pass produced.
    pub y: &'a Matrix<B, L::Output, T>,
    /// What the forward pass cached. The backward pass may overwrite it, as scratch (a
    /// convolution rebuilds each row's patches there): nothing reads it afterwards.
    pub cache: &'a mut L::Cache<B>,
    /// dL/dy.
    pub dy: &'a Matrix<B, L::Output, T>,
    /// dL/dparams, overwritten.
    pub grads: &'a mut L::Params,
    /// dL/dx, overwritten, when the layer before needs it: `None` for the first layer unless
    /// the caller asked for the input's gradient.
    pub dx: Option<&'a mut Matrix<B, L::Input, T>>,
}

/// A layer of a network: its configuration, its blocks, and its forward and backward passes.
///
/// # Type parameters
/// `T` the scalar. The widths are associated types, so that a network's chain of layers is
/// checked by the compiler.
pub trait Layer<T: Scalar>: Copy + fmt::Display {
    /// The width of one input row.
    type Input: ArrayLength;
    /// The width of one output row.
    type Output: ArrayLength;
    /// The trainable parameters (`[T; 0]` for none).
    type Params: Tensors<T>;
    /// The buffers kept but not trained (`[T; 0]` for none).
    type Buffers: Tensors<T>;
    /// What the forward pass keeps for the backward pass besides its input and output, for a
    /// batch of `B` rows (`[T; 0]` for nothing).
    type Cache<B: ArrayLength>: Flat<T>;

    /// The fewest rows a training batch may have (batch norm: 2); checked at compile time.
    const MIN_TRAINING_BATCH: usize = 1;
    /// The initializer that suits the weights of a dense layer feeding this one (He before
    /// ReLU); `None` when this layer has no preference.
    const INIT_BEFORE: Option<Init> = None;

    /// Sets the parameters and buffers to their initial values.
    fn init<R: Rng + ?Sized>(
        &self,
        params: &mut Self::Params,
        buffers: &mut Self::Buffers,
        rng: &mut R,
    );

    /// The forward pass for a batch, in `mode`.
    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, mode: &mut M);

    /// The forward pass in evaluation, with no cache: what an inference-only pass runs. It
    /// writes the same `y`, bit for bit, as [`forward`](Layer::forward) in
    /// [`Eval`](crate::mode::Eval) mode.
    fn infer<B: ArrayLength>(
        &self,
        params: &Self::Params,
        buffers: &Self::Buffers,
        x: &Matrix<B, Self::Input, T>,
        y: &mut Matrix<B, Self::Output, T>,
    );

    /// After a training forward pass: updates the buffers from what it cached (batch norm's
    /// running statistics). Does nothing by default.
    fn update_buffers<B: ArrayLength>(&self, buffers: &mut Self::Buffers, cache: &Self::Cache<B>) {
        let _ = (buffers, cache);
    }

    /// The backward pass: from dL/dy, writes dL/dparams and, when asked, dL/dx.
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>);
}

/// A layer's trainable parameters.
pub type ParamsOf<L, T> = <L as Layer<T>>::Params;
/// A layer's buffers.
pub type BuffersOf<L, T> = <L as Layer<T>>::Buffers;

crate::flat_struct! { @core
    /// What a network keeps for one layer and a batch of `B` rows: the layer's output, the
    /// gradient of the loss with respect to it, and the layer's own cache.
    pub struct LayerCache[L: Layer<T>, B: ArrayLength, T: Scalar][L: Layer<T>, B: ArrayLength, T: Scalar][L, B, T] (T, L)
    {
        /// The layer's output.
        pub output: Matrix<B, L::Output, T>,
        /// dL/d(output).
        pub grad: Matrix<B, L::Output, T>,
        /// What the layer's forward pass kept for its backward pass.
        pub state: L::Cache<B>,
    }
}

/// An elementwise activation y = f(x): implement this and it is a [`Layer`] with no
/// parameters, no buffers and no cache, of any width `W` (as [`Elementwise<A, W>`]).
pub trait Activation: Copy + Default + fmt::Debug {
    /// Its name in `network!` and in messages: `"relu"`.
    const NAME: &'static str;
    /// The initializer that suits the weights of the dense layer feeding this activation.
    const INIT: Init;

    /// `y = f(x)`, element by element.
    fn forward<T: Scalar>(x: &[T], y: &mut [T]);

    /// `dx = dy ⊙ f′(x)`, computed from the output `y = f(x)`.
    fn backward<T: Scalar>(y: &[T], dy: &[T], dx: &mut [T]);
}

/// The [`Layer`] of an [`Activation`] `A` over `W` features: `relu`, `tanh` and `sigmoid` in
/// `network!`.
pub struct Elementwise<A, W>(core::marker::PhantomData<(A, W)>);

impl<A: Activation, W> Elementwise<A, W> {
    /// The layer (it has no configuration).
    pub const NEW: Self = Elementwise(core::marker::PhantomData);
}

impl<A: Activation, W> Clone for Elementwise<A, W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A: Activation, W> Copy for Elementwise<A, W> {}

impl<A: Activation, W> fmt::Display for Elementwise<A, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(A::NAME)
    }
}

impl<T: Scalar, A: Activation, W: ArrayLength> Layer<T> for Elementwise<A, W> {
    type Input = W;
    type Output = W;
    type Params = [T; 0];
    type Buffers = [T; 0];
    type Cache<B: ArrayLength> = [T; 0];
    const INIT_BEFORE: Option<Init> = Some(A::INIT);

    fn init<R: Rng + ?Sized>(&self, _: &mut [T; 0], _: &mut [T; 0], _: &mut R) {}

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        A::forward(io.x.as_slice(), io.y.as_mut_slice());
    }

    fn infer<B: ArrayLength>(
        &self,
        _: &[T; 0],
        _: &[T; 0],
        x: &Matrix<B, W, T>,
        y: &mut Matrix<B, W, T>,
    ) {
        A::forward(x.as_slice(), y.as_mut_slice());
    }

    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        if let Some(dx) = io.dx {
            A::backward(io.y.as_slice(), io.dy.as_slice(), dx.as_mut_slice());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use crate::mode::Eval;

    /// Asserts that `infer` writes what `forward` in evaluation mode writes, bit for bit, over
    /// an output that held other values; returns that output.
    pub fn assert_infer_is_eval_forward<L: Layer<f64>, B: ArrayLength>(
        layer: L,
        params: &L::Params,
        buffers: &L::Buffers,
        x: &Matrix<B, L::Input, f64>,
    ) -> Matrix<B, L::Output, f64> {
        let (mut forward_y, mut cache) = (Matrix::zeroed(), L::Cache::<B>::zeroed());
        let io = Forward {
            params,
            buffers,
            x,
            y: &mut forward_y,
            cache: &mut cache,
        };
        layer.forward(io, &mut Eval);
        let mut infer_y = Matrix::<B, L::Output, f64>::zeroed();
        infer_y.as_mut_slice().fill(7.0);
        layer.infer(params, buffers, x, &mut infer_y);
        let bits = |m: &Matrix<B, L::Output, f64>| {
            m.as_slice()
                .iter()
                .map(|v| v.to_bits())
                .collect::<std::vec::Vec<_>>()
        };
        assert_eq!(bits(&infer_y), bits(&forward_y));
        infer_y
    }

    /// A training forward pass (a fresh seeded source each time, so that it is a function).
    pub fn train_forward<L: Layer<f64>, B: ArrayLength>(
        layer: L,
        (params, buffers): (&L::Params, &L::Buffers),
        x: &Matrix<B, L::Input, f64>,
    ) -> (Matrix<B, L::Output, f64>, L::Cache<B>) {
        let (mut y, mut cache) = (Matrix::zeroed(), L::Cache::<B>::zeroed());
        let io = Forward {
            params,
            buffers,
            x,
            y: &mut y,
            cache: &mut cache,
        };
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
        layer.forward(io, &mut crate::mode::Train::new(&mut rng));
        (y, cache)
    }

    /// Checks a layer with neither parameters nor buffers (a pooling layer) on two rows: its
    /// backward pass against central differences for every input, and `infer` against
    /// `forward`.
    pub fn check_parameterless<L>(layer: L, seed: u64)
    where
        L: Layer<f64, Params = [f64; 0], Buffers = [f64; 0]>,
    {
        let mut x: Matrix<U2, L::Input, f64> = test_weights(seed);
        let checked = check_layer_backward(layer, &mut [], &[], &mut x, seed + 1);
        assert_eq!(checked, (0, 2 * L::Input::USIZE));
        assert_infer_is_eval_forward(layer, &[], &[], &x);
    }

    /// Checks a layer's backward pass after a training forward pass against central
    /// differences, for its parameters and its input, with the loss Σ cₖ·yₖ (c from `seed`);
    /// the gradients must overwrite what their blocks held, and leaving out dL/dx must not
    /// change dL/dparams. Returns how many parameter and input derivatives were checked.
    pub fn check_layer_backward<L: Layer<f64>, B: ArrayLength>(
        layer: L,
        params: &mut L::Params,
        buffers: &L::Buffers,
        x: &mut Matrix<B, L::Input, f64>,
        seed: u64,
    ) -> (usize, usize) {
        let c: Matrix<B, L::Output, f64> = test_weights(seed);
        let backward = |params: &L::Params, x: &Matrix<B, L::Input, f64>, with_dx: bool| {
            let (y, mut cache) = train_forward(layer, (params, buffers), x);
            let (mut grads, mut dx) = (L::Params::zeroed(), Matrix::zeroed());
            grads.as_flat_mut().fill(7.0);
            dx.fill(7.0);
            layer.backward(Backward {
                params,
                x,
                y: &y,
                cache: &mut cache,
                dy: &c,
                grads: &mut grads,
                dx: if with_dx { Some(&mut dx) } else { None },
            });
            (grads, dx)
        };
        let (grads, dx) = backward(params, x, true);
        let (grads_alone, _) = backward(params, x, false);
        assert_eq!(grads.as_flat(), grads_alone.as_flat());
        let loss = |p: &L::Params, x: &Matrix<B, L::Input, f64>| {
            weighted_sum(&c, &train_forward(layer, (p, buffers), x).0)
        };
        let checked_params = GradCheck::F64
            .run(params, &grads, |p| loss(p, x))
            .unwrap_or_else(|e| panic!("{layer}: parameters: {e}"))
            .checked;
        let checked_x = GradCheck::F64
            .run(x, &dx, |x| loss(params, x))
            .unwrap_or_else(|e| panic!("{layer}: input: {e}"))
            .checked;
        (checked_params, checked_x)
    }

    /// Checks an activation's backward pass against central differences at `x`, with the
    /// loss Σ cₖ·f(x)ₖ.
    pub fn check_activation<A: Activation>(x: [[f64; 4]; 3]) {
        let layer = Elementwise::<A, U4>::NEW;
        let mut x: Matrix<U3, U4, f64> = x.cast_ref::<Matrix<U3, U4, f64>>().clone();
        let c: Matrix<U3, U4, f64> = test_weights(3);
        let forward = |x: &Matrix<U3, U4, f64>| {
            let mut y = Matrix::zeros();
            let io = Forward {
                params: &[],
                buffers: &[],
                x,
                y: &mut y,
                cache: &mut [],
            };
            layer.forward(io, &mut Eval);
            y
        };
        let y = forward(&x);
        let mut dx = Matrix::zeros();
        layer.backward(Backward {
            params: &[],
            x: &x,
            y: &y,
            cache: &mut [],
            dy: &c,
            grads: &mut [],
            dx: Some(&mut dx),
        });
        GradCheck::F64
            .run(&mut x, &dx, |x| weighted_sum(&c, &forward(x)))
            .unwrap();
        // Far from the test's points too: large, tiny and non-finite inputs.
        let wide = Matrix::<U2, U4, f64>::from_fn(|r, c| {
            [
                [-1e300, 1e-310, 40.0, -40.0],
                [f64::NAN, f64::INFINITY, -0.0, 0.5],
            ][r][c]
        });
        assert_infer_is_eval_forward(layer, &[], &[], &x);
        assert_infer_is_eval_forward(layer, &[], &[], &wide);
    }
}
