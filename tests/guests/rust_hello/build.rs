//! Links the guest as a static, freestanding image with the C guests' script.
fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=../guest.ld");
    for arg in [
        format!("-T{dir}/../guest.ld"),
        "-nostdlib".into(),
        "-static".into(),
        "-no-pie".into(),
        "-Wl,--build-id=none".into(),
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
