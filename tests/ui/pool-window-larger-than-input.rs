use typenet::network;

network! {
    struct Pooled {
        input: [1, 28, 28],
        conv2d(8, kernel = 5), relu, max_pool2d(2),
        conv2d(16, kernel = 5), relu, max_pool2d(2),
        conv2d(16, kernel = 3), relu, max_pool2d(3),
        flatten,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
