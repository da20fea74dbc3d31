use rand::SeedableRng;
use typenet::prelude::*;

network! {
    struct Large {
        input: 784,
        dense(1024), relu,
        dense(1024), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    // 7.4 MB of parameters: `Large::new_boxed` builds it on the heap.
    let _net = Large::<f32>::new(&mut rand::rngs::StdRng::seed_from_u64(1));
}
