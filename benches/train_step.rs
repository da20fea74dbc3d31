//! One training step (forward, backward and an SGD or Adam update), f32, on one thread.
//!
//! - `digits_b32`: 64 → 128 relu → 10, softmax cross-entropy, batch 32.
//! - `large_b256`: 1024 → 1024 relu → 1024 relu → 10, softmax cross-entropy, batch 256.
//! - `lenet_b64`: examples/mnist.rs's LeNet-like network on [1, 28, 28] inputs, batch 64;
//!   `lenet_infer_b1`: its inference pass (`Network::infer`) on one input.
//!
//! Each iteration trains on the next of a few fixed batches of uniform random inputs with
//! uniform random labels, with a learning rate small enough that the parameters stay finite
//! (and far from subnormal) however many iterations criterion runs.
//! `benches/pytorch_baseline.py` times the same steps in PyTorch.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::borrow::BorrowMut;
use std::hint::black_box;
use std::time::Duration;
use typenet::prelude::*;
use typenet::train::StepBlocks;

network! {
    /// Classifies 8×8 digits.
    struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// 2.1 million parameters: built on the heap.
    struct Large {
        input: 1024,
        dense(1024), relu,
        dense(1024), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The LeNet-like network of examples/mnist.rs.
    struct LeNet {
        input: [1, 28, 28],
        conv1: conv2d(8, kernel = 5, padding = 2), relu, max_pool2d(2),
        conv2: conv2d(16, kernel = 5), relu, max_pool2d(2),
        flatten,
        hidden: dense(120), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

/// The step cycles through this many batches, as a training loop cycles through a data set.
const BATCHES: usize = 8;
const CLASSES: usize = 10;
const LEARNING_RATE: f32 = 1e-3;

/// `BATCHES · B` rows of inputs uniform in [0, 1), and labels uniform over the classes.
fn data<const W: usize, const B: usize>(seed: u64) -> (Vec<[f32; W]>, Vec<[usize; B]>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let rows = (0..BATCHES * B)
        .map(|_| core::array::from_fn(|_| rng.random::<f32>()))
        .collect();
    let labels = (0..BATCHES)
        .map(|_| core::array::from_fn(|_| rng.random_range(0..CLASSES)))
        .collect();
    (rows, labels)
}

/// Times training steps of `net` with `training`, on batch 0, 1, …, `BATCHES − 1`, 0, … as
/// criterion calls it: one `Training::step` per iteration. Written once for every network,
/// through the `Network` trait.
fn bench_steps<N, O, S, const W: usize, const B: usize>(
    c: &mut Criterion,
    name: &str,
    net: &mut N,
    training: &mut Training<N, O, B, f32, S>,
    (xs, labels): (&[[[f32; W]; B]], &[[usize; B]]),
) where
    N: Network<f32, InputRow = [f32; W], Target = usize>,
    O: Optimizer<f32>,
    S: BorrowMut<StepBlocks<N, O, B>>,
    Const<B>: Batch,
{
    let mut rng = StdRng::seed_from_u64(5);
    let mut calls = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            calls += 1;
            let k = calls % BATCHES;
            let stats = training.step(net, &xs[k], &labels[k], &mut rng);
            black_box(stats.expect("the loss stays finite"))
        })
    });
}

fn digits_b32(c: &mut Criterion) {
    let (rows, labels) = data::<64, 32>(1);
    let (xs, _) = rows.as_chunks::<32>();
    let batches = (xs, &labels[..]);
    let mut net = Digits::<f32>::new(&mut StdRng::seed_from_u64(2));
    let sgd = Sgd::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<Digits, _, 32>::new(sgd);
    bench_steps(c, "digits_b32", &mut net, &mut training, batches);
    let mut net = Digits::<f32>::new(&mut StdRng::seed_from_u64(2));
    let adam = Adam::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<Digits, _, 32>::new(adam);
    bench_steps(c, "digits_b32_adam", &mut net, &mut training, batches);
}

fn large_b256(c: &mut Criterion) {
    let (rows, labels) = data::<1024, 256>(3);
    let (xs, _) = rows.as_chunks::<256>();
    let batches = (xs, &labels[..]);
    let mut net = Large::<f32>::new_boxed(&mut StdRng::seed_from_u64(4));
    let sgd = Sgd::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<Large, _, 256, f32, _>::new_boxed(sgd);
    bench_steps(c, "large_b256", &mut *net, &mut training, batches);
    let mut net = Large::<f32>::new_boxed(&mut StdRng::seed_from_u64(4));
    let adam = Adam::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<Large, _, 256, f32, _>::new_boxed(adam);
    bench_steps(c, "large_b256_adam", &mut *net, &mut training, batches);
}

fn lenet_b64(c: &mut Criterion) {
    let (rows, labels) = data::<784, 64>(5);
    let (xs, _) = rows.as_chunks::<64>();
    let batches = (xs, &labels[..]);
    let mut net = LeNet::<f32>::new(&mut StdRng::seed_from_u64(6));
    let sgd = Sgd::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<LeNet, _, 64, f32, _>::new_boxed(sgd);
    bench_steps(c, "lenet_b64", &mut net, &mut training, batches);
    let mut net = LeNet::<f32>::new(&mut StdRng::seed_from_u64(6));
    let adam = Adam::new(LEARNING_RATE).expect("a valid learning rate");
    let mut training = Training::<LeNet, _, 64, f32, _>::new_boxed(adam);
    bench_steps(c, "lenet_b64_adam", &mut net, &mut training, batches);
}

fn lenet_infer_b1(c: &mut Criterion) {
    let (rows, _) = data::<784, 1>(7);
    let net = LeNet::<f32>::new(&mut StdRng::seed_from_u64(6));
    let mut scratch = typenet::InferenceScratch::<LeNet, 1>::zeroed();
    let mut calls = 0;
    c.bench_function("lenet_infer_b1", |b| {
        b.iter(|| {
            calls += 1;
            let x = [rows[calls % BATCHES]];
            black_box(net.infer(black_box(&x), &mut scratch)[0][0])
        })
    });
}

criterion_group! {
    name = small;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = digits_b32
}

// About 20–40 ms a step: few samples of one or two iterations each.
criterion_group! {
    name = large;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    targets = large_b256
}

// About 2–10 ms a step, and tens of µs an inference.
criterion_group! {
    name = lenet;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    targets = lenet_b64, lenet_infer_b1
}

criterion_main!(small, large, lenet);
