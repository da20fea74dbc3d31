use typenet::prelude::*;

network! {
    struct Net {
        input: 4,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Net::<f32>::zeroed();
    // A cache for batches of 16 rows, given a batch of 32.
    let mut cache = NetCache::<16>::zeroed();
    let _ = net.forward_with(&[[0.0; 4]; 32], &mut cache);
}
