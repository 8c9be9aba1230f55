//! The host-testable core of the Bilby kernel: pure algorithms with no
//! hardware access, used by the bare-metal binary (`src/main.rs`) and run
//! by `cargo test` on the host. Nothing here may touch a register, a port
//! or a physical address; it must never panic on input from outside the
//! kernel (boot data, user arguments): errors are values.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod cap;
pub mod device;
pub mod elf;
pub mod exit;
pub mod frames;
pub mod ioports;
pub mod mapdb;
pub mod pool;
pub mod pvh;
pub mod queue;
