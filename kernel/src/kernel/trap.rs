//! Kernel entries from user mode: hypercalls, exceptions and interrupts.

use super::Kernel;

/// A `syscall` instruction from user mode; the frame is saved.
pub fn syscall(_k: &mut Kernel) {
    panic!("syscall before any user thread exists");
}

/// A CPU exception or interrupt from user mode; the frame is saved.
pub fn exception(_k: &mut Kernel, vector: u64, error: u64, cr2: u64) {
    panic!("exception {vector} (error {error:#x}, cr2 {cr2:#x}) before any user thread exists");
}
