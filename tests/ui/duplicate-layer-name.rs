use typenet::network;

network! {
    struct Net {
        input: 64,
        hidden: dense(128), relu,
        hidden: dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
