//! The three product forms of `Matrix` (`gemm`, `gemm_nt`, `gemm_tn`), f32, one thread, at
//! the shapes a dense layer uses and at sizes around the switch from the built-in kernel to
//! matrixmultiply or the packed kernel (`choose` in core/src/gemm/mod.rs).
//!
//! Names read `<form>_<m>x<k>x<n>`: `c` is m×n and each product takes m·k·n multiply-adds,
//! which criterion reports as elements per second.
//! - `nt`: c = a·bᵀ, a layer's forward pass x·Wᵀ (m = batch, k = inputs, n = outputs);
//! - `tn`: c = aᵀ·b, its weight gradient dyᵀ·x (m = outputs, k = batch, n = inputs);
//! - `nn`: c = a·b, its input gradient dy·W (m = batch, k = outputs, n = inputs).
//!
//! The public API picks the kernel itself; `benches/kernels.rs` times each kernel on its own.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Duration;
use typenet::dim::{ArrayLength, U};
use typenet::prelude::*;

/// A boxed matrix of values uniform in [-1, 1).
fn random<R: ArrayLength, C: ArrayLength>(rng: &mut StdRng) -> Box<Matrix<R, C, f32>> {
    let mut m = Matrix::<R, C, f32>::zeroed_boxed();
    m.as_mut_slice()
        .iter_mut()
        .for_each(|x| *x = rng.random_range(-1.0..1.0));
    m
}

fn setup<M: ArrayLength, K: ArrayLength, N: ArrayLength>(
    group: &mut BenchmarkGroup<'_, WallTime>,
) -> (StdRng, Box<Matrix<M, N, f32>>) {
    group.throughput(Throughput::Elements(
        (M::USIZE * K::USIZE * N::USIZE) as u64,
    ));
    let seed = (M::USIZE * 1_000_003 + K::USIZE * 1009 + N::USIZE) as u64;
    (StdRng::seed_from_u64(seed), Matrix::zeroed_boxed())
}

fn name(form: &str, (m, k, n): (usize, usize, usize), what: &str) -> String {
    let what = if what.is_empty() {
        String::new()
    } else {
        format!("_{what}")
    };
    format!("{form}_{m}x{k}x{n}{what}")
}

/// c ← a·bᵀ + beta·c, a: m×k, b: n×k.
fn nt<M: ArrayLength, K: ArrayLength, N: ArrayLength>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    beta: f32,
    what: &str,
) {
    let (mut rng, mut c) = setup::<M, K, N>(group);
    let a = random::<M, K>(&mut rng);
    let b = random::<N, K>(&mut rng);
    let id = name("nt", (M::USIZE, K::USIZE, N::USIZE), what);
    group.bench_function(id, |bench| {
        bench.iter(|| c.gemm_nt(1.0, black_box(&*a), black_box(&*b), beta))
    });
}

/// c ← aᵀ·b, a: k×m, b: k×n.
fn tn<M: ArrayLength, K: ArrayLength, N: ArrayLength>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    what: &str,
) {
    let (mut rng, mut c) = setup::<M, K, N>(group);
    let a = random::<K, M>(&mut rng);
    let b = random::<K, N>(&mut rng);
    let id = name("tn", (M::USIZE, K::USIZE, N::USIZE), what);
    group.bench_function(id, |bench| {
        bench.iter(|| c.gemm_tn(1.0, black_box(&*a), black_box(&*b), 0.0))
    });
}

/// c ← a·b, a: m×k, b: k×n.
fn nn<M: ArrayLength, K: ArrayLength, N: ArrayLength>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    what: &str,
) {
    let (mut rng, mut c) = setup::<M, K, N>(group);
    let a = random::<M, K>(&mut rng);
    let b = random::<K, N>(&mut rng);
    let id = name("nn", (M::USIZE, K::USIZE, N::USIZE), what);
    group.bench_function(id, |bench| {
        bench.iter(|| c.gemm(1.0, black_box(&*a), black_box(&*b), 0.0))
    });
}

/// The three products of a dense layer `I → O` on a batch of `B`, with the forward pass's
/// `beta = 1` (the bias is copied into the output first) and the gradients' `beta = 0`.
fn layer<B: ArrayLength, I: ArrayLength, O: ArrayLength>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    input_grad: bool,
    what: &str,
) {
    let suffix = |part: &str| {
        if what.is_empty() {
            part.to_string()
        } else {
            format!("{part}_{what}")
        }
    };
    nt::<B, I, O>(group, 1.0, &suffix("forward"));
    tn::<O, B, I>(group, &suffix("weight_grad"));
    if input_grad {
        nn::<B, O, I>(group, &suffix("input_grad"));
    }
}

/// The five products of one `digits_b32` training step (the first layer has no input
/// gradient to compute).
fn digits_b32(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_digits_b32");
    layer::<U<32>, U<64>, U<128>>(&mut group, false, "hidden");
    layer::<U<32>, U<128>, U<10>>(&mut group, true, "output");
    group.finish();
}

/// The distinct products of one `large_b256` step: its two 1024 → 1024 layers do the same
/// products (the first without an input gradient), then the 1024 → 10 output layer.
fn large_b256(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_large_b256");
    layer::<U<256>, U<1024>, U<1024>>(&mut group, true, "hidden");
    layer::<U<256>, U<1024>, U<10>>(&mut group, true, "output");
    group.finish();
}

/// Cubes from 4·4·4 to 64·64·64, on both sides of 32·32·32, in each form.
fn switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_switch");
    macro_rules! cubes {
        ($($n:literal)*) => {$(
            nt::<U<$n>, U<$n>, U<$n>>(&mut group, 0.0, "");
            tn::<U<$n>, U<$n>, U<$n>>(&mut group, "");
            nn::<U<$n>, U<$n>, U<$n>>(&mut group, "");
        )*};
    }
    cubes!(4 8 12 16 24 32 40 48 64);
    group.finish();
}

/// The digits hidden layer (64 → 128) on small batches: 8192·B multiply-adds a product, so
/// the switch falls at B = 4.
fn batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_batch");
    macro_rules! batches {
        ($($b:literal)*) => {$(
            layer::<U<$b>, U<64>, U<128>>(&mut group, true, "");
        )*};
    }
    batches!(1 2 4 6 8 16);
    group.finish();
}

criterion_group! {
    name = small;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    targets = digits_b32, switch, batch
}

// 2.7–540 million multiply-adds a product: up to a few milliseconds each.
criterion_group! {
    name = large;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = large_b256
}

criterion_main!(small, large);
