use typenet::network;

network! {
    struct Net {}
}

fn main() {}
