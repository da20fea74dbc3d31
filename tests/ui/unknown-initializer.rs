use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(128, init = glorot), tanh,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
