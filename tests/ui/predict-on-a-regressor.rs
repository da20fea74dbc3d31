use typenet::prelude::*;

network! {
    struct Regressor {
        input: 3,
        dense(4), tanh,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {
    let net = Regressor::<f32>::zeroed();
    let _ = net.predict(&[[0.0; 3]; 2]);
}
