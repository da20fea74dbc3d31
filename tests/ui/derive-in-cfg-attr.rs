use typenet::network;

network! {
    #[cfg_attr(all(), derive(Clone))]
    struct Net {
        input: 4,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {}
