use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(typenet::dim::U0), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
