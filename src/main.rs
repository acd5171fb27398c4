//! The `shakedown` binary: everything lives in the library so tests can drive it in-process.

fn main() {
    std::process::exit(shakedown::main());
}
