//! A crate with the strictest settings uses `network!`: no unsafe code may appear in it, every
//! public item needs documentation, and every warning is an error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(warnings)]

use rand::SeedableRng;
use typenet::prelude::*;

network! {
    /// A documented network with every kind of layer.
    pub struct Net {
        input: 4,
        hidden: dense(8), relu,
        dropout(0.1),
        norm: batch_norm,
        dense(2), sigmoid,
        loss: mean_squared_error,
    }
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut net = Net::<f64>::new(&mut rng);
    let mut training = Training::<Net<f64>, _, 2, f64>::new(Sgd::new(0.1).unwrap());
    let x = [[0.5; 4], [-0.5; 4]];
    let stats = training
        .step(&mut net, &x, &[[1.0, 0.0]; 2], &mut rng)
        .unwrap();
    assert!(stats.loss.is_finite());
}
