//! The user's generic names cannot collide with the ones generated code introduces (the
//! batch `B`, the mode `M`, the random source `R`).
use rand::SeedableRng;
use typenet::prelude::*;

network! {
    /// Widths named like generated parameters.
    struct Net<B, O, R, M> {
        input: 3,
        dense(B), relu,
        dense(O), tanh,
        dense(R), dropout(0.5),
        dense(M),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Net::<4, 5, 6, 2, f32>::new(&mut rng);
    let mut cache = NetCache::<4, 5, 6, 2, 3>::zeroed();
    let mut grads = NetGrads::zeroed();
    let mut sgd = Sgd::new(0.1).unwrap();
    let x = [[0.5; 3]; 3];
    net.train_step(&x, &[0, 1, 0], &mut sgd, &mut [], &mut cache, &mut grads, &mut rng)
        .unwrap();
    assert_eq!(net.predict(&x).len(), 3);
}
