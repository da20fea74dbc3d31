use typenet::network;

network! {
    #[::core::prelude::v1::derive(Clone)]
    struct Net {
        input: 4,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {}
