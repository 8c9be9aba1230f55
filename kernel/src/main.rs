//! The Bilby microkernel, bare-metal binary.
//!
//! `arch` (x86_64) boots the CPU and owns every privileged instruction; the
//! `kernel` module above it is safe Rust: objects, capabilities, IPC,
//! exception IPC, memory delegation and the hypercall dispatcher. The pure
//! algorithms they use live in the `bilby_kernel` library, tested on the host.
#![no_std]
#![no_main]
#![deny(unsafe_code)]
#![forbid(unsafe_op_in_unsafe_fn)]

// The one module allowed to use `unsafe` and `asm!`: it wraps each
// privileged operation in a safe function (DESIGN.md, "The kernel, in rules").
#[allow(unsafe_code)]
mod arch;
mod kernel;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::console::panic(info)
}
