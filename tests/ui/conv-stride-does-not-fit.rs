use typenet::network;

network! {
    struct Strided {
        input: [1, 28, 28],
        conv2d(8, kernel = 5, stride = 2), relu,
        flatten,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
