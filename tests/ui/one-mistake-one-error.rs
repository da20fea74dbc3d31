use rand::SeedableRng;
use typenet::prelude::*;

// A mistake in the network, and a program that uses the network throughout: the build
// reports the mistake once and nothing about the uses.
network! {
    struct Digits {
        input: 64,
        hidden: dense(128), rleu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Digits::<f32>::new(&mut rng);
    let mut training = Training::<Digits, _, 32>::new(Sgd::new(0.1).unwrap());
    let (x, labels) = ([[0.5f32; 64]; 32], [3usize; 32]);
    let _ = training.step(&mut net, &x, &labels, &mut rng);
    let _: [usize; 32] = net.predict(&x).unwrap();
}
