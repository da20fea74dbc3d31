//! The user's generic names cannot collide with the ones generated code introduces (the
//! batch `B`, the mode `M`, the random source `R`), and a width parameter used only as the
//! input width is still used.
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

network! {
    /// The input width is a parameter that no layer produces.
    struct Reader<I> {
        input: I,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {
    let reader = Reader::<3, f64>::zeroed();
    assert_eq!(reader.forward(&[[1.0; 3]]), [[0.0; 2]]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Net::<4, 5, 6, 2, f32>::new(&mut rng);
    let mut training = Training::<Net<4, 5, 6, 2>, _, 3>::new(Sgd::new(0.1).unwrap());
    let x = [[0.5; 3]; 3];
    training.step(&mut net, &x, &[0, 1, 0], &mut rng).unwrap();
    assert_eq!(net.predict(&x).unwrap().len(), 3);
}
