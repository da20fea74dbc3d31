use typenet::network;

// Two width parameters of one name would be two constants of one name: the second is refused.
network! {
    struct Net<H, K, H> {
        input: 4,
        dense(H), relu,
        dense(K),
        loss: softmax_cross_entropy,
    }
}

fn main() {}
