use typenet::network;

// Every mistake is reported in one build.
network! {
    struct Net {
        input: 8,
        dense(16), sigmoid, tanh,
        dense(12 -> 4),
        loss: mse,
    }
}

fn main() {}
