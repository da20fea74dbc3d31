//! The digits example learns: one seed of its recipe, run as a test.

#[allow(dead_code)]
#[path = "../examples/digits.rs"]
mod digits;

#[test]
fn the_digits_network_learns() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv");
    let (mut train, test) = digits::load(path).unwrap();
    let mut losses = Vec::new();
    let run = digits::train(&mut train, &test, 1, 30, |_, loss, _| losses.push(loss)).unwrap();
    assert!(losses[29] < losses[0] / 10.0, "training loss {losses:?}");
    // PyTorch with the same recipe reaches 89.2% to 92.5% over 5 seeds.
    assert!(
        run.test_accuracy > 0.88,
        "test accuracy {}",
        run.test_accuracy
    );
}
