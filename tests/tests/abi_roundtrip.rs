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

#[test]
fn the_model_covers_the_real_types() {
    // The model is computed from the types, but a struct could be left out
    // of it; these spot checks tie it to the definitions the kernel uses.
    let find = |n: &str| model::STRUCTURES.iter().find(|s| s.name == n).unwrap();
    assert_eq!(
        find("ExceptionMessage").size,
        core::mem::size_of::<bilby_abi::ExceptionMessage>()
    );
    assert_eq!(
        find("BootInfo").size,
        core::mem::size_of::<bilby_abi::BootInfo>()
    );
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
