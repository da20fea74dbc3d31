use typenet::network;

network! {
    struct Flat {
        input: 784,
        conv2d(8, kernel = 5), relu,
        flatten,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
