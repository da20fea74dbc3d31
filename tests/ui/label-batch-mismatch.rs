use rand::SeedableRng;
use typenet::prelude::*;

network! {
    struct Net {
        input: 4,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut net = Net::<f32>::zeroed();
    let mut training = Training::<Net, _, 8>::new(Sgd::new(0.1).unwrap());
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x = [[0.0f32; 4]; 8];
    let labels = [0usize; 4];
    let _ = training.step(&mut net, &x, &labels, &mut rng);
}
