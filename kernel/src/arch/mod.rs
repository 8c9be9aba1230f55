//! Architecture layer. Bilby runs on x86_64 only; every arch module exports
//! the same names, so the upper layers say `arch::…`.

pub mod x86_64;
pub use self::x86_64::*;
