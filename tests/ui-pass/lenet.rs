// A LeNet-like network: every size follows from `input: [1, 28, 28]`, and the network trains
// and infers with the same generated code as a dense one.
use rand::SeedableRng;
use typenet::prelude::*;

network! {
    /// LeNet-like.
    struct LeNet {
        input: [1, 28, 28],
        conv1: conv2d(8, kernel = 5, padding = 2), relu, max_pool2d(2),
        conv2: conv2d(8 -> 16, kernel = (5, 5), stride = 1), relu, max_pool2d(kernel = 2, stride = 2),
        flatten,
        hidden: dense(400 -> 120), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
        budget: 2 MiB for training with sgd at batch 8,
    }
}

fn main() {
    assert_eq!(<LeNet as Network<f32>>::INPUTS, 784);
    // 8·(25 + 1) + 16·(8·25 + 1) + 120·(400 + 1) + 10·(120 + 1).
    assert_eq!(LeNet::<f32>::PARAMETERS, 208 + 3216 + 48120 + 1210);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let net = LeNet::<f32>::new(&mut rng);
    let x = [[0.5f32; 784]; 2];
    let y = net.predict(&x).unwrap();
    assert!(y.iter().all(|&class| class < 10));
}
