use typenet::prelude::*;

network! {
    struct Mlp<H> {
        input: 4,
        dense(H), relu,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Mlp::<16, f32>::zeroed();
    let mut cache = MlpCache::<8, 2>::zeroed();
    let _ = net.forward_with(&[[0.0; 4]; 2], &mut cache);
}
