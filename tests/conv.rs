//! A convolutional network written with `network!`: it trains, its forward pass is its core
//! layers composed by hand, its inference pass is its forward pass bit for bit, and its
//! weights go in and out of safetensors under PyTorch's `state_dict` names and shapes.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typenet::dim::*;
use typenet::io::{load_weights, weights_to_vec};
use typenet::layers::{
    BatchNorm2d, Conv2d, Conv2dGeometry, Dense, Elementwise, Forward, Layer, MaxPool2d,
    Pool2dGeometry, Relu, Tanh,
};
use typenet::mode::Eval;
use typenet::prelude::*;
use typenet::{Flat, InferenceScratch, Matrix};

network! {
    /// [2, 6, 6] → conv 3×3 (padding 1) → [3, 6, 6] → batch norm, ReLU → max-pool 2 →
    /// [3, 3, 3] → conv 2×3 → [4, 2, 1] → tanh → flatten → dense 8 → 3.
    struct Small {
        input: [2, 6, 6],
        conv1: conv2d(3, kernel = 3, padding = 1), norm: batch_norm, relu, max_pool2d(2),
        conv2: conv2d(3 -> 4, kernel = (2, 3)), tanh,
        flatten,
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

const BATCH: usize = 8;

/// A row of `[2, 6, 6]` whose class (0, 1 or 2) says where it is bright: the top half of
/// channel 0, the bottom half of channel 0, or channel 1; plus noise.
fn sample(rng: &mut StdRng) -> ([f64; 72], usize) {
    let class = rng.random_range(0..3);
    let row = core::array::from_fn(|i| {
        let (channel, y) = (i / 36, i % 36 / 6);
        let bright = match class {
            0 => channel == 0 && y < 3,
            1 => channel == 0 && y >= 3,
            _ => channel == 1,
        };
        0.3 * rng.random::<f64>() + if bright { 1.0 } else { 0.0 }
    });
    (row, class)
}

fn batch(rng: &mut StdRng) -> ([[f64; 72]; BATCH], [usize; BATCH]) {
    let rows: [([f64; 72], usize); BATCH] = core::array::from_fn(|_| sample(rng));
    (rows.map(|(x, _)| x), rows.map(|(_, y)| y))
}

/// A network trained for 60 steps with Adam, and its loss on a held-out batch before and
/// after.
fn trained() -> (Small<f64>, f64, f64) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Small::<f64>::new(&mut rng);
    let (x_test, y_test) = batch(&mut StdRng::seed_from_u64(99));
    let before = net.loss(&x_test, &y_test).unwrap();
    let mut training = Training::<Small<f64>, _, BATCH, f64>::new(Adam::new(0.01).unwrap());
    for _ in 0..60 {
        let (x, y) = batch(&mut rng);
        training.step(&mut net, &x, &y, &mut rng).unwrap();
    }
    let after = net.loss(&x_test, &y_test).unwrap();
    (net, before, after)
}

#[test]
fn a_convolutional_network_trains() {
    let (net, before, after) = trained();
    assert!(after < 0.25 * before, "loss {before} → {after}");
    // The running statistics of the per-channel batch norm moved.
    let mean = net.tensor("norm.running_mean").unwrap();
    assert_eq!(mean.len(), 3);
    assert!(mean.iter().all(|&m| m != 0.0));
}

/// `layer`'s forward pass in evaluation on `x`.
fn eval<L: Layer<f64>, R: ArrayLength>(
    layer: L,
    params: &L::Params,
    buffers: &L::Buffers,
    x: &Matrix<R, L::Input, f64>,
) -> Matrix<R, L::Output, f64> {
    let (mut y, mut cache) = (Matrix::zeros(), L::Cache::<R>::zeroed());
    let io = Forward {
        params,
        buffers,
        x,
        y: &mut y,
        cache: &mut cache,
    };
    layer.forward(io, &mut Eval);
    y
}

#[test]
fn the_forward_pass_is_the_layers_composed_by_hand() {
    let (net, ..) = trained();
    let (x, _) = batch(&mut StdRng::seed_from_u64(5));
    // The core types and geometry the description stands for, written out.
    let conv1 = Conv2d::<U72, U108, U3, U18, U36, 3, 3>::new(
        Conv2dGeometry {
            padding: [1, 1],
            ..Conv2dGeometry::new([2, 6, 6], 3, [3, 3])
        },
        Init::He,
    );
    let norm = BatchNorm2d::<U108, U3>::new(1e-5, 0.1);
    let pool = MaxPool2d::<U108, U27>::new(Pool2dGeometry {
        input: [3, 6, 6],
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0, 0],
    });
    let conv2 = Conv2d::<U27, U8, U4, U18, U2, 2, 3>::new(
        Conv2dGeometry::new([3, 3, 3], 4, [2, 3]),
        Init::LeCun,
    );
    let out = Dense::<U8, U3>::new(Init::LeCun);
    let (p, b) = (&net.params, &net.buffers);
    let x0 = Matrix::<U8, U72, f64>::from_fn(|r, c| x[r][c]);
    let y = eval(conv1, &p.conv1, &[], &x0);
    let y = eval(norm, &p.norm, &b.norm, &y);
    let y = eval(Elementwise::<Relu, U108>::NEW, &[], &[], &y);
    let y = eval(pool, &[], &[], &y);
    let y = eval(conv2, &p.conv2, &[], &y);
    let y = eval(Elementwise::<Tanh, U8>::NEW, &[], &[], &y);
    let y = eval(out, &p.out, &[], &y);
    let whole = net.forward(&x);
    let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(whole.as_flat()), bits(y.as_slice()));
}

#[test]
fn infer_is_forward_bit_for_bit() {
    let (net, ..) = trained();
    let (x, _) = batch(&mut StdRng::seed_from_u64(6));
    let mut scratch = InferenceScratch::<Small<f64>, BATCH, f64>::zeroed();
    scratch.as_flat_mut().fill(f64::NAN);
    let inferred = *net.infer(&x, &mut scratch);
    let forward = net.forward(&x);
    let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(inferred.as_flat()), bits(forward.as_flat()));
    let one = [x[0]];
    let mut scratch = InferenceScratch::<Small<f64>, 1, f64>::zeroed();
    assert_eq!(
        bits(net.infer(&one, &mut scratch).as_flat()),
        bits(&forward.as_flat()[..3])
    );
}

#[test]
fn weights_round_trip_under_pytorchs_state_dict_names() {
    let (net, ..) = trained();
    let mut tensors = Vec::new();
    net.visit_tensors(|t, _| tensors.push((t.to_string(), t.shape.dims().to_vec())));
    // What `state_dict()` of the PyTorch twin lists (its `nn.Sequential` names aside):
    // weights as [out, in, kh, kw].
    let expected: Vec<(String, Vec<usize>)> = [
        ("conv1.weight", vec![3, 2, 3, 3]),
        ("conv1.bias", vec![3]),
        ("norm.weight", vec![3]),
        ("norm.bias", vec![3]),
        ("conv2.weight", vec![4, 3, 2, 3]),
        ("conv2.bias", vec![4]),
        ("out.weight", vec![3, 8]),
        ("out.bias", vec![3]),
        ("norm.running_mean", vec![3]),
        ("norm.running_var", vec![3]),
    ]
    .into_iter()
    .map(|(name, dims)| (name.to_string(), dims))
    .collect();
    assert_eq!(tensors, expected);
    let bytes = weights_to_vec(&net);
    let header = String::from_utf8_lossy(&bytes[8..200.min(bytes.len())]).into_owned();
    assert!(
        header.contains(r#""conv1.weight":{"dtype":"F64","shape":[3,2,3,3]"#),
        "{header}"
    );
    let mut copy = Small::<f64>::zeroed();
    load_weights(&mut copy, &bytes).unwrap();
    let bits = |n: &Small<f64>| n.as_flat().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&copy), bits(&net));
}
