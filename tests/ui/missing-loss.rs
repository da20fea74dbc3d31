use typenet::network;

network! {
    struct Net {
        input: 64,
        dense(10),
    }
}

fn main() {}
