use typenet::network;

network! {
    struct Net<H> where H: Clone, Undeclared: Copy {
        input: 64,
        dense(H), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
