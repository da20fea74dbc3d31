use typenet::network;

network! {
    #[repr(align(64))]
    struct Net {
        input: 4,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {}
