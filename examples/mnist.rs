//! Trains a LeNet-like convolutional network, or a multilayer perceptron, on 10,000 MNIST
//! digits, and prints each epoch's training loss, test accuracy and time.
//!
//! - `lenet`: conv 1→8 (kernel 5, padding 2), ReLU, max-pool 2, conv 8→16 (kernel 5), ReLU,
//!   max-pool 2, flatten, dense 400→120, ReLU, dense 120→10. Every size is computed by
//!   `network!` from `input: [1, 28, 28]` and checked when the program is compiled.
//! - `mlp`: 784 → 256 ReLU → 256 ReLU → 10.
//!
//! The recipe: the first 8,000 digits of `data/` train and the last 2,000 test; pixels scaled
//! to [0, 1]; He initialization before each ReLU and LeCun's for the last layer, biases zero
//! (what `network!` derives); Adam with learning rate 10⁻³; batch 64, a fresh order each
//! epoch, through the trainer. `benches/pytorch_mnist.py` runs the same recipe in PyTorch.
//!
//!     cargo run --release --example mnist [-- --network lenet|mlp --epochs 5 --seed 0]

mod common;

use common::flags::Flags;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Duration;
use typenet::data::{Dataset, Idx};
use typenet::prelude::*;

network! {
    /// A LeNet-like network for 28×28 digits.
    pub struct LeNet {
        input: [1, 28, 28],
        conv1: conv2d(8, kernel = 5, padding = 2), relu, max_pool2d(2),
        conv2: conv2d(16, kernel = 5), relu, max_pool2d(2),
        flatten,
        hidden: dense(120), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// A multilayer perceptron for 28×28 digits, as flat rows of 784 pixels.
    pub struct Mlp {
        input: 784,
        dense(256), relu,
        dense(256), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

const BATCH: usize = 64;
const LEARNING_RATE: f32 = 1e-3;
const TRAIN_ROWS: usize = 8000;

/// The digits: the first 8,000 rows and the last 2,000.
fn load() -> Result<(Dataset<784>, Dataset<784>), typenet::data::DataError> {
    let digits = Dataset::<784>::load_idx_with(
        "data/mnist10k-images-idx3-ubyte.gz",
        "data/mnist10k-labels-idx1-ubyte.gz",
        &Idx::new().classes(10),
    )?;
    digits.split_at(TRAIN_ROWS)
}

/// Trains a fresh `N` from `seed` for `epochs` epochs, printing each; returns the last
/// epoch's test accuracy and the mean time of an epoch (its test evaluation included).
fn train<N>(
    train_set: &Dataset<784>,
    test_set: &Dataset<784>,
    epochs: usize,
    seed: u64,
) -> Result<(f64, Duration), Box<dyn std::error::Error>>
where
    N: Network<f32, InputRow = [f32; 784], Target = usize>,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = N::new_boxed(&mut rng);
    let training = Training::<N, _, BATCH>::new_boxed(Adam::new(LEARNING_RATE)?);
    let mut trainer = Trainer::new(training).epochs(epochs);
    let fit = trainer.fit_with(
        &mut net,
        train_set.into(),
        Some(test_set.into()),
        &mut rng,
        |epoch| {
            let accuracy = epoch.validation.and_then(|v| v.accuracy).unwrap_or(0.0);
            let seconds = epoch.elapsed.unwrap_or_default().as_secs_f64();
            println!(
                "  epoch {:>2}  training loss {:.4}  test accuracy {:.2}%  {seconds:.2} s",
                epoch.epoch,
                epoch.train_loss,
                100.0 * accuracy
            );
        },
    )?;
    let accuracy = fit
        .summary
        .last
        .and_then(|e| e.validation)
        .and_then(|v| v.accuracy)
        .unwrap_or(0.0);
    let total: Duration = fit.history.iter().filter_map(|e| e.elapsed).sum();
    Ok((accuracy, total / fit.history.len().max(1) as u32))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags = Flags::parse(&["--network", "--epochs", "--seed"], &[])?;
    let network = flags.choice("--network", &["lenet", "mlp"])?;
    let epochs: usize = flags.value("--epochs", 5)?;
    let seed: u64 = flags.value("--seed", 0)?;
    let (train_set, test_set) = load()?;
    let parameters = match network {
        "lenet" => LeNet::<f32>::PARAMETERS,
        _ => Mlp::<f32>::PARAMETERS,
    };
    println!(
        "{network}: {parameters} parameters, {} training rows, {} test rows, batch {BATCH}, \
         Adam lr {LEARNING_RATE}",
        train_set.len(),
        test_set.len(),
    );
    let (accuracy, per_epoch) = match network {
        "lenet" => train::<LeNet>(&train_set, &test_set, epochs, seed)?,
        _ => train::<Mlp>(&train_set, &test_set, epochs, seed)?,
    };
    println!(
        "{network}: test accuracy {:.2}% after {epochs} epochs, {:.2} s per epoch",
        100.0 * accuracy,
        per_epoch.as_secs_f64()
    );
    Ok(())
}
