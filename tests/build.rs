//! Builds what the integration tests examine:
//!
//! * runs bindgen on the generated `abi.h`, and from its output writes a
//!   table of every constant, string and structure layout as C sees them;
//! * compiles a C11 and a C++17 guest object against both headers with
//!   `-Wall -Wextra -Werror -pedantic`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let abi_inc = root.join("abi/include");
    let hc_inc = root.join("hypercalls/include");
    let abi_h = abi_inc.join("bilby/abi.h");
    let hc_h = hc_inc.join("bilby/hypercalls.h");
    for p in [&abi_h, &hc_h] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed=c");

    // bindgen: C's view of the ABI.
    let bindings = bindgen::Builder::default()
        .header(abi_h.to_str().unwrap())
        .clang_arg(format!("-I{}", abi_inc.display()))
        .allowlist_item("Bilby.*")
        .allowlist_item("BILBY_.*")
        .prepend_enum_name(false)
        .layout_tests(false)
        .derive_debug(false)
        .generate()
        .expect("bindgen could not parse abi.h (is libclang-dev installed?)");
    let text = bindings.to_string();
    std::fs::write(out.join("abi_bindings.rs"), &text).unwrap();

    let file = syn::parse_file(&text).expect("bindgen output parses");
    let mut consts = String::new();
    let mut strings = String::new();
    let mut structs = String::new();
    for item in &file.items {
        match item {
            syn::Item::Const(c) => {
                let name = c.ident.to_string();
                if matches!(*c.ty, syn::Type::Reference(_)) {
                    writeln!(strings, "(\"{name}\", b::{name}),").unwrap();
                } else {
                    writeln!(consts, "(\"{name}\", b::{name} as u64),").unwrap();
                }
            }
            syn::Item::Struct(s) => {
                let name = s.ident.to_string();
                let mut fields = String::new();
                for f in &s.fields {
                    let f = f.ident.as_ref().unwrap().to_string();
                    write!(
                        fields,
                        "(\"{f}\", core::mem::offset_of!(b::{name}, {f}), field_size(|s: &b::{name}| &s.{f})),"
                    )
                    .unwrap();
                }
                writeln!(
                    structs,
                    "(\"{name}\", core::mem::size_of::<b::{name}>(), core::mem::align_of::<b::{name}>(), &[{fields}]),"
                )
                .unwrap();
            }
            _ => {}
        }
    }
    let table = format!(
        "/// Every integer constant bindgen found in abi.h, with its value.\n\
         pub const C_CONSTANTS: &[(&str, u64)] = &[{consts}];\n\
         /// Every string constant bindgen found in abi.h (NUL-terminated bytes).\n\
         pub const C_STRINGS: &[(&str, &[u8])] = &[{strings}];\n\
         /// Every structure: name, size, alignment, fields (name, offset, size).\n\
         pub const C_STRUCTS: &[CStruct] = &[{structs}];\n"
    );
    std::fs::write(out.join("abi_tables.rs"), table).unwrap();

    // The C and C++ guest objects.
    let c = guest_object(&manifest.join("c/guest.c"), "c11", &[&abi_inc, &hc_inc]);
    println!("cargo:rustc-env=BILBY_C_GUEST_OBJ={}", c.display());
    let cxx = guest_object(&manifest.join("c/guest.cpp"), "c++17", &[&abi_inc, &hc_inc]);
    println!("cargo:rustc-env=BILBY_CXX_GUEST_OBJ={}", cxx.display());
}

/// Compiles one guest translation unit with the strict flags; returns the object.
fn guest_object(src: &std::path::Path, std: &str, includes: &[&PathBuf]) -> PathBuf {
    let mut b = cc::Build::new();
    b.cpp(std.starts_with("c++"))
        .file(src)
        .std(std)
        .warnings(false)
        .cargo_warnings(false);
    for i in includes {
        b.include(i);
    }
    for f in [
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        "-ffreestanding",
        "-O2",
    ] {
        b.flag(f);
    }
    b.compile_intermediates().remove(0)
}
