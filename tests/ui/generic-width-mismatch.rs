use typenet::network;

network! {
    struct Net<H> {
        input: 4,
        dense(H), relu,
        dense(typenet::dim::U8 -> 3),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
