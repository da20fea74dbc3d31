//! The convolutions of the LeNet-like MNIST network, f32, on one thread, as layers alone:
//!
//! - `conv1`: 1×28×28 → 8×28×28, kernel 5, padding 2 (the first layer: no input gradient);
//! - `conv2`: 8×14×14 → 16×10×10, kernel 5;
//! - `pool1`: max pooling 8×28×28 → 8×14×14.
//!
//! `…_train_b64`: a training forward pass and the backward pass on a batch of 64;
//! `…_infer_b1`: `Layer::infer` on one input. `benches/pytorch_conv.py` times the same
//! layers in PyTorch.

use core::ops::Mul;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use typenet::dim::*;
use typenet::layers::{
    Backward, Conv2d, Conv2dGeometry, Forward, Layer, MaxPool2d, Pool2dGeometry,
};
use typenet::mode::Train;
use typenet::prelude::*;

type U6272 = <U8 as Mul<U784>>::Output;
type U1568 = <U8 as Mul<U196>>::Output;
type U1600 = <U16 as Mul<U100>>::Output;

const CONV1: Conv2d<U784, U6272, U8, U25, U784, 5, 5> = Conv2d::new(
    Conv2dGeometry {
        padding: [2, 2],
        ..Conv2dGeometry::new([1, 28, 28], 8, [5, 5])
    },
    Init::He,
);
const CONV2: Conv2d<U1568, U1600, U16, U200, U100, 5, 5> =
    Conv2d::new(Conv2dGeometry::new([8, 14, 14], 16, [5, 5]), Init::He);
const POOL1: MaxPool2d<U6272, U1568> = MaxPool2d::new(Pool2dGeometry::new([8, 28, 28], [2, 2]));

/// A block of uniform values in [−1, 1).
fn random<F: Flat<f32>>(rng: &mut StdRng) -> Box<F> {
    let mut block = F::zeroed_boxed();
    for v in block.as_flat_mut() {
        *v = 2.0 * rng.random::<f32>() - 1.0;
    }
    block
}

/// Times a training forward and backward pass of `layer` at batch 64, and `infer` at batch 1.
fn bench_layer<L: Layer<f32>>(c: &mut Criterion, name: &str, layer: L, input_gradient: bool) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut params = L::Params::zeroed_boxed();
    let mut buffers = L::Buffers::zeroed_boxed();
    layer.init(&mut params, &mut buffers, &mut rng);
    let x: Box<Matrix<U64, L::Input, f32>> = random(&mut rng);
    let dy: Box<Matrix<U64, L::Output, f32>> = random(&mut rng);
    let mut y = Matrix::<U64, L::Output, f32>::zeroed_boxed();
    let mut dx = Matrix::<U64, L::Input, f32>::zeroed_boxed();
    let mut cache = L::Cache::<U64>::zeroed_boxed();
    let mut grads = L::Params::zeroed_boxed();
    c.bench_function(&format!("{name}_train_b64"), |b| {
        b.iter(|| {
            let io = Forward {
                params: &*params,
                buffers: &*buffers,
                x: &x,
                y: &mut y,
                cache: &mut *cache,
            };
            layer.forward(io, &mut Train::new(&mut rng));
            layer.backward(Backward {
                params: &*params,
                x: &x,
                y: &y,
                cache: &mut *cache,
                dy: &dy,
                grads: &mut grads,
                dx: if input_gradient { Some(&mut dx) } else { None },
            });
            black_box((&*grads, &*dx));
        })
    });
    let x1: Box<Matrix<U1, L::Input, f32>> = random(&mut rng);
    let mut y1 = Matrix::<U1, L::Output, f32>::zeroed_boxed();
    c.bench_function(&format!("{name}_infer_b1"), |b| {
        b.iter(|| {
            layer.infer(&params, &buffers, &x1, &mut y1);
            black_box(&*y1);
        })
    });
}

fn convolutions(c: &mut Criterion) {
    bench_layer(c, "conv1", CONV1, false);
    bench_layer(c, "conv2", CONV2, true);
    bench_layer(c, "pool1", POOL1, true);
}

criterion_group!(benches, convolutions);
criterion_main!(benches);
