use typenet::prelude::*;

network! {
    struct Encoder {
        input: 16,
        dense(10), tanh,
        loss: mean_squared_error,
    }
}

network! {
    struct Decoder {
        input: 12,
        dense(16),
        loss: mean_squared_error,
    }
}

fn main() {
    let (encoder, decoder) = (Encoder::<f32>::zeroed(), Decoder::<f32>::zeroed());
    let code = encoder.forward(&[[0.0f32; 16]; 2]);
    let _ = decoder.forward(&code);
}
