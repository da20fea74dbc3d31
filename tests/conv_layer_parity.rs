//! Convolution, max and average pooling and 2-D batch norm compute what PyTorch computes, in
//! f64 and in f32, through the core [`Layer`] trait: the forward pass in training and in
//! evaluation (im2col and the matrix product, and the direct loop), the backward pass (input,
//! weight and bias gradients; max pooling's tie rule), and batch norm's running statistics.
//! The expected values are in `tests/fixtures/pytorch_conv.rs`, written by
//! `fixtures/conv.py` (see `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances, relative to the largest magnitude in each array: f64 1e-9 and f32 1e-5 (with
//! no absolute floor). Every test prints the largest relative difference it saw per layer
//! (`cargo test --test conv_layer_parity -- --nocapture`).

#[allow(dead_code)] // the shared tolerances; these tests hold f32 to 1e-5
mod common;

/// One case of the fixtures: flat arrays in PyTorch's order (batch rows of `[C, H, W]`),
/// parameters as `weight` then `bias`, as typenet's blocks lay them out.
pub struct LayerCase<T: 'static> {
    /// X.
    pub x: &'static [T],
    /// C = dL/dY, for the loss Σ C⊙Y.
    pub c: &'static [T],
    /// Y in training mode.
    pub y: &'static [T],
    /// dL/dX.
    pub dx: &'static [T],
    /// The parameters (empty for pooling).
    pub params: &'static [T],
    /// dL/dparams.
    pub dparams: &'static [T],
}

mod fixtures {
    #![allow(dead_code)]
    use super::LayerCase;
    include!("fixtures/pytorch_conv.rs");
}

use common::{Comparisons, Tolerance};
use fixtures::*;
use rand::{rngs::StdRng, SeedableRng};
use typenet::dim::*;
use typenet::layers::{
    AvgPool2d, Backward, BatchNorm2d, BatchNormBuffers, BatchNormParams, Conv2d, Conv2dGeometry,
    Forward, Layer, MaxPool2d, Pool2dGeometry,
};
use typenet::mode::{Eval, Mode, Train};
use typenet::prelude::*;

const F64: Tolerance = Tolerance {
    relative: 1e-9,
    absolute: 0.0,
};
const F32: Tolerance = Tolerance {
    relative: 1e-5,
    absolute: 0.0,
};

/// The batch of every case.
type Batch = U2;

fn tolerance<T: Scalar>() -> Tolerance {
    if T::NAME == "f64" {
        F64
    } else {
        F32
    }
}

fn block<F: Flat<T>, T: Scalar>(values: &[T]) -> F {
    let mut block = F::zeroed();
    block.as_flat_mut().copy_from_slice(values);
    block
}

fn forward<L: Layer<T>, T: Scalar, M: Mode>(
    layer: L,
    (params, buffers): (&L::Params, &L::Buffers),
    x: &Matrix<Batch, L::Input, T>,
    mode: &mut M,
) -> (Matrix<Batch, L::Output, T>, L::Cache<Batch>) {
    let (mut y, mut cache) = (Matrix::zeros(), L::Cache::<Batch>::zeroed());
    let io = Forward {
        params,
        buffers,
        x,
        y: &mut y,
        cache: &mut cache,
    };
    layer.forward(io, mode);
    (y, cache)
}

/// The case through `layer`: training forward, backward, and (when the layer computes the
/// same in evaluation, as all but batch norm do) evaluation forward and `infer`. Returns the
/// largest relative difference.
fn check_case<L: Layer<T>, T: Scalar>(
    name: &str,
    layer: L,
    buffers: &L::Buffers,
    case: &LayerCase<T>,
) -> f64 {
    let mut parity = Comparisons::new(format!("{} {name}", T::NAME), tolerance::<T>());
    let params: L::Params = block(case.params);
    let x: Matrix<Batch, L::Input, T> = block(case.x);
    let mut rng = StdRng::seed_from_u64(0);
    let (y, mut cache) = forward(layer, (&params, buffers), &x, &mut Train::new(&mut rng));
    parity.check("training Y", y.as_slice(), case.y);
    let c: Matrix<Batch, L::Output, T> = block(case.c);
    let (mut grads, mut dx) = (L::Params::zeroed(), Matrix::zeros());
    layer.backward(Backward {
        params: &params,
        x: &x,
        y: &y,
        cache: &mut cache,
        dy: &c,
        grads: &mut grads,
        dx: Some(&mut dx),
    });
    parity.check("dL/dX", dx.as_slice(), case.dx);
    parity.check("dL/dparams", grads.as_flat(), case.dparams);
    if L::Buffers::LEN == 0 {
        let (y, _) = forward(layer, (&params, buffers), &x, &mut Eval);
        parity.check("evaluation Y", y.as_slice(), case.y);
        let mut inferred = Matrix::zeros();
        layer.infer(&params, buffers, &x, &mut inferred);
        parity.check("infer Y", inferred.as_slice(), case.y);
    }
    println!(
        "{} {name}: largest relative difference {:.1e}",
        T::NAME,
        parity.worst
    );
    parity.worst
}

// The layers of the fixtures, their widths as the network macro would compute them.
const CONV_SAME: Conv2d<U60, U90, U3, U18, U30, 3, 3> = Conv2d::new(
    Conv2dGeometry {
        padding: [1, 1],
        ..Conv2dGeometry::new([2, 6, 5], 3, [3, 3])
    },
    Init::He,
);
const CONV_STRIDED: Conv2d<U60, U24, U2, U12, U12, 3, 2> = Conv2d::new(
    Conv2dGeometry {
        input: [2, 6, 5],
        out_channels: 2,
        kernel: [3, 2],
        stride: [2, 1],
        padding: [1, 0],
    },
    Init::He,
);
const CONV_WIDE: Conv2d<U192, U128, U8, U27, U16, 3, 3> = Conv2d::new(
    Conv2dGeometry {
        stride: [2, 2],
        padding: [1, 1],
        ..Conv2dGeometry::new([3, 8, 8], 8, [3, 3])
    },
    Init::He,
);
const CONV_LENET: Conv2d<U64, U256, U4, U25, U64, 5, 5> = Conv2d::new(
    Conv2dGeometry {
        padding: [2, 2],
        ..Conv2dGeometry::new([1, 8, 8], 4, [5, 5])
    },
    Init::He,
);
const HALVE: Pool2dGeometry = Pool2dGeometry::new([2, 4, 6], [2, 2]);
const OVERLAP: Pool2dGeometry = Pool2dGeometry {
    stride: [2, 2],
    padding: [1, 1],
    ..Pool2dGeometry::new([2, 5, 5], [3, 3])
};
const WIDE: Pool2dGeometry = Pool2dGeometry {
    stride: [1, 2],
    ..Pool2dGeometry::new([1, 3, 7], [2, 3])
};
const WIDE_PADDED: Pool2dGeometry = Pool2dGeometry {
    padding: [1, 1],
    ..WIDE
};
const NORM: BatchNorm2d<U18, U3> = BatchNorm2d::new(1e-5, 0.1);

fn convolutions<T: Scalar>(cases: [&LayerCase<T>; 4]) -> f64 {
    [
        check_case("conv2d k3 p1", CONV_SAME, &[], cases[0]),
        check_case("conv2d k(3,2) s(2,1) p(1,0)", CONV_STRIDED, &[], cases[1]),
        check_case("conv2d k3 s2 p1, 8 channels", CONV_WIDE, &[], cases[2]),
        check_case("conv2d k5 p2", CONV_LENET, &[], cases[3]),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn conv2d_matches_pytorch() {
    let f64 = convolutions([
        &CONV_SAME_F64,
        &CONV_STRIDED_F64,
        &CONV_WIDE_F64,
        &CONV_LENET_F64,
    ]);
    let f32 = convolutions([
        &CONV_SAME_F32,
        &CONV_STRIDED_F32,
        &CONV_WIDE_F32,
        &CONV_LENET_F32,
    ]);
    println!("conv2d: f64 {f64:.1e}, f32 {f32:.1e}");
}

fn max_pooling<T: Scalar>(cases: [&LayerCase<T>; 3]) -> f64 {
    [
        check_case(
            "max_pool2d 2",
            MaxPool2d::<U48, U12>::new(HALVE),
            &[],
            cases[0],
        ),
        check_case(
            "max_pool2d 3 s2 p1",
            MaxPool2d::<U50, U18>::new(OVERLAP),
            &[],
            cases[1],
        ),
        check_case(
            "max_pool2d (2,3) s(1,2)",
            MaxPool2d::<U21, U6>::new(WIDE),
            &[],
            cases[2],
        ),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn max_pool2d_matches_pytorch_ties_included() {
    let f64 = max_pooling([&MAX_HALVE_F64, &MAX_OVERLAP_F64, &MAX_WIDE_F64]);
    let f32 = max_pooling([&MAX_HALVE_F32, &MAX_OVERLAP_F32, &MAX_WIDE_F32]);
    println!("max_pool2d: f64 {f64:.1e}, f32 {f32:.1e}");
    // The fixtures do have ties: a window of HALVE's first batch row holds its maximum twice.
    let x = &MAX_HALVE_F64.x[..48];
    let tied = (0..12).any(|o| {
        let (c, oh, ow) = (o / 6, o % 6 / 3, o % 3);
        let at = |i: usize, j: usize| x[c * 24 + (2 * oh + i) * 6 + 2 * ow + j];
        let window = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
        let max = window.iter().copied().fold(f64::MIN, f64::max);
        window.iter().filter(|&&v| v == max).count() > 1
    });
    assert!(tied);
}

fn avg_pooling<T: Scalar>(cases: [&LayerCase<T>; 3]) -> f64 {
    [
        check_case(
            "avg_pool2d 2",
            AvgPool2d::<U48, U12>::new(HALVE),
            &[],
            cases[0],
        ),
        check_case(
            "avg_pool2d 3 s2 p1",
            AvgPool2d::<U50, U18>::new(OVERLAP),
            &[],
            cases[1],
        ),
        check_case(
            "avg_pool2d (2,3) s(1,2) p1",
            AvgPool2d::<U21, U16>::new(WIDE_PADDED),
            &[],
            cases[2],
        ),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn avg_pool2d_matches_pytorch() {
    let f64 = avg_pooling([&AVG_HALVE_F64, &AVG_OVERLAP_F64, &AVG_WIDE_F64]);
    let f32 = avg_pooling([&AVG_HALVE_F32, &AVG_OVERLAP_F32, &AVG_WIDE_F32]);
    println!("avg_pool2d: f64 {f64:.1e}, f32 {f32:.1e}");
}

/// Training on one batch and its gradients; then the running statistics over three batches
/// and evaluation.
fn batch_norm2d<T: Scalar>(
    case: &LayerCase<T>,
    batches: &[T],
    (means, variances): (&[T], &[T]),
    (x_eval, y_eval): (&[T], &[T]),
) -> f64 {
    let mut params = BatchNormParams::<U3, T>::zeroed();
    let mut buffers = BatchNormBuffers::<U3, T>::zeroed();
    let mut rng = StdRng::seed_from_u64(0);
    Layer::<T>::init(&NORM, &mut params, &mut buffers, &mut rng);
    let training = check_case("batch_norm2d", NORM, &buffers, case);
    params.as_flat_mut().copy_from_slice(case.params);
    let mut parity = Comparisons::new(format!("{} batch_norm2d", T::NAME), tolerance::<T>());
    for (k, x) in batches.chunks_exact(36).enumerate() {
        let x: Matrix<Batch, U18, T> = block(x);
        let mut train = Train::new(&mut rng);
        let (_, cache) = forward(NORM, (&params, &buffers), &x, &mut train);
        NORM.update_buffers(&mut buffers, &cache);
        let what = format!("after batch {k}");
        parity.check(&what, &buffers.running_mean, &means[3 * k..][..3]);
        parity.check(&what, &buffers.running_var, &variances[3 * k..][..3]);
    }
    let x: Matrix<Batch, U18, T> = block(x_eval);
    let (y, _) = forward(NORM, (&params, &buffers), &x, &mut Eval);
    parity.check("evaluation Y", y.as_slice(), y_eval);
    let mut inferred = Matrix::zeros();
    NORM.infer(&params, &buffers, &x, &mut inferred);
    parity.check("infer Y", inferred.as_slice(), y_eval);
    println!(
        "{} batch_norm2d running statistics and evaluation: {:.1e}",
        T::NAME,
        parity.worst
    );
    training.max(parity.worst)
}

#[test]
fn batch_norm2d_matches_pytorch() {
    let f64 = batch_norm2d(
        &BN2D_F64,
        &BN2D_BATCHES_F64,
        (&BN2D_RUNNING_MEAN_F64, &BN2D_RUNNING_VAR_F64),
        (&BN2D_EVAL_X_F64, &BN2D_EVAL_Y_F64),
    );
    let f32 = batch_norm2d(
        &BN2D_F32,
        &BN2D_BATCHES_F32,
        (&BN2D_RUNNING_MEAN_F32, &BN2D_RUNNING_VAR_F32),
        (&BN2D_EVAL_X_F32, &BN2D_EVAL_Y_F32),
    );
    println!("batch_norm2d: f64 {f64:.1e}, f32 {f32:.1e}");
}

#[test]
fn conv_weights_have_pytorch_names_and_shapes() {
    use typenet::layers::Conv2dParams;
    use typenet::tensors::Tensors;
    let weight = Conv2dParams::<U8, U27, 3, 3, f32>::tensor_info("weight").unwrap();
    assert_eq!(weight.shape.dims(), &[8, 3, 3, 3]);
}
