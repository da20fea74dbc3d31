use typenet::network;

network! {
    struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
        budget: 48 KiB for training with adam at batch 8,
    }
}

fn main() {}
