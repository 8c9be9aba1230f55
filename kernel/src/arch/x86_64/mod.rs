//! The x86_64 layer: the only place with `unsafe` and `asm!`.
//!
//! It boots the CPU (boot.rs), owns the descriptor tables and MSRs (cpu.rs),
//! the entry and exit paths (entry.rs), the port devices (io.rs) and the
//! direct map (phys.rs), and holds the one kernel state the upper layers
//! work on. Upper layers get safe functions; this layer never decides
//! policy.

mod boot;
pub mod cpu;
mod entry;
pub mod io;
mod mem;
pub mod phys;
mod pvm;

pub use entry::{set_current_frame, ThreadFrame, USER_RFLAGS_FIXED, USER_RFLAGS_MASK};

use crate::kernel::Kernel;
use core::cell::UnsafeCell;

/// A static the kernel mutates: sound because the kernel runs on one CPU
/// with interrupts disabled and entries never nest.
pub struct Global<T>(UnsafeCell<T>);

// SAFETY: one CPU, interrupts disabled in the kernel, no nested entries;
// see the type's comment.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    /// Wraps a value.
    pub const fn new(v: T) -> Self {
        Global(UnsafeCell::new(v))
    }
    fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// The kernel's state: every object, counter and table.
static KERNEL: Global<Kernel> = Global::new(Kernel::new());

/// Where the kernel image sits in physical memory, from the linker script.
pub fn kernel_image_range() -> (u64, u64) {
    extern "C" {
        static __kernel_phys_start: u8;
        static __kernel_phys_end: u8;
    }
    (
        core::ptr::addr_of!(__kernel_phys_start) as u64,
        core::ptr::addr_of!(__kernel_phys_end) as u64,
    )
}

/// Physical address of the boot page tables' root, whose kernel half every
/// address space shares.
pub fn kernel_root_table() -> u64 {
    extern "C" {
        static boot_pml4: u8;
    }
    core::ptr::addr_of!(boot_pml4) as u64
}

/// Called by boot.rs on the kernel stack in long mode.
extern "C" fn kernel_start(start_info: u32) -> ! {
    io::serial_init();
    // SAFETY: the first and only reference at this point; see Global.
    let k = unsafe { &mut *KERNEL.get() };
    crate::kernel::boot(k, u64::from(start_info))
}

/// Enters user mode in the current frame; used once, after boot.
pub fn enter_user() -> ! {
    extern "C" {
        fn return_to_user() -> !;
    }
    if pvm::active() {
        // SAFETY: as below; PVM mode's exit.
        unsafe { pvm::pvm_return_to_user() }
    }
    // SAFETY: boot set a current frame with a valid user context.
    unsafe { return_to_user() }
}

extern "C" fn syscall_handler() {
    // SAFETY: one reference per kernel entry; the previous one has ended.
    let k = unsafe { &mut *KERNEL.get() };
    crate::kernel::trap::syscall(k);
}

extern "C" fn exception_handler(vector: u64, error_code: u64, cr2: u64) {
    // SAFETY: one reference per kernel entry; the previous one has ended.
    let k = unsafe { &mut *KERNEL.get() };
    crate::kernel::trap::exception(k, vector, error_code, cr2);
}

/// Bit n: IRQ n arrived while the kernel was idle.
static PENDING_IRQS: Global<u16> = Global::new(0);

extern "C" fn kernel_interrupt(vector: u64) {
    if let Some(irq) = irq_of_vector(vector) {
        // SAFETY: only reached while idle, inside `idle_wait`, where no
        // reference to this word is live.
        unsafe { *PENDING_IRQS.get() |= 1 << irq };
    }
}

/// The IRQ line of a vector, acknowledged and masked at the PIC; `None` for
/// spurious interrupts and non-IRQ vectors.
pub fn irq_of_vector(vector: u64) -> Option<u8> {
    let base = u64::from(io::IRQ_BASE);
    if vector < base || vector >= base + u64::from(io::IRQ_LINES) {
        return None;
    }
    let irq = (vector - base) as u8;
    if (irq == 7 || irq == 15) && !io::pic_in_service(irq) {
        if irq == 15 {
            io::pic_eoi(2);
        }
        return None;
    }
    io::pic_set_mask(irq, true);
    io::pic_eoi(irq);
    Some(irq)
}

/// Waits with interrupts enabled until some IRQ arrives; returns the mask of
/// IRQs that arrived (each acknowledged and masked).
pub fn idle_wait() -> u16 {
    loop {
        if pvm::active() {
            // SAFETY: as below, with PVM's virtual interrupt flag (pvm.rs).
            unsafe { pvm::pvm_idle() };
        } else {
            // SAFETY: interrupts are enabled only across `hlt`; the handler
            // for kernel-mode interrupts touches only PENDING_IRQS and the
            // PIC.
            unsafe { core::arch::asm!("sti", "hlt", "cli", clobber_abi("C")) };
        }
        // SAFETY: interrupts are disabled again; no other reference exists.
        let pending = unsafe { core::mem::replace(&mut *PENDING_IRQS.get(), 0) };
        if pending != 0 {
            return pending;
        }
    }
}

#[repr(C)]
struct KernelTrapFrame {
    vector: u64,
    error_code: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

extern "C" fn kernel_fault(frame: *const KernelTrapFrame, cr2: u64) -> ! {
    // SAFETY: the entry stub passes the exception frame on the kernel stack.
    let f = unsafe { &*frame };
    crate::kernel::console::kernel_fault(f.vector, f.error_code, f.rip, f.rsp, cr2)
}
