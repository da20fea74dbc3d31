//! The same training steps in f32 and in f64, side by side in one criterion group each:
//! `w2_b32` (64 → 128 relu → 10, batch 32) and `w3_b128` (784 → 256 relu → 256 relu → 10,
//! batch 128), softmax cross-entropy, SGD and Adam. An f64 product has half the FLOP rate of
//! an f32 one, so an f64 step should take about twice as long, and no more.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use typenet::prelude::*;

network! {
    struct W2 {
        input: 64,
        dense(128), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    struct W3 {
        input: 784,
        dense(256), relu,
        dense(256), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

/// Batches cycled through, so that one batch does not stay in cache.
const BATCHES: usize = 8;

/// Times `Training::step` in scalar `T` with `optimizer` on a fresh network.
fn step<N, T, O, const W: usize, const B: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    optimizer: O,
) where
    T: Scalar,
    N: Network<T, InputRow = [T; W], Target = usize>,
    O: Optimizer<T>,
    Const<B>: Batch,
{
    let mut rng = StdRng::seed_from_u64(1);
    let xs: Vec<[[T; W]; B]> = (0..BATCHES)
        .map(|_| core::array::from_fn(|_| core::array::from_fn(|_| T::from_f64(rng.random()))))
        .collect();
    let labels: Vec<[usize; B]> = (0..BATCHES)
        .map(|_| core::array::from_fn(|_| rng.random_range(0..10)))
        .collect();
    let mut net = N::new_boxed(&mut StdRng::seed_from_u64(2));
    let mut training = Training::<N, O, B, T>::new_boxed(optimizer);
    let mut calls = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            calls += 1;
            let k = calls % BATCHES;
            let stats = training.step(&mut *net, &xs[k], &labels[k], &mut rng);
            black_box(stats.expect("the loss stays finite"))
        })
    });
}

/// SGD and Adam in both scalars, interleaved.
fn both<N32, N64, const W: usize, const B: usize>(c: &mut Criterion, name: &str)
where
    N32: Network<f32, InputRow = [f32; W], Target = usize>,
    N64: Network<f64, InputRow = [f64; W], Target = usize>,
    Const<B>: Batch,
{
    let mut group = c.benchmark_group(name);
    step::<N32, f32, _, W, B>(&mut group, "sgd_f32", Sgd::new(1e-3).expect("a valid rate"));
    step::<N64, f64, _, W, B>(&mut group, "sgd_f64", Sgd::new(1e-3).expect("a valid rate"));
    step::<N32, f32, _, W, B>(
        &mut group,
        "adam_f32",
        Adam::new(1e-3).expect("a valid rate"),
    );
    step::<N64, f64, _, W, B>(
        &mut group,
        "adam_f64",
        Adam::new(1e-3).expect("a valid rate"),
    );
    group.finish();
}

fn w2(c: &mut Criterion) {
    both::<W2<f32>, W2<f64>, 64, 32>(c, "w2_b32");
}

fn w3(c: &mut Criterion) {
    both::<W3<f32>, W3<f64>, 784, 128>(c, "w3_b128");
}

criterion_group!(benches, w2, w3);
criterion_main!(benches);
