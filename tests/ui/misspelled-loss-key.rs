use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(10),
        los: softmax_cross_entropy,
    }
}

fn main() {}
