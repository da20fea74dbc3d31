use rand::SeedableRng;
use typenet::prelude::*;

network! {
    struct Net {
        input: 4,
        dense(8), batch_norm, relu,
        dense(2),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Net::<f32>::new(&mut rng);
    let mut training = Training::<Net, _, 1>::new(Sgd::new(0.1).unwrap());
    let _ = training.step(&mut net, &[[0.5; 4]], &[1], &mut rng);
}
