//! The ABI round trip: Rust crate -> cbindgen -> abi.h -> bindgen -> Rust.
//! Every constant, string and structure layout must survive unchanged, and
//! nothing may exist on one side only.

use bilby_abi::model::{self, CName};
use bilby_tests::c_abi::{C_CONSTANTS, C_STRINGS, C_STRUCTS};
use std::collections::BTreeMap;

fn rust_constants() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for c in model::CONSTANTS {
        m.insert(CName::Constant(c.name).to_string(), c.value);
    }
    for e in model::ENUMERATIONS {
        for (v, value) in e.variants {
            m.insert(CName::Variant(e.name, v).to_string(), *value);
        }
    }
    m
}

#[test]
fn every_constant_has_the_same_value_in_c() {
    let rust = rust_constants();
    let c: BTreeMap<String, u64> = C_CONSTANTS
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    for (name, value) in &rust {
        assert_eq!(c.get(name), Some(value), "constant {name} in C vs Rust");
    }
    for (name, value) in &c {
        assert_eq!(
            rust.get(name),
            Some(value),
            "abi.h has {name} = {value}, which the Rust model does not list"
        );
    }
    assert!(rust.len() > 100, "the model is suspiciously small");
}

#[test]
fn every_string_is_the_same_in_c() {
    assert_eq!(C_STRINGS.len(), model::STRINGS.len());
    for (name, value) in model::STRINGS {
        let cname = CName::Constant(name).to_string();
        let (_, bytes) = C_STRINGS
            .iter()
            .find(|(n, _)| *n == cname)
            .unwrap_or_else(|| panic!("abi.h lacks {cname}"));
        assert_eq!(*bytes, format!("{value}\0").as_bytes(), "{cname}");
    }
}

#[test]
fn every_structure_has_the_same_layout_in_c() {
    assert_eq!(
        C_STRUCTS.len(),
        model::STRUCTURES.len(),
        "structures in abi.h vs the model"
    );
    for s in model::STRUCTURES {
        let cname = CName::Type(s.name).to_string();
        let (_, size, align, fields) = C_STRUCTS
            .iter()
            .find(|(n, ..)| *n == cname)
            .unwrap_or_else(|| panic!("abi.h lacks struct {cname}"));
        assert_eq!(*size, s.size, "size of {cname}");
        assert_eq!(*align, s.align, "alignment of {cname}");
        let c_fields: Vec<_> = fields.iter().map(|f| (f.0, f.1, f.2)).collect();
        let r_fields: Vec<_> = s
            .fields
            .iter()
            .map(|f| (f.name, f.offset, f.size))
            .collect();
        assert_eq!(c_fields, r_fields, "fields of {cname}");
    }
}

fn has_repr(attrs: &[syn::Attribute], repr: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("repr")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|ids| ids.iter().any(|i| i == repr))
    })
}

#[test]
fn the_model_lists_every_item_the_crate_defines() {
    // The header generator exports and prefixes only what the model lists,
    // so an item missing from it would vanish from abi.h, from the round
    // trip and from the baseline at once. Read the crate's source and
    // require every public constant, `#[repr(C)]` structure and
    // `#[repr(u32)]` enumeration (with all its variants) in the model.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../abi/src/lib.rs");
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut consts, mut structs, mut enums) = (0, 0, 0);
    for item in &file.items {
        match item {
            syn::Item::Const(c) if matches!(c.vis, syn::Visibility::Public(_)) => {
                let name = c.ident.to_string();
                let listed = model::CONSTANTS.iter().any(|m| m.name == name)
                    || model::STRINGS.iter().any(|(m, _)| *m == name);
                assert!(listed, "pub const {name} is not in abi/src/model.rs");
                consts += 1;
            }
            syn::Item::Struct(s) if has_repr(&s.attrs, "C") => {
                let name = s.ident.to_string();
                let m = model::STRUCTURES.iter().find(|m| m.name == name);
                let m = m.unwrap_or_else(|| panic!("struct {name} is not in the model"));
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .map(|f| f.ident.as_ref().unwrap().to_string())
                    .collect();
                let listed: Vec<&str> = m.fields.iter().map(|f| f.name).collect();
                assert_eq!(fields, listed, "fields of {name} in the model");
                structs += 1;
            }
            syn::Item::Enum(e) if has_repr(&e.attrs, "u32") => {
                let name = e.ident.to_string();
                let m = model::ENUMERATIONS.iter().find(|m| m.name == name);
                let m = m.unwrap_or_else(|| panic!("enum {name} is not in the model"));
                let variants: Vec<String> =
                    e.variants.iter().map(|v| v.ident.to_string()).collect();
                let listed: Vec<&str> = m.variants.iter().map(|(v, _)| *v).collect();
                assert_eq!(variants, listed, "variants of {name} in the model");
                enums += 1;
            }
            _ => {}
        }
    }
    assert_eq!(consts, model::CONSTANTS.len() + model::STRINGS.len());
    assert_eq!(structs, model::STRUCTURES.len());
    assert_eq!(enums, model::ENUMERATIONS.len());
}

#[test]
fn the_model_holds_the_documented_layout() {
    // The sizes the ABI documents (and the C side asserts), not ones read
    // back from the same types the model was computed from.
    let find = |n: &str| model::STRUCTURES.iter().find(|s| s.name == n).unwrap();
    assert_eq!(find("ExceptionMessage").size, 184, "24-byte header + frame");
    assert_eq!(find("BootInfo").size, 64 + 32 * 24 + 16 * 88);
    assert_eq!(
        find("UserRegisters").fields.len(),
        20,
        "the whole x86_64 user frame"
    );
    let hypercalls = model::ENUMERATIONS
        .iter()
        .find(|e| e.name == "Hypercall")
        .unwrap();
    assert_eq!(hypercalls.variants.len(), bilby_abi::Hypercall::ALL.len());
}
