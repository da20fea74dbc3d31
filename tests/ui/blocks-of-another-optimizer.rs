use typenet::prelude::*;
use typenet::train::StepBlocks;

network! {
    struct Net {
        input: 4,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    // Blocks laid out for Adam's state, given to a training run with SGD.
    let mut blocks = StepBlocks::<Net, Adam, 8>::zeroed();
    let _training = Training::<Net, _, 8, f32, _>::with_blocks(Sgd::new(0.1).unwrap(), &mut blocks);
}
