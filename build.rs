//! The bundled demo suite is compiled into the binary (`include_dir!`), which cannot tell cargo
//! about files added later; this makes any change under `features/` rebuild the binary.

fn main() {
    println!("cargo:rerun-if-changed=features");
    println!("cargo:rerun-if-changed=fixtures/demo/shakedown.toml");
}
