use typenet::network;

network! {
    struct Unflattened {
        input: [1, 28, 28],
        conv1: conv2d(8, kernel = 5, padding = 2), relu, pool1: max_pool2d(2),
        dense(120), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
