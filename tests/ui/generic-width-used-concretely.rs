use typenet::prelude::*;

// `dense(H -> 3)` after `dense(8)` is checked where the network is used with a concrete `H`:
// `Mlp<U8>` would compile; `Mlp<U16>` does not, and the message gives both numbers.
network! {
    struct Mlp<H> {
        input: 4,
        dense(8), relu,
        dense(H -> 3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Mlp::<16, f32>::zeroed();
    let _ = net.forward(&[[0.0; 4]; 2]);
}
