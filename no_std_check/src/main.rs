//! Trains a small classifier with typenet built without `std` and without `alloc`: every
//! block lives on the stack. Exits 0 when the loss fell tenfold and every point is classified
//! right, 1 otherwise.
#![no_std]
#![no_main]

use rand::rngs::SmallRng;
use rand::SeedableRng;
use typenet::optim::Momentum;
use typenet::prelude::*;

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

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    match trains() {
        Ok(true) => 0,
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
