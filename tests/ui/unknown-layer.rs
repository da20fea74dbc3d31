use typenet::network;

network! {
    struct Net {
        input: 64,
        denes(128), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
