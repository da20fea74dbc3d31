use typenet::network;

network! {
    struct Small {
        input: [3, 4, 4],
        conv1: conv2d(8, kernel = 3), relu,
        conv2: conv2d(8, kernel = 5, padding = 1), relu,
        flatten,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
