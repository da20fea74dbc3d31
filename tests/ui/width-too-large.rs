use typenet::network;

// 2^63: a number, but far wider than any network can be.
network! {
    struct Net {
        input: 64,
        dense(9223372036854775808), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
