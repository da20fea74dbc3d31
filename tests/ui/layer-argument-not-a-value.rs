use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(128), dropout(impl Sized), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
