#!/usr/bin/env bash
# Build times of a user crate whose network has N dense layers (N = 5, 10, 20, 40 by default),
# each followed by relu, trained one step and evaluated, so that the generated forward and
# backward chains are instantiated. For each N: the crate's own build after its dependencies
# are built ("clean": typenet and the rest come from the cache, the crate is compiled from
# scratch) and a rebuild after a one-line change ("incremental"), in the dev and release
# profiles. Usage: bash benches/compile_time.sh [N ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/target/compile-time"
mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "compile-time-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
typenet = { path = "$root" }
rand = { version = "0.10", features = ["std", "std_rng"] }

[workspace]
TOML

write_main() {
    local n=$1 note=$2
    {
        echo "// $note"
        echo "use rand::{rngs::StdRng, SeedableRng};"
        echo "use typenet::prelude::*;"
        echo "network! {"
        echo "    /// $n dense layers of 32."
        echo "    pub struct Deep {"
        echo "        input: 32,"
        for i in $(seq 1 "$n"); do echo "        layer$i: dense(32), relu,"; done
        echo "        output: dense(10),"
        echo "        loss: softmax_cross_entropy,"
        echo "    }"
        echo "}"
        echo "fn main() -> Result<(), Box<dyn std::error::Error>> {"
        echo "    let mut rng = StdRng::seed_from_u64(1);"
        echo "    let mut net = Deep::<f32>::new(&mut rng);"
        echo "    let mut training = Training::<Deep, _, 8>::new(Sgd::new(0.01)?);"
        echo "    let (x, y) = ([[0.5f32; 32]; 8], [3usize; 8]);"
        echo "    let step = training.step(&mut net, &x, &y, &mut rng)?;"
        echo "    let classes: [usize; 8] = net.predict(&x)?;"
        echo "    println!(\"{} {:?}\", step.loss, classes);"
        echo "    Ok(())"
        echo "}"
    } >"$work/src/main.rs"
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

cd "$work"
echo "layers | profile | clean build (ms) | incremental rebuild (ms)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(5 10 20 40)
for n in "${sizes[@]}"; do
    for profile in dev release; do
        write_main "$n" "first"
        cargo build -q --profile "$profile" 2>/dev/null || true # the dependencies, not timed
        cargo clean -q -p compile-time-probe --profile "$profile"
        start=$(date +%s%N)
        cargo build -q --profile "$profile"
        clean=$(ms_since "$start")
        write_main "$n" "changed"
        start=$(date +%s%N)
        cargo build -q --profile "$profile"
        incremental=$(ms_since "$start")
        printf '%s | %s | %s | %s\n' "$n" "$profile" "$clean" "$incremental"
    done
done
