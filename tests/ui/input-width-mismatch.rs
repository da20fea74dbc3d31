use typenet::prelude::*;

network! {
    struct Net {
        input: 64,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Net::<f32>::zeroed();
    let x = [[0.0f32; 63]; 4];
    let _ = net.forward(&x);
}
