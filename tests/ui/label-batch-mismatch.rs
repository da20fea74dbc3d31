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
    let mut cache = NetCache::<8>::zeroed();
    let mut grads = NetGrads::zeroed();
    let mut sgd = Sgd::new(0.1).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x = [[0.0f32; 4]; 8];
    let labels = [0usize; 4];
    let _ = net.train_step(&x, &labels, &mut sgd, &mut [], &mut cache, &mut grads, &mut rng);
}
