//! Bilby's integration tests.
//!
//! `tests/abi_roundtrip.rs` proves that the generated C header and the Rust
//! ABI crate agree on every constant, size and offset (through bindgen, i.e.
//! through a real C compiler front end); `tests/c_guest.rs` proves that C and
//! C++ guests compile against both headers, carry the ABI note, and that the
//! stubs follow the documented register convention. The QEMU scenarios run
//! from `cargo xtask test` (they need a built kernel).

/// C's view of the ABI, as bindgen read it from `abi/include/bilby/abi.h`.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    dead_code,
    missing_debug_implementations,
    reason = "bindgen output keeps C's names and emits items the tests do not all use"
)]
pub mod c_abi {
    /// The raw bindgen output.
    pub mod b {
        include!(concat!(env!("OUT_DIR"), "/abi_bindings.rs"));
    }
    const fn field_size<T, U>(_: fn(&T) -> &U) -> usize {
        core::mem::size_of::<U>()
    }
    /// One field as C sees it: name, offset, size.
    pub type CField = (&'static str, usize, usize);
    /// One structure as C sees it: name, size, alignment, fields.
    pub type CStruct = (&'static str, usize, usize, &'static [CField]);
    // The generated table casts every constant to u64, whatever its C type.
    #[allow(clippy::unnecessary_cast, reason = "generated code casts uniformly")]
    mod tables {
        use super::{b, field_size, CStruct};
        include!(concat!(env!("OUT_DIR"), "/abi_tables.rs"));
    }
    pub use tables::*;
}
