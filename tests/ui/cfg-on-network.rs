use typenet::network;

network! {
    #[cfg(test)]
    struct Net {
        input: 4,
        dense(2),
        loss: mean_squared_error,
    }
}

fn main() {}
