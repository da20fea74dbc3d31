//! matrixmultiply against the crate's own packed kernel (and the built-in loops on the small
//! products) on every product shape of the workloads (benches/workloads.rs) and of the
//! LeNet-like convolutions (benches/conv.rs), f32 and one thread, the kernels alternating
//! within one run so that a busy neighbour slows them alike.
//!
//! For each shape, `ROUNDS` rounds; in each round every kernel is timed over enough calls to
//! take about `ROUND_TIME`. The report gives the median µs per call over the rounds with the
//! range of the rounds, GFLOP/s (2·m·k·n per call) and the share of the core's FMA peak,
//! measured first with a loop of independent 8-lane FMAs.
//!
//! `cargo bench --bench kernels` (add `-- f64` to time f64, `-- quick` for fewer rounds, and
//! names or their beginnings, such as `-- "w4 l1" conv`, to time only those products).

use std::hint::black_box;
use std::time::{Duration, Instant};
use typenet::{gemm_with_kernel, Kernel, Scalar};

/// (name, form, m, k, n): `nt` is a·bᵀ (a layer's forward pass x·Wᵀ), `tn` aᵀ·b (its weight
/// gradient dyᵀ·x), `nn` a·b (its input gradient dy·W; a convolution's forward pass).
const SHAPES: &[(&str, &str, usize, usize, usize)] = &[
    ("w1 l1 fwd", "nt", 16, 16, 32),
    ("w1 l1 dW", "tn", 32, 16, 16),
    ("w1 l2 fwd", "nt", 16, 32, 4),
    ("w1 l2 dW", "tn", 4, 16, 32),
    ("w1 l2 dx", "nn", 16, 4, 32),
    ("w2 l1 fwd", "nt", 32, 64, 128),
    ("w2 l1 dW", "tn", 128, 32, 64),
    ("w2 l2 fwd", "nt", 32, 128, 10),
    ("w2 l2 dW", "tn", 10, 32, 128),
    ("w2 l2 dx", "nn", 32, 10, 128),
    ("w3 l1 fwd", "nt", 128, 784, 256),
    ("w3 l1 dW", "tn", 256, 128, 784),
    ("w3 l2 fwd", "nt", 128, 256, 256),
    ("w3 l2 dW", "tn", 256, 128, 256),
    ("w3 l2 dx", "nn", 128, 256, 256),
    ("w3 l3 fwd", "nt", 128, 256, 10),
    ("w3 l3 dW", "tn", 10, 128, 256),
    ("w3 l3 dx", "nn", 128, 10, 256),
    ("w4 l1 fwd", "nt", 256, 1024, 1024),
    ("w4 l1 dW", "tn", 1024, 256, 1024),
    ("w4 l2 dx", "nn", 256, 1024, 1024),
    ("w4 l3 fwd", "nt", 256, 1024, 10),
    ("w4 l3 dW", "tn", 10, 256, 1024),
    ("w4 l3 dx", "nn", 256, 10, 1024),
    ("conv1 fwd", "nn", 8, 25, 784),
    ("conv1 dW", "nt", 8, 784, 25),
    ("conv1 dcol", "tn", 25, 8, 784),
    ("conv2 fwd", "nn", 16, 200, 100),
    ("conv2 dW", "nt", 16, 100, 200),
    ("conv2 dcol", "tn", 200, 16, 100),
];

const KERNELS: [Kernel; 3] = [Kernel::Matrixmultiply, Kernel::Packed, Kernel::Loops];

/// Values in [-1, 1) from a fixed sequence.
fn values<T: Scalar>(len: usize, seed: u64) -> Vec<T> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            T::from_f64((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
        })
        .collect()
}

/// One product's operands, laid out as its form says.
struct Case<T> {
    shape: (usize, usize, usize),
    a: Vec<T>,
    sa: (usize, usize),
    b: Vec<T>,
    sb: (usize, usize),
    c: Vec<T>,
    beta: T,
}

impl<T: Scalar> Case<T> {
    fn new(form: &str, (m, k, n): (usize, usize, usize)) -> Self {
        let (sa, sb) = match form {
            "nt" => ((k, 1), (1, k)),
            "tn" => ((1, m), (n, 1)),
            _ => ((k, 1), (n, 1)),
        };
        Case {
            shape: (m, k, n),
            a: values(m * k, 1),
            sa,
            b: values(k * n, 2),
            sb,
            c: values(m * n, 3),
            // The forward pass adds to the bias already in c; the gradients overwrite.
            beta: if form == "nt" { T::ONE } else { T::ZERO },
        }
    }

    /// One call through `kernel`; false if it does not take this product.
    fn run(&mut self, kernel: Kernel) -> bool {
        let (a, b) = ((&self.a[..], self.sa), (&self.b[..], self.sb));
        let alpha = T::ONE;
        let c = black_box(&mut self.c[..]);
        gemm_with_kernel(kernel, self.shape, alpha, a, b, self.beta, c)
    }

    /// µs per call over about `time`.
    fn time(&mut self, kernel: Kernel, time: Duration) -> f64 {
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < time || calls < 3 {
            self.run(kernel);
            calls += 1;
        }
        start.elapsed().as_secs_f64() * 1e6 / calls as f64
    }
}

/// The median and the range of some timings.
fn summary(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

/// GFLOP/s of the core's independent FMAs: 10 chains of 8-lane f32 (or 4-lane f64) FMAs.
#[cfg(target_arch = "x86_64")]
fn fma_peak(f64_lanes: bool) -> f64 {
    use std::arch::x86_64::*;
    #[target_feature(enable = "avx2,fma")]
    unsafe fn chains(steps: u64) -> f32 {
        let mut acc = [_mm256_set1_ps(0.5); 10];
        let (x, y) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        for _ in 0..steps {
            for a in acc.iter_mut() {
                *a = _mm256_fmadd_ps(*a, x, y);
            }
        }
        let mut out = [0f32; 8];
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &a| _mm256_add_ps(s, a));
        _mm256_storeu_ps(out.as_mut_ptr(), sum);
        out.iter().sum()
    }
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        return f64::NAN;
    }
    let steps = 20_000_000;
    let best = (0..7)
        .map(|_| {
            let start = Instant::now();
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            black_box(unsafe { chains(black_box(steps)) });
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    // Each FMA is 2 flops on 8 f32 lanes; f64 lanes are half as many at the same rate.
    let lanes = if f64_lanes { 4.0 } else { 8.0 };
    (steps * 10) as f64 * 2.0 * lanes / best / 1e9
}

#[cfg(not(target_arch = "x86_64"))]
fn fma_peak(_: bool) -> f64 {
    f64::NAN
}

fn report<T: Scalar>(rounds: usize, round_time: Duration, only: &[String]) {
    let peak = fma_peak(T::NAME == "f64");
    println!("{}: FMA peak {peak:.1} GFLOP/s (one core)", T::NAME);
    println!(
        "{:<11} {:<4} {:>16} | {:>28} | {:>28} | {:>22} | faster",
        "product", "form", "m×k×n", "matrixmultiply µs [range]", "packed µs [range]", "loops µs"
    );
    for &(name, form, m, k, n) in SHAPES {
        if !only.is_empty() && !only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        let mut case = Case::<T>::new(form, (m, k, n));
        let kernels: Vec<Kernel> = KERNELS
            .into_iter()
            .filter(|&kernel| case.run(kernel))
            .collect();
        let mut times = vec![Vec::new(); kernels.len()];
        for round in 0..rounds {
            // Alternate which kernel goes first.
            for i in 0..kernels.len() {
                let i = (i + round) % kernels.len();
                times[i].push(case.time(kernels[i], round_time));
            }
        }
        let flop = 2.0 * (m * k * n) as f64;
        let cell = |kernel: Kernel| -> (String, f64) {
            match kernels.iter().position(|&k| k == kernel) {
                Some(i) => {
                    let (median, low, high) = summary(times[i].clone());
                    let rate = flop / median / 1e3;
                    let text = format!(
                        "{median:8.2} [{low:.2}–{high:.2}] {rate:5.1}G {:3.0}%",
                        100.0 * rate / peak
                    );
                    (text, median)
                }
                None => ("—".into(), f64::INFINITY),
            }
        };
        let cells: Vec<(String, f64)> = KERNELS.into_iter().map(cell).collect();
        let best = (0..cells.len())
            .min_by(|&i, &j| cells[i].1.total_cmp(&cells[j].1))
            .map(|i| format!("{:?}", KERNELS[i]))
            .unwrap_or_default();
        let shape = format!("{m}×{k}×{n}");
        println!(
            "{name:<11} {form:<4} {shape:>16} | {} | {} | {} | {best}",
            cells[0].0, cells[1].0, cells[2].0
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "quick");
    let only: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--") && *a != "quick" && *a != "f64")
        .cloned()
        .collect();
    let (rounds, round_time) = if quick {
        (3, Duration::from_millis(40))
    } else {
        (7, Duration::from_millis(100))
    };
    if args.iter().any(|a| a == "f64") {
        report::<f64>(rounds, round_time, &only);
    } else {
        report::<f32>(rounds, round_time, &only);
    }
}
