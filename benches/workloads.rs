//! The four workloads of the speed table in BENCHMARKS.md, f32: for each, a training step with
//! SGD, SGD with momentum and Adam, inference at the training batch and at batch 1, and the
//! "bound", the matrix products of the same step or forward pass alone, through
//! matrixmultiply (`bound_step`, `bound_infer`), through typenet's own packed kernel (`…_packed`)
//! and through plain loops (`…_loops`, which win on the smallest products).
//!
//! - `w1_b1`, `w1_b16`: 16 → 32 relu → 4, mean squared error, batch 1 and 16.
//! - `w2_b32`: 64 → 128 relu → 10, softmax cross-entropy, batch 32.
//! - `w3_b128`: 784 → 256 relu → 256 relu → 10, softmax cross-entropy, batch 128.
//! - `w4_b256`: 1024 → 1024 relu → 1024 relu → 10, softmax cross-entropy, batch 256.
//!
//! Each workload is one criterion group, so that its typenet and bound times come from the
//! same minute of the same run. `benches/pytorch_baseline.py` times the same workloads in
//! PyTorch. Built with `--features threads`, typenet's products use two threads.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, Bencher, BenchmarkGroup, Criterion};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Duration;
use typenet::prelude::*;
use typenet::{gemm_with_kernel, InferenceScratch, Kernel};

network! {
    struct W1 {
        input: 16,
        dense(32), relu,
        dense(4),
        loss: mean_squared_error,
    }
}

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

network! {
    struct W4 {
        input: 1024,
        dense(1024), relu,
        dense(1024), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

/// With `TYPENET_BENCH_CPU_TIME` set, benchmarks report the time the benchmark's thread spent
/// on a CPU (`CLOCK_THREAD_CPUTIME_ID`) instead of the wall-clock time: steadier on a busy
/// machine, where the thread waits for a core, but meaningless for two threads.
#[cfg(target_os = "linux")]
fn cpu_time() -> Option<Duration> {
    std::env::var_os("TYPENET_BENCH_CPU_TIME")?;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0;
    let seconds = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    (!failed).then(|| Duration::new(seconds, nanos))
}

/// Elsewhere, always the wall-clock time.
#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Option<Duration> {
    None
}

/// Times `routine` with criterion's wall clock, or with [`cpu_time`] when it is asked for.
fn time<R>(b: &mut Bencher<'_>, mut routine: impl FnMut() -> R) {
    if cpu_time().is_none() {
        return b.iter(routine);
    }
    b.iter_custom(|iters| {
        let start = cpu_time().unwrap_or_default();
        for _ in 0..iters {
            black_box(routine());
        }
        cpu_time().unwrap_or_default().saturating_sub(start)
    });
}

/// The step cycles through this many batches, as a training loop cycles through a data set.
const BATCHES: usize = 8;
const CLASSES: usize = 10;
const LEARNING_RATE: f32 = 1e-3;
const MOMENTUM: f32 = 0.9;

/// `BATCHES · B` rows uniform in [0, 1).
fn rows<const W: usize>(rng: &mut StdRng, count: usize) -> Vec<[f32; W]> {
    (0..count)
        .map(|_| core::array::from_fn(|_| rng.random::<f32>()))
        .collect()
}

/// What a workload's network needs to be benchmarked: its random targets.
trait Workload<const W: usize>: Network<f32, InputRow = [f32; W]> + Sized {
    fn target(rng: &mut StdRng) -> Self::Target;
}

macro_rules! classifier {
    ($($net:ident $w:literal),*) => {$(
        impl Workload<$w> for $net {
            fn target(rng: &mut StdRng) -> usize {
                rng.random_range(0..CLASSES)
            }
        }
    )*};
}
classifier!(W2 64, W3 784, W4 1024);

impl Workload<16> for W1 {
    fn target(rng: &mut StdRng) -> [f32; 4] {
        core::array::from_fn(|_| rng.random::<f32>())
    }
}

/// The batches of one workload: inputs uniform in [0, 1) and uniform random targets.
struct Batches<N: Network<f32>, const W: usize, const B: usize> {
    xs: Vec<[[f32; W]; B]>,
    targets: Vec<[N::Target; B]>,
}

impl<N: Workload<W>, const W: usize, const B: usize> Batches<N, W, B> {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let flat = rows::<W>(&mut rng, BATCHES * B);
        let (xs, _) = flat.as_chunks::<B>();
        let targets = (0..BATCHES)
            .map(|_| core::array::from_fn(|_| N::target(&mut rng)))
            .collect();
        Batches {
            xs: xs.to_vec(),
            targets,
        }
    }
}

/// Times `Training::step` with `optimizer` on a fresh network, cycling through the batches.
fn step<N, O, const W: usize, const B: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    optimizer: O,
    data: &Batches<N, W, B>,
) where
    N: Workload<W>,
    O: Optimizer<f32>,
    Const<B>: Batch,
{
    let mut net = N::new_boxed(&mut StdRng::seed_from_u64(2));
    let mut training = Training::<N, O, B>::new_boxed(optimizer);
    let mut rng = StdRng::seed_from_u64(5);
    let mut calls = 0;
    group.bench_function(name, |b| {
        time(b, || {
            calls += 1;
            let k = calls % BATCHES;
            let stats = training.step(&mut *net, &data.xs[k], &data.targets[k], &mut rng);
            black_box(stats.expect("the loss stays finite"))
        })
    });
}

/// The three optimizers' steps.
fn steps<N: Workload<W>, const W: usize, const B: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    data: &Batches<N, W, B>,
) where
    Const<B>: Batch,
{
    let sgd = Sgd::new(LEARNING_RATE).expect("a valid learning rate");
    step(group, "sgd", sgd, data);
    let momentum = Momentum::new(LEARNING_RATE, MOMENTUM).expect("valid hyper-parameters");
    step(group, "momentum", momentum, data);
    let adam = Adam::new(LEARNING_RATE).expect("a valid learning rate");
    step(group, "adam", adam, data);
}

/// Times `Network::infer` at batch `B` (in the inference scratch, without the cache).
fn infer<N: Workload<W>, const W: usize, const B: usize>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    data: &Batches<N, W, B>,
) where
    Const<B>: Batch,
{
    let net = N::new_boxed(&mut StdRng::seed_from_u64(2));
    let mut scratch = InferenceScratch::<N, B>::zeroed_boxed();
    let mut calls = 0;
    group.bench_function(name, |b| {
        time(b, || {
            calls += 1;
            let out = net.infer(&data.xs[calls % BATCHES], &mut scratch);
            black_box(out[0].as_flat()[0])
        })
    });
}

/// The operands of one dense layer's products on a batch: y = x·Wᵀ, dW = dyᵀ·x, dx = dy·W.
struct Products {
    batch: usize,
    inputs: usize,
    outputs: usize,
    x: Vec<f32>,
    w: Vec<f32>,
    y: Vec<f32>,
    dy: Vec<f32>,
    dw: Vec<f32>,
    dx: Vec<f32>,
}

impl Products {
    /// One set per layer of a network of `widths`.
    fn network(widths: &[usize], batch: usize) -> Vec<Products> {
        let mut rng = StdRng::seed_from_u64(7);
        let mut random =
            |len: usize| -> Vec<f32> { (0..len).map(|_| rng.random_range(-1.0..1.0)).collect() };
        widths
            .windows(2)
            .map(|io| {
                let (inputs, outputs) = (io[0], io[1]);
                Products {
                    batch,
                    inputs,
                    outputs,
                    x: random(batch * inputs),
                    w: random(outputs * inputs),
                    y: vec![0.0; batch * outputs],
                    dy: random(batch * outputs),
                    dw: vec![0.0; outputs * inputs],
                    dx: vec![0.0; batch * inputs],
                }
            })
            .collect()
    }
}

/// A row-major matrix product c ← a·b (`beta` 0) through matrixmultiply, with `a` m×k and
/// `b` k×n given by their (row, column) strides.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    (ar, ac): (usize, usize),
    b: &[f32],
    (br, bc): (usize, usize),
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    // SAFETY: the strides describe matrices inside the slices (checked lengths: each is a
    // row-major or transposed dense matrix of that size), and `c` aliases neither input.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            ar as isize,
            ac as isize,
            b.as_ptr(),
            br as isize,
            bc as isize,
            0.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The products of a training step through matrixmultiply: per layer x·Wᵀ and dyᵀ·x, and dy·W
/// except for the first layer, whose input needs no gradient. With `backward` false only the
/// forward products: the inference bound.
fn bound_matrixmultiply(layers: &mut [Products], backward: bool) {
    for l in layers.iter_mut() {
        let (b, i, o) = (l.batch, l.inputs, l.outputs);
        sgemm((b, i, o), &l.x, (i, 1), &l.w, (1, i), &mut l.y);
    }
    if !backward {
        return;
    }
    for (index, l) in layers.iter_mut().enumerate().rev() {
        let (b, i, o) = (l.batch, l.inputs, l.outputs);
        sgemm((o, b, i), &l.dy, (1, o), &l.x, (i, 1), &mut l.dw);
        if index > 0 {
            sgemm((b, o, i), &l.dy, (o, 1), &l.w, (i, 1), &mut l.dx);
        }
    }
}

/// [`sgemm`] through typenet's own packed kernel (AVX2 and FMA), which the library picks for
/// most of these shapes; falls back to matrixmultiply where that kernel is not available.
fn sgemm_packed(
    (m, k, n): (usize, usize, usize),
    a: (&[f32], (usize, usize)),
    b: (&[f32], (usize, usize)),
    c: &mut [f32],
) {
    if !gemm_with_kernel(Kernel::Packed, (m, k, n), 1.0, a, b, 0.0, c) {
        sgemm((m, k, n), a.0, a.1, b.0, b.1, c);
    }
}

/// [`bound_matrixmultiply`]'s products through the packed kernel: what is left of a step once
/// its products are as fast as typenet's own can make them.
fn bound_packed(layers: &mut [Products], backward: bool) {
    for l in layers.iter_mut() {
        let (b, i, o) = (l.batch, l.inputs, l.outputs);
        sgemm_packed((b, i, o), (&l.x, (i, 1)), (&l.w, (1, i)), &mut l.y);
    }
    if !backward {
        return;
    }
    for (index, l) in layers.iter_mut().enumerate().rev() {
        let (b, i, o) = (l.batch, l.inputs, l.outputs);
        sgemm_packed((o, b, i), (&l.dy, (1, o)), (&l.x, (i, 1)), &mut l.dw);
        if index > 0 {
            sgemm_packed((b, o, i), (&l.dy, (o, 1)), (&l.w, (i, 1)), &mut l.dx);
        }
    }
}

/// A dot product in eight partial sums, so that it vectorizes.
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `row += a·b_row`.
fn axpy(row: &mut [f32], a: f32, b_row: &[f32]) {
    row.iter_mut().zip(b_row).for_each(|(r, &b)| *r += a * b);
}

/// The same products as [`bound_matrixmultiply`] as plain loops: dot products for x·Wᵀ and
/// row updates for dyᵀ·x and dy·W, which is what wins on the smallest shapes.
fn bound_loops(layers: &mut [Products], backward: bool) {
    for l in layers.iter_mut() {
        let (i, o) = (l.inputs, l.outputs);
        for (x_row, y_row) in l.x.chunks_exact(i).zip(l.y.chunks_exact_mut(o)) {
            for (w_row, y) in l.w.chunks_exact(i).zip(y_row) {
                *y = dot(x_row, w_row);
            }
        }
    }
    if !backward {
        return;
    }
    for (index, l) in layers.iter_mut().enumerate().rev() {
        let (i, o) = (l.inputs, l.outputs);
        l.dw.fill(0.0);
        for (dy_row, x_row) in l.dy.chunks_exact(o).zip(l.x.chunks_exact(i)) {
            for (&d, dw_row) in dy_row.iter().zip(l.dw.chunks_exact_mut(i)) {
                axpy(dw_row, d, x_row);
            }
        }
        if index > 0 {
            l.dx.fill(0.0);
            for (dy_row, dx_row) in l.dy.chunks_exact(o).zip(l.dx.chunks_exact_mut(i)) {
                for (&d, w_row) in dy_row.iter().zip(l.w.chunks_exact(i)) {
                    axpy(dx_row, d, w_row);
                }
            }
        }
    }
}

/// Times the products of a step (`bound_step`) or of a forward pass (`bound_infer`) of a
/// network of `widths` on a batch, through `products`, named with `suffix`.
fn bound(
    group: &mut BenchmarkGroup<'_, WallTime>,
    widths: &[usize],
    batch: usize,
    (products, suffix): (fn(&mut [Products], bool), &str),
    backward: bool,
) {
    let mut layers = Products::network(widths, batch);
    let name = if backward {
        "bound_step"
    } else {
        "bound_infer"
    };
    let name = if batch == 1 && !backward {
        format!("{name}_b1{suffix}")
    } else {
        format!("{name}{suffix}")
    };
    group.bench_function(name, |b| {
        time(b, || {
            products(black_box(&mut layers), backward);
            black_box(layers[0].y[0])
        })
    });
}

const MATRIXMULTIPLY: (fn(&mut [Products], bool), &str) = (bound_matrixmultiply, "");
const LOOPS: (fn(&mut [Products], bool), &str) = (bound_loops, "_loops");
const PACKED: (fn(&mut [Products], bool), &str) = (bound_packed, "_packed");

/// A workload at batch `B`: the three steps, inference at `B` and at 1, and their bounds.
fn workload<N: Workload<W>, const W: usize, const B: usize>(
    c: &mut Criterion,
    name: &str,
    widths: &[usize],
) where
    Const<B>: Batch,
{
    let data = Batches::<N, W, B>::new(1);
    let single = Batches::<N, W, 1>::new(3);
    let mut group = c.benchmark_group(name);
    if B * widths[1] >= 128 * 256 {
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(6));
    }
    steps(&mut group, &data);
    bound(&mut group, widths, B, MATRIXMULTIPLY, true);
    bound(&mut group, widths, B, PACKED, true);
    infer(&mut group, "infer", &data);
    bound(&mut group, widths, B, MATRIXMULTIPLY, false);
    bound(&mut group, widths, B, PACKED, false);
    if B <= 32 {
        bound(&mut group, widths, B, LOOPS, true);
    }
    if B > 1 {
        infer::<N, W, 1>(&mut group, "infer_b1", &single);
    }
    bound(&mut group, widths, 1, LOOPS, false);
    group.finish();
}

fn w1(c: &mut Criterion) {
    workload::<W1, 16, 1>(c, "w1_b1", &[16, 32, 4]);
    workload::<W1, 16, 16>(c, "w1_b16", &[16, 32, 4]);
}

fn w2(c: &mut Criterion) {
    workload::<W2, 64, 32>(c, "w2_b32", &[64, 128, 10]);
}

fn w3(c: &mut Criterion) {
    workload::<W3, 784, 128>(c, "w3_b128", &[784, 256, 256, 10]);
}

fn w4(c: &mut Criterion) {
    workload::<W4, 1024, 256>(c, "w4_b256", &[1024, 1024, 1024, 10]);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = w1, w2, w3, w4
}

criterion_main!(benches);
