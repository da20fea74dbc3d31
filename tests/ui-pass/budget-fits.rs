// Budgets the network fits: the build goes through, and the figures are the constants'.
use typenet::memory::{InferenceMemory, TrainingMemory};
use typenet::prelude::*;

network! {
    struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
        budget: 192 KiB for training with adam at batch 8,
        budget: 160 KiB for training with sgd at batch 32,
        budget: 40 KiB for inference at batch 1,
    }
}

fn main() {
    assert!(TrainingMemory::<Digits, Adam, 8>::TOTAL_BYTES <= 192 * 1024);
    assert!(TrainingMemory::<Digits, Sgd, 32>::TOTAL_BYTES <= 160 * 1024);
    assert!(InferenceMemory::<Digits, 1>::TOTAL_BYTES <= 40 * 1024);
}
