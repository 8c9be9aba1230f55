//! The kernel under PVM ("Pagetable-based Virtual Machine", the `kvm_pvm`
//! module that stands in for hardware virtualization on some hosts).
//!
//! PVM runs the whole guest at hardware CPL 3 on shadow page tables. A guest
//! that does nothing special is emulated while it is in kernel mode, and
//! there the `syscall` of a user thread arrives at the kernel's entry point
//! still in user mode (a user-mode page fault at `syscall_entry`). What the
//! host on these machines does, as measured by booting probe kernels (its
//! interface is not the PVM specification of the Linux patch series: none
//! of that series' MSRs exist here):
//!
//! - MSR `0x4b564d11` reads `0x4d5650` ("PVM"); the read makes the host log
//!   "guest read MSR_PVM_SIGNATURE". The MSR does not exist under other
//!   hypervisors (#GP), so it is read only behind the KVM CPUID signature
//!   and with a #GP fixup.
//! - Writing the physical address of a page to MSR `0x4b564d10` switches
//!   the vCPU to native kernel mode: kernel code then runs directly at
//!   hardware CPL 3 (`mov cs` reads the host's user selector), and
//!   `syscall`, `sysretq`, `iretq` and interrupt and exception delivery
//!   through the IDT and TSS behave as on x86 — privileged instructions trap
//!   to the host, which emulates them. The host writes into that page.
//! - In native mode every page the kernel touches must be a user page at
//!   every level of the page tables (without the U bit the host faults the
//!   instruction fetch forever: "a refault livelock"), and user mode then
//!   reaches everything the current page tables map.
//! - The page given to `0x4b564d10` holds the virtual interrupt flag: the
//!   host delivers a maskable interrupt only while its byte 0 is 1, and
//!   sets byte 1 while one waits. The host's BTF (`/sys/kernel/btf/vmlinux`)
//!   names this layout `struct pvm_vif { u8 if_; u8 pending; u8 _pad[6];
//!   u64 cr2; }`; after the MSR write the host had set byte 1 (`0x100`).
//!   `sti` and `cli`, which the host emulates, leave the byte alone (a
//!   probe kernel read `0x100` after `sti` with an interrupt waiting, and
//!   none came), and so do the emulated `sysretq` and `iretq` to user mode:
//!   with the byte at 0 no interrupt ever came (the PIT's IRQ 0 stayed
//!   requested at the PIC). So PVM mode never uses `sti` or `cli` (a `cli`
//!   with the byte at 1 made the host deliver an event that looked like
//!   one from user mode). The host clears the byte whenever it enters
//!   the kernel: at every interrupt from user or kernel mode and every
//!   `syscall`, the entry stubs of a probe kernel read 0 there, never 1.
//! - The host's log asks for a hypercall to return to user mode
//!   (`PVM_HC_IRET_FRAME`, 0x100d in that BTF), but no instruction was
//!   found that reaches its hypercalls: `vmmcall` returns -1 for every
//!   number (KVM's answer to a hypercall from CPL 3, apparently from the
//!   outer hypervisor: the host's `kvm_hypercall` tracepoint never fired);
//!   `vmcall` is emulated again and again at the same `rip` (about 100,000
//!   times a second in the host's `kvm_emulate_insn` trace) and never
//!   returns; `syscall` in kernel mode enters the kernel's own entry;
//!   `int 0x30` ends the VM ("KVM internal error"); MSR `0x4b564d12`
//!   (reads `0x1ff`) refuses writes. So the exit uses `iretq`, which the
//!   host emulates (logging "native iretq to user post-pv").
//!
//! As every kernel page is a user page, the kernel keeps user mode from
//! kernel memory itself, like Linux's page-table isolation: user mode runs
//! on one user root table whose lower half is the current task's (copied on
//! every exit) and whose top slot maps only the trampoline pages — the PVM
//! entry and exit code, the descriptor tables the host reads when it
//! delivers an event (in pages shared with the two root words the stubs
//! load, [`KERNEL_CR3`] and [`USER_CR3`]; all read-only), and the stack it
//! delivers onto (see linker.ld). The tables let user mode read those
//! pages and write the stack (a probe's user-mode read of the code page
//! worked; its reads of the shared page and the stack never completed on
//! this host, the thread stopped as at a fault), so the exit clears what
//! the last entry left on that stack all the same. Every entry loads the
//! task's own root first; the exit loads the user root last. PCID, SMEP
//! and SMAP stay off.
//!
//! Interrupts: the kernel runs with the virtual flag clear, as it runs with
//! IF clear elsewhere. The exit sets it just before it loads the user root
//! and returns with `iretq`; an interrupt the host delivers in between (in
//! kernel mode, on the PVM stack) is taken as if it had come from user mode
//! at the first user instruction: the thread's frame is still whole, so the
//! entry stub drops the half-done exit and calls the exception handler
//! (entry.rs, `pvm_isr_kernel`). The idle loop sets the flag around `hlt`
//! (`pvm_idle`); an interrupt that comes just before the `hlt` makes its
//! stub step over the `hlt`, so that the kernel does not sleep past it.
//!
//! None of this runs unless the probe finds PVM: under TCG and hardware
//! KVM the entry stubs, tables and MSRs are the ones cpu.rs sets.

use super::{phys, Global};
use core::arch::x86_64::__cpuid;
use core::arch::{asm, global_asm};

/// linker.ld's `KERNEL_BASE`: a kernel static's physical address is its
/// address minus this.
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;
/// Reads [`PVM_SIGNATURE`] under PVM.
const MSR_PVM_SIGNATURE: u32 = 0x4b56_4d11;
/// Takes the physical address of the page shared with the host; writing it
/// switches the vCPU to native kernel mode.
const MSR_PVM_VCPU_PAGE: u32 = 0x4b56_4d10;
/// "PVM".
const PVM_SIGNATURE: u64 = 0x4d_5650;

const PTE_PRESENT: u64 = 1;
const PTE_WRITE: u64 = 2;
const PTE_USER: u64 = 4;
const PTE_HUGE: u64 = 0x80;
const PTE_GLOBAL: u64 = 0x100;
const PTE_NX: u64 = 1 << 63;
const PTE_ADDR: u64 = 0x000f_ffff_ffff_f000;

/// One page-table page (or any page-aligned page).
#[repr(C, align(4096))]
pub struct Page([u64; 512]);

const ZERO_PAGE: Page = Page([0; 512]);

/// Size of the stack the host delivers user-mode events onto.
pub const STACK_SIZE: usize = core::mem::size_of::<Page>();

/// The PVM stack (the TSS's `rsp0`): mapped writable in the user tables.
/// Its bottom word is the syscall entry's scratch. The exit (entry.rs,
/// `pvm_return_to_user`) clears that word and what an entry pushes below
/// the exit's frame, as the user tables let user mode read them.
#[link_section = ".bss.pvm_stack"]
pub static STACK: Global<Page> = Global::new(ZERO_PAGE);

/// The page tables the entry stubs load: the current task's root.
#[link_section = ".data.pvm_shared"]
pub static KERNEL_CR3: Global<u64> = Global::new(0);
/// The page tables the exit loads: [`USER_ROOT`]'s physical address.
#[link_section = ".data.pvm_shared"]
pub static USER_CR3: Global<u64> = Global::new(0);

/// User mode's root table: the current task's lower half, and the
/// trampoline in the top slot.
static USER_ROOT: Global<Page> = Global::new(ZERO_PAGE);
static TRAMPOLINE_PDPT: Global<Page> = Global::new(ZERO_PAGE);
static TRAMPOLINE_PD: Global<Page> = Global::new(ZERO_PAGE);
/// Page tables for the trampoline pages: they lie in the image's first
/// 4 MiB (checked when they are mapped).
static TRAMPOLINE_PT: Global<[Page; 2]> = Global::new([ZERO_PAGE, ZERO_PAGE]);
/// The page whose address goes to [`MSR_PVM_VCPU_PAGE`]: byte
/// [`VIF_ENABLED`] is the virtual interrupt flag (the kernel's to set, the
/// host clears it on every entry), the rest is the host's. Only the kernel
/// page tables map it.
pub static VCPU_PAGE: Global<Page> = Global::new(ZERO_PAGE);
/// Offset in [`VCPU_PAGE`] of the virtual interrupt flag (a byte, 1: the
/// host may deliver maskable interrupts).
pub const VIF_ENABLED: usize = 0;

/// Whether the kernel runs in PVM mode.
static ACTIVE: Global<bool> = Global::new(false);
/// Set by the #GP fixup of [`probe_msr`].
static PROBE_FAULTED: Global<u8> = Global::new(0);

extern "C" {
    static __pvm_text_start: u8;
    static __pvm_text_end: u8;
    static __pvm_shared_start: u8;
    static __pvm_shared_end: u8;
    static __pvm_stack_start: u8;
    static __pvm_stack_end: u8;
    /// The #GP handler of [`probe_msr`].
    pub fn pvm_probe_gp();
    /// The PVM `syscall` entry (entry.rs).
    pub fn pvm_syscall_entry();
    /// The PVM exit to user mode (entry.rs).
    pub fn pvm_return_to_user() -> !;
    /// The PVM interrupt and exception stubs, for the IDT (entry.rs).
    pub static pvm_isr_table: [u64; 48];
    /// Waits for an interrupt in PVM mode: the virtual flag set across
    /// `hlt` (entry.rs).
    pub fn pvm_idle();
}

global_asm!(
    r#"
    .text
    /* #GP while probe_msr's rdmsr (2 bytes) runs: skip it, say so. */
    .global pvm_probe_gp
pvm_probe_gp:
    add rsp, 8
    add qword ptr [rsp], 2
    mov byte ptr [rip + {faulted}], 1
    iretq
"#,
    faulted = sym PROBE_FAULTED,
);

/// Whether the kernel runs in PVM mode (decided once, at boot).
pub fn active() -> bool {
    // SAFETY: written once at boot before any reader; see Global.
    unsafe { *ACTIVE.get() }
}

fn physical<T>(s: &Global<T>) -> u64 {
    s.get() as u64 - KERNEL_BASE
}

/// Reads an MSR that may not exist; `None` if it raised #GP. The caller
/// has pointed the IDT's #GP gate at [`pvm_probe_gp`].
///
/// # Safety
/// Only with that gate installed.
unsafe fn probe_msr(msr: u32) -> Option<u64> {
    let (lo, hi): (u32, u32);
    // SAFETY: the volatile flag is only touched here and by the fixup.
    unsafe { *PROBE_FAULTED.get() = 0 };
    // SAFETY: rdmsr either reads or raises #GP, which the fixup skips (the
    // instruction is the two bytes 0f 32).
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nostack)) };
    // SAFETY: as above.
    let faulted = unsafe { core::ptr::read_volatile(PROBE_FAULTED.get()) } != 0;
    (!faulted).then_some((u64::from(hi) << 32) | u64::from(lo))
}

/// Whether the host is PVM: the KVM CPUID signature, then the PVM
/// signature MSR. `set_gp_gate` points the #GP gate at a handler.
pub fn detect(set_gp_gate: &mut dyn FnMut(u64)) -> bool {
    let leaf = __cpuid(0x4000_0000);
    // "KVMKVMKVM\0\0\0" in ebx, ecx, edx.
    if (leaf.ebx, leaf.ecx, leaf.edx) != (0x4b4d_564b, 0x564b_4d56, 0x4d) {
        return false;
    }
    set_gp_gate(pvm_probe_gp as *const () as usize as u64);
    // SAFETY: the fixup gate is installed; the caller restores the gate.
    let signature = unsafe { probe_msr(MSR_PVM_SIGNATURE) };
    signature == Some(PVM_SIGNATURE)
}

/// Makes every present entry of the page tables under `root` a user entry
/// and every leaf non-global (the user root must not find kernel pages in
/// the TLB).
fn open_to_native_mode(root: u64) {
    for level4 in 0..512 {
        let Some(pdpt) = open_entry(root + level4 * 8) else {
            continue;
        };
        for level3 in 0..512 {
            let Some(pd) = open_entry(pdpt + level3 * 8) else {
                continue;
            };
            for level2 in 0..512 {
                let Some(pt) = open_entry(pd + level2 * 8) else {
                    continue;
                };
                for level1 in 0..512 {
                    let at = pt + level1 * 8;
                    let e = phys::read_u64(at);
                    if e & PTE_PRESENT != 0 {
                        phys::write_u64(at, (e | PTE_USER) & !PTE_GLOBAL);
                    }
                }
            }
        }
    }
}

/// Opens one entry; the next table's address if it points to one.
fn open_entry(at: u64) -> Option<u64> {
    let e = phys::read_u64(at);
    if e & PTE_PRESENT == 0 {
        return None;
    }
    if e & PTE_HUGE != 0 {
        phys::write_u64(at, (e | PTE_USER) & !PTE_GLOBAL);
        return None;
    }
    phys::write_u64(at, e | PTE_USER);
    Some(e & PTE_ADDR)
}

/// Maps the kernel pages `[start, end)` into the trampoline at their own
/// addresses.
fn map_trampoline(start: *const u8, end: *const u8, flags: u64) {
    // SAFETY: boot, one CPU; no other reference to the trampoline tables.
    let pts = unsafe { &mut *TRAMPOLINE_PT.get() };
    let mut va = start as u64;
    while va < end as u64 {
        let pa = va - KERNEL_BASE;
        let table = (pa >> 21) as usize;
        if table >= pts.len() {
            panic!(
                "PVM trampoline page {} beyond the image's first 4 MiB",
                crate::kernel::console::Hex(va)
            );
        }
        pts[table].0[((pa >> 12) & 511) as usize] = pa | flags;
        va += 4096;
    }
}

/// Switches the kernel to PVM mode: opens the boot page tables (`root`) to
/// native mode, builds the user root, and turns native mode on. The caller
/// has set the TSS, IDT and `syscall` entry to the PVM ones.
pub fn enable(root: u64, nx: bool) {
    open_to_native_mode(root);
    let nx = if nx { PTE_NX } else { 0 };
    let table = PTE_PRESENT | PTE_WRITE | PTE_USER;
    // The linker script defines these symbols; only their addresses are taken.
    map_trampoline(
        &raw const __pvm_text_start,
        &raw const __pvm_text_end,
        PTE_PRESENT | PTE_USER,
    );
    map_trampoline(
        &raw const __pvm_shared_start,
        &raw const __pvm_shared_end,
        PTE_PRESENT | PTE_USER | nx,
    );
    map_trampoline(
        &raw const __pvm_stack_start,
        &raw const __pvm_stack_end,
        PTE_PRESENT | PTE_WRITE | PTE_USER | nx,
    );
    // SAFETY: boot, one CPU, before user mode exists: no other reference.
    unsafe {
        let pts = &*TRAMPOLINE_PT.get();
        let pd = &mut *TRAMPOLINE_PD.get();
        for (i, pt) in pts.iter().enumerate() {
            pd.0[i] = (pt as *const Page as u64 - KERNEL_BASE) | table;
        }
        // The image's gigabyte: PML4 slot 511, PDPT slot 510.
        (*TRAMPOLINE_PDPT.get()).0[510] = physical(&TRAMPOLINE_PD) | table;
        (*USER_ROOT.get()).0[511] = physical(&TRAMPOLINE_PDPT) | table;
        *USER_CR3.get() = physical(&USER_ROOT);
        *KERNEL_CR3.get() = root;
        *ACTIVE.get() = true;
    }
    // Drop the TLB's entries of the boot tables as they were: toggling
    // CR4.PGE flushes the global ones too.
    // SAFETY: these writes only flush the TLB.
    unsafe {
        asm!("mov {0}, cr4", "mov {1}, {0}", "btr {1}, 7", "mov cr4, {1}", "mov cr4, {0}",
             out(reg) _, out(reg) _, options(nostack));
    }
    // SAFETY: the page is the kernel's and stays reserved for the host;
    // every page the kernel runs on is a user page now (above).
    unsafe { super::cpu::wrmsr(MSR_PVM_VCPU_PAGE, physical(&VCPU_PAGE)) };
}

/// Called by the PVM exit before it loads the user root: gives the user
/// root the current task's lower half and notes the task's root for the
/// next entry.
pub extern "C" fn prepare_exit() {
    let cr3: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) cr3, options(nostack, nomem)) };
    let root = cr3 & PTE_ADDR;
    // SAFETY: one CPU, interrupts disabled; no other reference to these.
    let user = unsafe { &mut *USER_ROOT.get() };
    for (i, slot) in user.0.iter_mut().take(256).enumerate() {
        let e = phys::read_u64(root + i as u64 * 8);
        // Write only what changed: the host traps writes to page tables.
        if *slot != e {
            *slot = e;
        }
    }
    // SAFETY: as above.
    unsafe { *KERNEL_CR3.get() = cr3 };
}
