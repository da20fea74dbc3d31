//! Trains small classifiers with typenet built without `std` and without `alloc`, in a
//! program that uses nothing of a host: on x86_64 Linux it has its own entry point and
//! leaves through the exit system call (`host.rs`); everything else here is the same on a
//! microcontroller.
//!
//! Three runs: step by step with momentum and a schedule, every block on the stack; through
//! the trainer with a validation set and early stopping; and with Adam, where the network,
//! Adam's state and the cache live in static memory (`.bss`) and the trained network, viewed
//! from its bytes in the inference-only form, then classifies points it was not trained on. [`learned`] is the program's result: the exit
//! code is 0 when every run learned (the loss fell tenfold and every point is classified
//! right), 1 otherwise, 101 on a panic.
#![no_std]
#![no_main]

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod host;

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use typenet::optim::Momentum;
use typenet::prelude::*;
use typenet::train::{FitBuffers, StepBlocks, Stop};
use typenet::InferenceScratch;

network! {
    /// XOR of two inputs, in two classes.
    struct Xor {
        input: 2,
        dense(8), tanh,
        dense(2),
        loss: softmax_cross_entropy,
    }
}

/// Whether every run learned. The entry point of each target calls it once.
pub fn learned() -> bool {
    matches!(trains(), Ok(true))
        && matches!(trainer_trains(), Ok(true))
        && matches!(adam_trains_in_static_memory(), Ok(true))
}

fn trains() -> Result<bool, Error> {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut net = Xor::<f32>::new(&mut rng);
    // The gradients, the cache and momentum's state (one copy of the parameters) are one
    // plain value on the stack, inside the training run.
    let mut training = Training::<Xor, _, 4>::new(Momentum::new(0.2, 0.9)?);
    // A learning-rate schedule is a plain value too, computing in f64 through `libm`.
    let mut schedule = CosineAnnealing::new(training.optimizer().lr(), 500, 0.01)?;
    let x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let labels = [0, 1, 1, 0];
    let first = net.loss(&x, &labels)?;
    for _ in 0..500 {
        training.step(&mut net, &x, &labels, &mut rng)?;
        schedule.step();
        schedule.apply(training.optimizer_mut())?;
    }
    let last = net.loss(&x, &labels)?;
    Ok(last < first / 10.0 && net.predict(&x)? == labels)
}

/// Eight points of two noisy XOR clusters each side, in read-only memory.
#[rustfmt::skip]
static FEATURES: [[f32; 2]; 16] = [
    [0.0, 0.1], [0.1, 0.0], [0.9, 1.0], [1.0, 0.9], [0.1, 0.1], [0.9, 0.9], [0.0, 0.0], [1.0, 1.0],
    [0.0, 0.9], [0.1, 1.0], [1.0, 0.1], [0.9, 0.0], [0.1, 0.9], [0.9, 0.1], [0.0, 1.0], [1.0, 0.0],
];
static LABELS: [usize; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

/// The trainer without a heap: the order of each epoch and the best network so far live in
/// buffers on the stack, lent to `fit_in`; each epoch's report goes to a callback.
fn trainer_trains() -> Result<bool, Error> {
    let mut rng = SmallRng::seed_from_u64(11);
    let mut net = Xor::<f32>::new(&mut rng);
    let data = Samples::new(&FEATURES, &LABELS)?;
    let first = net.evaluate(&FEATURES, &LABELS, &mut XorCache::<4>::zeroed())?;
    let mut trainer = Trainer::new(Training::<Xor, _, 4>::new(Momentum::new(0.1, 0.9)?))
        .epochs(400)
        .early_stopping(EarlyStopping::new(30).with_min_delta(1e-4)?);
    let mut order = [0usize; 16];
    let mut best = Xor::<f32>::zeroed();
    let mut epochs_seen = 0;
    let summary = trainer.fit_in(
        &mut net,
        data,
        Some(data),
        &mut rng,
        FitBuffers {
            order: &mut order,
            best: Some(&mut best),
        },
        |_| epochs_seen += 1,
    )?;
    let last = net.evaluate(&FEATURES, &LABELS, &mut XorCache::<4>::zeroed())?;
    let kept = summary.best.and_then(|b| b.validation).map(|v| v.loss);
    Ok(epochs_seen == summary.epochs
        && matches!(summary.stop, Stop::Completed | Stop::EarlyStopping { .. })
        && kept == Some(last.loss)
        && last.loss < first.loss / 10.0
        && last.accuracy == Some(1.0))
}

/// A block of scalars in static memory, all zero until first used, so that it takes no
/// bytes of the image (`.bss`), lent out once as `&'static mut`. A safe stand-in for
/// `static mut`, whose references the compiler cannot check.
struct ZeroedStatic<F> {
    block: UnsafeCell<MaybeUninit<F>>,
    lent: AtomicBool,
}

// SAFETY: the block is reached only through the one `&mut` that `take` hands out (the flag
// is swapped atomically), so no two threads ever share it; sending that `&mut` to another
// thread needs `F: Send`.
unsafe impl<F: Send> Sync for ZeroedStatic<F> {}

impl<F> ZeroedStatic<F> {
    const fn new() -> Self {
        ZeroedStatic {
            block: UnsafeCell::new(MaybeUninit::zeroed()),
            lent: AtomicBool::new(false),
        }
    }

    /// The block, the first time; `None` after.
    // A `&mut` from a `&`, as clippy warns: sound here because the flag hands it out once.
    #[allow(clippy::mut_from_ref)]
    fn take<T>(&'static self) -> Option<&'static mut F>
    where
        F: Flat<T>,
    {
        if self.lent.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: all-zero bytes are a valid `Flat` block (the trait's contract), and the
        // flag makes this the only reference to it that ever exists.
        Some(unsafe { (*self.block.get()).assume_init_mut() })
    }
}

/// The batch of the Adam run: every training point at once.
const BATCH: usize = 16;
type AdamBlocks = StepBlocks<Xor, Adam, BATCH>;

/// The network of the Adam run.
static NETWORK: ZeroedStatic<Xor> = ZeroedStatic::new();
/// Its gradients, Adam's two moments, the cache of activations and a batch of inputs.
static ADAM_BLOCKS: ZeroedStatic<AdamBlocks> = ZeroedStatic::new();

/// Points near each corner that training never saw, and their classes.
#[rustfmt::skip]
static PROBES: [[f32; 2]; BATCH] = [
    [0.05, 0.05], [0.2, 0.15], [0.95, 0.95], [0.8, 0.85],
    [0.15, 0.0], [0.85, 1.0], [0.0, 0.2], [1.0, 0.8],
    [0.05, 0.95], [0.2, 0.85], [0.95, 0.05], [0.8, 0.15],
    [0.0, 0.8], [1.0, 0.2], [0.15, 1.0], [0.85, 0.0],
];
static PROBE_LABELS: [usize; BATCH] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

/// Adam, with the network and every block of its run (gradients, Adam's two moments, the
/// cache) in static memory; the stack holds none of them.
fn adam_trains_in_static_memory() -> Result<bool, Error> {
    let (Some(net), Some(blocks)) = (NETWORK.take(), ADAM_BLOCKS.take()) else {
        return Ok(false);
    };
    let mut rng = SmallRng::seed_from_u64(3);
    net.init(&mut rng);
    let mut training = Training::<Xor, _, BATCH, f32, _>::with_blocks(Adam::new(0.05)?, blocks);
    let first = net.evaluate(&FEATURES, &LABELS, &mut training.blocks_mut().cache)?;
    for _ in 0..300 {
        training.step(net, &FEATURES, &LABELS, &mut rng)?;
    }
    let last = net.evaluate(&FEATURES, &LABELS, &mut training.blocks_mut().cache)?;
    // Inference in the inference-only form: the trained network viewed from its bytes, as a
    // device would read it from flash, and two ping-pong buffers on the stack in place of
    // the training cache.
    let deployed = Xor::<f32>::view_bytes(net.as_bytes())?;
    let mut scratch = InferenceScratch::<Xor, BATCH>::zeroed();
    let classes = deployed.predict_with(&PROBES, &mut scratch)?;
    Ok(last.loss < first.loss / 10.0 && last.accuracy == Some(1.0) && classes == PROBE_LABELS)
}
