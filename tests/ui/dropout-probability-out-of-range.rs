use typenet::network;

network! {
    struct Net {
        input: 16,
        dense(32), relu,
        dropout(1.2),
        dense(2),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
