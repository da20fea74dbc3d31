use typenet::network;

network! {
    struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(100 -> 10),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
