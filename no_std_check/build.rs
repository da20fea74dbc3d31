//! Links the program freestanding on x86_64 Linux, as it would be on a microcontroller:
//! its own entry point (`_start` in `src/host.rs`), no C runtime, no C library, no dynamic
//! loader. Link arguments from here reach only this package's binary, whichever directory
//! cargo runs from and whatever `RUSTFLAGS` say.
fn main() {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if arch == "x86_64" && os == "linux" {
        // `-no-pie` after the `-pie` rustc passes by default: without the C runtime nothing
        // would apply a position-independent executable's relocations at start-up.
        for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie"] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
