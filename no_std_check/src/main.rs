//! Trains small classifiers with typenet built without `std` and without `alloc`: every
//! block lives on the stack, the data in `static` memory. First step by step with a
//! schedule, then through the trainer with a validation set and early stopping. Exits 0
//! when both learned (the loss fell tenfold and every point is classified right), 1
//! otherwise.
#![no_std]
#![no_main]

use rand::rngs::SmallRng;
use rand::SeedableRng;
use typenet::optim::Momentum;
use typenet::prelude::*;
use typenet::train::{FitBuffers, Stop};

network! {
    /// XOR of two inputs, in two classes.
    struct Xor {
        input: 2,
        dense(8), tanh,
        dense(2),
        loss: softmax_cross_entropy,
    }
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

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    match (trains(), trainer_trains()) {
        (Ok(true), Ok(true)) => 0,
        _ => 1,
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: `abort` from the C library takes no arguments and never returns.
    unsafe { abort() }
}

#[link(name = "c")]
extern "C" {
    fn abort() -> !;
}

/// The prebuilt `core` for this target refers to the unwinding personality routine even
/// under `panic = "abort"`, where nothing ever calls it.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
