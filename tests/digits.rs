//! The digits example learns: one seed of its recipe, run as a test.

use typenet::prelude::*;

#[allow(dead_code)]
#[path = "../examples/digits.rs"]
mod digits;

#[test]
fn the_digits_network_learns() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv");
    let (train, test) = digits::load(path).unwrap();
    let mut losses = Vec::new();
    let sgd = Sgd::new(0.1).unwrap();
    let run = digits::train(&train, &test, 1, 30, sgd, |_, loss, _| losses.push(loss)).unwrap();
    assert!(losses[29] < losses[0] / 10.0, "training loss {losses:?}");
    // PyTorch with the same recipe reaches 89.2% to 92.5% over 5 seeds.
    assert!(
        run.test_accuracy > 0.88,
        "test accuracy {}",
        run.test_accuracy
    );
}

#[test]
fn the_digits_network_learns_with_adam() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv");
    let (train, test) = digits::load(path).unwrap();
    let adam = Adam::new(1e-3).unwrap();
    let run = digits::train(&train, &test, 1, 30, adam, |_, _, _| {}).unwrap();
    // PyTorch with Adam (lr 1e-3, batch 32, 30 epochs) reaches 90.3% to 91.9% over 5 seeds.
    assert!(
        run.test_accuracy > 0.88,
        "test accuracy {}",
        run.test_accuracy
    );
}
