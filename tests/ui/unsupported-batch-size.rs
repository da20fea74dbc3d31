use typenet::prelude::*;

network! {
    struct Net {
        input: 4,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let net = Net::<f32>::zeroed();
    let x = vec![[0.0f32; 4]; 1100];
    let x: &[[f32; 4]; 1100] = x.as_slice().try_into().unwrap();
    let _ = net.forward(x);
}
