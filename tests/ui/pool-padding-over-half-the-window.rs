use typenet::network;

network! {
    struct Padded {
        input: [1, 28, 28],
        conv2d(8, kernel = 5, padding = 2), relu,
        max_pool2d(3, stride = 1, padding = 2),
        flatten,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
