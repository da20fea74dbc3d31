//! Batch norm and dropout compute what PyTorch computes, in f64 and in f32, through the core
//! [`Layer`] trait: forward in training and evaluation mode, the running statistics, and the
//! backward pass. The expected values are in `tests/fixtures/pytorch_layers.rs`, written by
//! `fixtures/generate.py` (see `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances ([`Tolerance`]): f64 within 1e-9 and f32 within 1e-4 (at least 1e-6), relative
//! to the largest magnitude in each array. Every test reports the largest relative
//! difference it saw (`cargo test --test layer_parity -- --nocapture`). Measured with torch
//! 2.15: at most 3.2e-16 in f64 and 1.3e-7 in f32; a running variance blended from the biased
//! batch variance would miss by 0.21.

mod common;
mod fixtures {
    // typenet's layer hyper-parameters are f64 whatever the scalar, so the tests configure
    // the layers from the `_F64` copies of BN_EPS, BN_MOMENTUM and DROPOUT_P only.
    #![allow(dead_code)]
    include!("fixtures/pytorch_layers.rs");
}

use common::{Comparisons, Tolerance};
use fixtures::*;
use rand::{rngs::StdRng, SeedableRng};
use typenet::dim::ArrayLength;
use typenet::layers::{
    Backward, BatchNorm, BatchNormBuffers, BatchNormCache, BatchNormParams, Dropout, Forward, Layer,
};
use typenet::mode::{Eval, Mode, Train};
use typenet::prelude::*;

/// The fixtures of one precision (its name, for messages, is [`Scalar::NAME`]).
trait Precision: Scalar {
    /// How close typenet must come to PyTorch in this precision.
    const TOL: Tolerance;
    const BN_WEIGHT: [Self; 3];
    const BN_BIAS: [Self; 3];
    const BN_X: [[Self; 3]; 4];
    const BN_C: [[Self; 3]; 4];
    const BN_Y: [[Self; 3]; 4];
    const BN_DX: [[Self; 3]; 4];
    const BN_DWEIGHT: [Self; 3];
    const BN_DBIAS: [Self; 3];
    const BN_BATCHES: [[[Self; 3]; 4]; 3];
    const BN_RUNNING_MEAN: [[Self; 3]; 3];
    const BN_RUNNING_VAR: [[Self; 3]; 3];
    const BN_EVAL_X: [[Self; 3]; 2];
    const BN_EVAL_Y: [[Self; 3]; 2];
    const DROPOUT_X: [[Self; 5]; 4];
    const DROPOUT_C: [[Self; 5]; 4];
    const DROPOUT_MASK: [[Self; 5]; 4];
    const DROPOUT_Y: [[Self; 5]; 4];
    const DROPOUT_DX: [[Self; 5]; 4];
}

impl Precision for f64 {
    const TOL: Tolerance = Tolerance::F64;
    const BN_WEIGHT: [f64; 3] = BN_WEIGHT_F64;
    const BN_BIAS: [f64; 3] = BN_BIAS_F64;
    const BN_X: [[f64; 3]; 4] = BN_X_F64;
    const BN_C: [[f64; 3]; 4] = BN_C_F64;
    const BN_Y: [[f64; 3]; 4] = BN_Y_F64;
    const BN_DX: [[f64; 3]; 4] = BN_DX_F64;
    const BN_DWEIGHT: [f64; 3] = BN_DWEIGHT_F64;
    const BN_DBIAS: [f64; 3] = BN_DBIAS_F64;
    const BN_BATCHES: [[[f64; 3]; 4]; 3] = BN_BATCHES_F64;
    const BN_RUNNING_MEAN: [[f64; 3]; 3] = BN_RUNNING_MEAN_F64;
    const BN_RUNNING_VAR: [[f64; 3]; 3] = BN_RUNNING_VAR_F64;
    const BN_EVAL_X: [[f64; 3]; 2] = BN_EVAL_X_F64;
    const BN_EVAL_Y: [[f64; 3]; 2] = BN_EVAL_Y_F64;
    const DROPOUT_X: [[f64; 5]; 4] = DROPOUT_X_F64;
    const DROPOUT_C: [[f64; 5]; 4] = DROPOUT_C_F64;
    const DROPOUT_MASK: [[f64; 5]; 4] = DROPOUT_MASK_F64;
    const DROPOUT_Y: [[f64; 5]; 4] = DROPOUT_Y_F64;
    const DROPOUT_DX: [[f64; 5]; 4] = DROPOUT_DX_F64;
}

impl Precision for f32 {
    const TOL: Tolerance = Tolerance::F32;
    const BN_WEIGHT: [f32; 3] = BN_WEIGHT_F32;
    const BN_BIAS: [f32; 3] = BN_BIAS_F32;
    const BN_X: [[f32; 3]; 4] = BN_X_F32;
    const BN_C: [[f32; 3]; 4] = BN_C_F32;
    const BN_Y: [[f32; 3]; 4] = BN_Y_F32;
    const BN_DX: [[f32; 3]; 4] = BN_DX_F32;
    const BN_DWEIGHT: [f32; 3] = BN_DWEIGHT_F32;
    const BN_DBIAS: [f32; 3] = BN_DBIAS_F32;
    const BN_BATCHES: [[[f32; 3]; 4]; 3] = BN_BATCHES_F32;
    const BN_RUNNING_MEAN: [[f32; 3]; 3] = BN_RUNNING_MEAN_F32;
    const BN_RUNNING_VAR: [[f32; 3]; 3] = BN_RUNNING_VAR_F32;
    const BN_EVAL_X: [[f32; 3]; 2] = BN_EVAL_X_F32;
    const BN_EVAL_Y: [[f32; 3]; 2] = BN_EVAL_Y_F32;
    const DROPOUT_X: [[f32; 5]; 4] = DROPOUT_X_F32;
    const DROPOUT_C: [[f32; 5]; 4] = DROPOUT_C_F32;
    const DROPOUT_MASK: [[f32; 5]; 4] = DROPOUT_MASK_F32;
    const DROPOUT_Y: [[f32; 5]; 4] = DROPOUT_Y_F32;
    const DROPOUT_DX: [[f32; 5]; 4] = DROPOUT_DX_F32;
}

/// A matrix from rows of a fixture.
fn matrix<B: ArrayLength, W: ArrayLength, T: Scalar, const C: usize>(
    rows: &[[T; C]],
) -> Matrix<B, W, T> {
    Matrix::from_fn(|r, c| rows[r][c])
}

/// `nn.BatchNorm1d(3, eps=1e-5, momentum=0.1)`, as in the fixtures.
const NORM: BatchNorm<U3> = BatchNorm::new(BN_EPS_F64, BN_MOMENTUM_F64);

/// The batch-norm blocks PyTorch starts from: γ and β from the fixtures, running mean 0 and
/// running variance 1.
fn batch_norm_blocks<T: Precision>() -> (BatchNormParams<U3, T>, BatchNormBuffers<U3, T>) {
    let (mut params, mut buffers) = (BatchNormParams::zeroed(), BatchNormBuffers::zeroed());
    let mut rng = StdRng::seed_from_u64(0);
    Layer::<T>::init(&NORM, &mut params, &mut buffers, &mut rng);
    params.weight.copy_from_slice(&T::BN_WEIGHT);
    params.bias.copy_from_slice(&T::BN_BIAS);
    (params, buffers)
}

/// Batch norm's forward pass over a batch of `B` rows in `mode`: the output and the cache.
fn batch_norm_forward<T: Precision, B: ArrayLength, M: Mode>(
    (params, buffers): (&BatchNormParams<U3, T>, &BatchNormBuffers<U3, T>),
    x: &Matrix<B, U3, T>,
    mode: &mut M,
) -> (Matrix<B, U3, T>, BatchNormCache<B, U3, T>) {
    let (mut y, mut cache) = (Matrix::zeros(), BatchNormCache::zeroed());
    let io = Forward {
        params,
        buffers,
        x,
        y: &mut y,
        cache: &mut cache,
    };
    NORM.forward(io, mode);
    (y, cache)
}

/// Training mode on one batch, then the backward pass for dL/dY = C: Y, dL/dX, dL/dγ and
/// dL/dβ. Returns the largest relative difference.
fn batch_norm_training<T: Precision>() -> f64 {
    let mut parity = Comparisons::new(T::NAME, T::TOL);
    let (params, buffers) = batch_norm_blocks::<T>();
    let x = matrix::<U4, U3, T, 3>(&T::BN_X);
    let mut rng = StdRng::seed_from_u64(0);
    let (y, mut cache) = batch_norm_forward((&params, &buffers), &x, &mut Train::new(&mut rng));
    parity.check("Y", y.as_slice(), T::BN_Y.as_flattened());

    let dy = matrix::<U4, U3, T, 3>(&T::BN_C);
    let (mut grads, mut dx) = (BatchNormParams::zeroed(), Matrix::zeros());
    NORM.backward(Backward {
        params: &params,
        x: &x,
        y: &y,
        cache: &mut cache,
        dy: &dy,
        grads: &mut grads,
        dx: Some(&mut dx),
    });
    parity.check("dL/dX", dx.as_slice(), T::BN_DX.as_flattened());
    parity.check("dL/dγ", &grads.weight, &T::BN_DWEIGHT);
    parity.check("dL/dβ", &grads.bias, &T::BN_DBIAS);
    parity.worst
}

/// Three training batches on a fresh layer, the running statistics after each (they blend
/// in the unbiased variance), then evaluation mode. Returns the largest relative difference.
fn batch_norm_running_statistics<T: Precision>() -> f64 {
    let mut parity = Comparisons::new(T::NAME, T::TOL);
    let (params, mut buffers) = batch_norm_blocks::<T>();
    let mut rng = StdRng::seed_from_u64(0);
    for (k, batch) in T::BN_BATCHES.iter().enumerate() {
        let x = matrix::<U4, U3, T, 3>(batch);
        let mut mode = Train::new(&mut rng);
        let (_, cache) = batch_norm_forward((&params, &buffers), &x, &mut mode);
        Layer::<T>::update_buffers(&NORM, &mut buffers, &cache);
        let after = format!("after batch {}", k + 1);
        let mean = &T::BN_RUNNING_MEAN[k];
        parity.check(
            &format!("running_mean {after}"),
            &buffers.running_mean,
            mean,
        );
        let var = &T::BN_RUNNING_VAR[k];
        parity.check(&format!("running_var {after}"), &buffers.running_var, var);
    }
    let x = matrix::<U2, U3, T, 3>(&T::BN_EVAL_X);
    let (y, _) = batch_norm_forward((&params, &buffers), &x, &mut Eval);
    parity.check(
        "Y in evaluation mode",
        y.as_slice(),
        T::BN_EVAL_Y.as_flattened(),
    );
    parity.worst
}

/// `nn.Dropout(0.3)`, as in the fixtures.
const DROPOUT: Dropout<U5> = Dropout::new(DROPOUT_P_F64);

/// Dropout with torch's mask: typenet's cache holds each element's factor, mask/(1 − p), so
/// the mask goes in there, and the backward pass for dL/dY = C must give torch's dL/dX; Y
/// is x ⊙ cache. Then typenet's own training pass, with its own mask: every factor it keeps
/// is the one torch applied. Returns the largest relative difference.
fn dropout_with_torch_mask<T: Precision>() -> f64 {
    let mut parity = Comparisons::new(T::NAME, T::TOL);
    let x = matrix::<U4, U5, T, 5>(&T::DROPOUT_X);
    let keep = T::from_f64(1.0 - DROPOUT_P_F64); // torch's noise.div_(1 − p), 1 − p as T
    let mut cache = Matrix::<U4, U5, T>::from_fn(|r, c| T::DROPOUT_MASK[r][c] / keep);
    let y = Matrix::<U4, U5, T>::from_fn(|r, c| x[(r, c)] * cache[(r, c)]);
    parity.check("Y = x ⊙ cache", y.as_slice(), T::DROPOUT_Y.as_flattened());

    let dy = matrix::<U4, U5, T, 5>(&T::DROPOUT_C);
    let mut dx = Matrix::zeros();
    DROPOUT.backward(Backward {
        params: &[],
        x: &x,
        y: &y,
        cache: &mut cache,
        dy: &dy,
        grads: &mut [],
        dx: Some(&mut dx),
    });
    parity.check("dL/dX", dx.as_slice(), T::DROPOUT_DX.as_flattened());

    // typenet's own mask: each factor is 0 or torch's, and y = x ⊙ factor exactly.
    let (mut own_y, mut own) = (Matrix::<U4, U5, T>::zeros(), Matrix::zeros());
    let mut rng = StdRng::seed_from_u64(0);
    let io = Forward {
        params: &[],
        buffers: &[],
        x: &x,
        y: &mut own_y,
        cache: &mut own,
    };
    DROPOUT.forward(io, &mut Train::new(&mut rng));
    // The factor torch applied, read off a kept element of its output.
    let first_kept = (T::DROPOUT_MASK.as_flattened().iter()).position(|&m| m == T::ONE);
    let k = first_kept.expect("torch's mask keeps some elements");
    let torch_factor = T::DROPOUT_Y.as_flattened()[k] / T::DROPOUT_X.as_flattened()[k];
    let (factors, own_y, x) = (own.as_slice(), own_y.as_slice(), x.as_slice());
    let kept = factors.iter().filter(|&&f| f != T::ZERO).count();
    assert!(0 < kept && kept < factors.len(), "the mask keeps {kept}");
    for i in 0..factors.len() {
        let what = format!("{} own forward [{i}]", T::NAME);
        assert_eq!(own_y[i], x[i] * factors[i], "{what}: y ≠ x ⊙ factor");
        if factors[i] != T::ZERO {
            parity.check(
                &format!("own factor [{i}]"),
                &factors[i..=i],
                &[torch_factor],
            );
        }
    }
    parity.worst
}

/// Prints a test's largest relative differences, for the record.
fn report(what: &str, f64: f64, f32: f64) {
    eprintln!("{what}: largest relative difference f64 {f64:.1e}, f32 {f32:.1e}");
}

/// Training mode: Y, dL/dX, dL/dγ and dL/dβ, in f64 (1e-9) and f32 (1e-4).
#[test]
fn batch_norm_training_matches_pytorch() {
    let (f64, f32) = (batch_norm_training::<f64>(), batch_norm_training::<f32>());
    report("batch norm, training", f64, f32);
}

/// The running statistics after each of three batches, then evaluation mode, in f64 (1e-9)
/// and f32 (1e-4).
#[test]
fn batch_norm_running_statistics_match_pytorch() {
    let f64 = batch_norm_running_statistics::<f64>();
    let f32 = batch_norm_running_statistics::<f32>();
    report("batch norm, running statistics and evaluation", f64, f32);
}

/// Dropout with torch's mask: Y and dL/dX; and typenet's own factor is torch's. In f64
/// (1e-9) and f32 (1e-4).
#[test]
fn dropout_matches_pytorch_with_its_mask() {
    let (f64, f32) = (
        dropout_with_torch_mask::<f64>(),
        dropout_with_torch_mask::<f32>(),
    );
    report("dropout", f64, f32);
}
