use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(f32), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
