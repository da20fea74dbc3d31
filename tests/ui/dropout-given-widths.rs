use typenet::network;

// Dropout keeps the width of the layer before it: it takes no `in -> out`.
network! {
    struct Net {
        input: 64,
        dense(128), dropout(4 -> 4), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
