//! Trains 64 → 128 relu → 10 on the 8×8 handwritten digits with minibatch SGD (or Adam).
//!
//! The recipe: the first 1,437 rows train and the last 360 test (a sequential split, harder
//! than a random one); pixels are scaled by 1/16 and standardized with the training set's
//! statistics; He initialization; plain SGD with learning rate 0.1 (`--optimizer adam`: Adam
//! with learning rate 10⁻³), batch 32, 30 epochs of every training row in a fresh order
//! each epoch, through the trainer. It runs five seeds, each depending on its own seed
//! alone, and prints each epoch's mean training loss and test accuracy, then the mean test
//! accuracy.
//!
//!     cargo run --release --example digits [-- --seeds 5 --epochs 30 --optimizer sgd|adam
//!                                              --data data/digits.csv]

// Public so that `optimizers.rs`, which includes this file, uses this copy of it.
pub mod common;

use common::flags::Flags;
use common::Spread;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Duration;
use typenet::data::Dataset;
use typenet::prelude::*;

network! {
    /// Classifies 8×8 digits (64 pixels) into 10 classes.
    pub struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

const BATCH: usize = 32;
const SGD_LEARNING_RATE: f32 = 0.1;
const ADAM_LEARNING_RATE: f32 = 1e-3;

/// The digits, split and standardized as the recipe says.
pub use common::digits::load;

/// What one training run achieved.
pub struct Run {
    pub test_accuracy: f64,
    pub training_time: Duration,
}

/// Trains a fresh network from `seed` with `optimizer` (any of them: its state's type
/// follows from the optimizer's) on every training row for `epochs` epochs, calling
/// `report(epoch, mean training loss, test accuracy)` after each. The run depends on
/// `seed` alone: the trainer draws each epoch's order without touching the data set.
pub fn train<O: Optimizer<f32>>(
    train: &Dataset<64>,
    test: &Dataset<64>,
    seed: u64,
    epochs: usize,
    optimizer: O,
    mut report: impl FnMut(usize, f32, f64),
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Digits::<f32>::new(&mut rng);
    let mut trainer = Trainer::new(Training::<Digits, _, BATCH>::new(optimizer)).epochs(epochs);
    let fit = trainer.fit_with(
        &mut net,
        train.into(),
        Some(test.into()),
        &mut rng,
        |epoch| {
            let accuracy = epoch.validation.and_then(|v| v.accuracy).unwrap_or(0.0);
            report(epoch.epoch, epoch.train_loss, accuracy);
        },
    )?;
    let last = fit.summary.last.and_then(|e| e.validation);
    // Every epoch's time, the test evaluation after it included.
    let training_time = fit
        .history
        .iter()
        .filter_map(|e| e.elapsed)
        .sum::<Duration>();
    Ok(Run {
        test_accuracy: last.and_then(|v| v.accuracy).unwrap_or(0.0),
        training_time,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags = Flags::parse(&["--seeds", "--epochs", "--optimizer", "--data"], &[])?;
    let seeds: u64 = flags.value("--seeds", 5)?;
    let epochs: usize = flags.value("--epochs", 30)?;
    let optimizer = flags.choice("--optimizer", &["sgd", "adam"])?;
    let path: String = flags.value("--data", String::from("data/digits.csv"))?;
    let (train_set, test_set) = load(&path)?;
    println!(
        "digits: {} training rows, {} test rows; {} parameters ({} bytes), batch {BATCH}, {optimizer}",
        train_set.len(),
        test_set.len(),
        Digits::<f32>::PARAMETERS,
        Digits::<f32>::PARAMETER_BYTES,
    );
    let spread = Spread::over_seeds(seeds, |seed| {
        println!("seed {seed}");
        let report = |epoch, loss, accuracy: f64| {
            println!(
                "  epoch {epoch:>2}  training loss {loss:.4}  test accuracy {:.1}%",
                100.0 * accuracy
            );
        };
        let (train_set, test_set) = (&train_set, &test_set);
        // Switching optimizer is this one choice: nothing else in `train` changes.
        let run = match optimizer {
            "adam" => train(
                train_set,
                test_set,
                seed,
                epochs,
                Adam::new(ADAM_LEARNING_RATE)?,
                report,
            )?,
            _ => train(
                train_set,
                test_set,
                seed,
                epochs,
                Sgd::new(SGD_LEARNING_RATE)?,
                report,
            )?,
        };
        println!(
            "  test accuracy {:.1}% after {:.0} ms of training",
            100.0 * run.test_accuracy,
            run.training_time.as_secs_f64() * 1e3
        );
        Ok(run.test_accuracy)
    })?;
    println!("mean test accuracy over {seeds} seeds: {spread}");
    Ok(())
}
