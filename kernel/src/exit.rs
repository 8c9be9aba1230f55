//! The exit codes the kernel itself writes to QEMU's `isa-debug-exit`
//! device (QEMU then exits with `(code << 1) | 1`). Guests choose codes
//! 0..=0x7f with `DebugShutdown`; these sit at the top of that range. xtask
//! reads them from here, so the two sides never disagree.

/// The root task could not be loaded (or the boot bundle is malformed).
pub const BAD_ROOT: u32 = 0x7c;
/// The kernel panicked or took an exception in kernel mode.
pub const KERNEL_PANIC: u32 = 0x7d;
/// No thread can ever run again and nothing can wake one.
pub const IDLE_FOREVER: u32 = 0x7e;
