//! Processor setup: GDT with the TSS, IDT, the `syscall` MSRs, control
//! register features (SMEP, SMAP, NX, PCID), and the small privileged
//! operations the kernel needs (page-table base, TLB flushes, segment bases).

use super::Global;
use core::arch::asm;
use core::arch::x86_64::{__cpuid, __cpuid_count};

/// Selectors; `syscall`/`sysret` require this order (STAR).
pub const KERNEL_CS: u16 = 0x08;
/// Kernel stack segment.
pub const KERNEL_SS: u16 = 0x10;
/// User data and stack segment (RPL 3).
pub const USER_SS: u16 = 0x1b;
/// User 64-bit code segment (RPL 3).
pub const USER_CS: u16 = 0x23;
const TSS_SELECTOR: u16 = 0x28;

const MSR_EFER: u32 = 0xC000_0080;
const MSR_STAR: u32 = 0xC000_0081;
const MSR_LSTAR: u32 = 0xC000_0082;
const MSR_SFMASK: u32 = 0xC000_0084;
const MSR_FS_BASE: u32 = 0xC000_0100;
const MSR_GS_BASE: u32 = 0xC000_0101;
const EFER_NXE: u64 = 1 << 11;

/// Optional features found at boot and switched on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    /// No-execute pages (EFER.NXE).
    pub nx: bool,
    /// Supervisor-mode execution prevention.
    pub smep: bool,
    /// Supervisor-mode access prevention.
    pub smap: bool,
    /// Process-context identifiers.
    pub pcid: bool,
    /// The TSC runs at a constant rate.
    pub invariant_tsc: bool,
}

#[repr(C, packed)]
struct Tss {
    reserved0: u32,
    rsp0: u64,
    rsp1: u64,
    rsp2: u64,
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

#[link_section = ".data.pvm_shared"]
static TSS: Global<Tss> = Global::new(Tss {
    reserved0: 0,
    rsp0: 0,
    rsp1: 0,
    rsp2: 0,
    reserved1: 0,
    ist: [0; 7],
    reserved2: 0,
    reserved3: 0,
    iomap_base: core::mem::size_of::<Tss>() as u16,
});

#[link_section = ".data.pvm_shared"]
static GDT: Global<[u64; 7]> = Global::new([
    0,
    0x00af_9a00_0000_ffff, // kernel code
    0x00cf_9200_0000_ffff, // kernel data
    0x00cf_f200_0000_ffff, // user data
    0x00af_fa00_0000_ffff, // user code
    0,                     // TSS, low
    0,                     // TSS, high
]);

#[repr(C)]
#[derive(Clone, Copy)]
struct IdtEntry {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

#[link_section = ".data.pvm_shared"]
static IDT: Global<[IdtEntry; 256]> = Global::new(
    [IdtEntry {
        offset_low: 0,
        selector: 0,
        ist: 0,
        type_attr: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    }; 256],
);

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

extern "C" {
    static isr_table: [u64; 48];
    static kernel_stack_top: u8;
    static double_fault_stack_top: u8;
    fn syscall_entry();
}

/// The interrupt gate for `vector`: breakpoints may come from user mode,
/// double faults get their own stack.
fn gate(vector: usize, handler: u64) -> IdtEntry {
    IdtEntry {
        offset_low: handler as u16,
        selector: KERNEL_CS,
        ist: if vector == 8 { 1 } else { 0 },
        type_attr: if vector == 3 { 0xEE } else { 0x8E },
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        reserved: 0,
    }
}

/// Points the IDT's gate for `vector` at `handler`.
fn set_gate(vector: usize, handler: u64) {
    // SAFETY: boot, one CPU; the loaded IDT is this table, and a gate is
    // only ever set to one of the kernel's handlers.
    unsafe { (*IDT.get())[vector] = gate(vector, handler) };
}

fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading an architectural MSR that exists on every x86_64 CPU.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nostack, nomem)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// # Safety
/// The caller must name an MSR that exists and a value that keeps the
/// kernel's invariants (the kernel only writes the ones in this module).
pub(super) unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: by the caller.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack, nomem))
    };
}

/// Loads the GDT, TSS and IDT, programs `syscall`, and turns on the optional
/// protections the CPU has.
pub fn init() -> Features {
    // SAFETY: runs once at boot on one CPU before any other user of these tables.
    unsafe {
        let tss = &mut *TSS.get();
        tss.rsp0 = core::ptr::addr_of!(kernel_stack_top) as u64;
        tss.ist[0] = core::ptr::addr_of!(double_fault_stack_top) as u64;
        let base = tss as *mut Tss as u64;
        let limit = (core::mem::size_of::<Tss>() - 1) as u64;
        let gdt = &mut *GDT.get();
        gdt[5] = (limit & 0xffff)
            | ((base & 0xff_ffff) << 16)
            | (0x89 << 40)
            | (((limit >> 16) & 0xf) << 48)
            | (((base >> 24) & 0xff) << 56);
        gdt[6] = base >> 32;
        let gdtp = DescriptorPointer {
            limit: (core::mem::size_of::<[u64; 7]>() - 1) as u16,
            base: gdt.as_ptr() as u64,
        };
        asm!(
            "lgdt [{gdtp}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov {tmp:e}, {ss}",
            "mov ss, {tmp:e}",
            "xor {tmp:e}, {tmp:e}",
            "mov ds, {tmp:e}",
            "mov es, {tmp:e}",
            "mov fs, {tmp:e}",
            "mov gs, {tmp:e}",
            "mov {tmp:e}, {tss}",
            "ltr {tmp:x}",
            gdtp = in(reg) &gdtp,
            cs = const KERNEL_CS as u64,
            ss = const KERNEL_SS as u32,
            tss = const TSS_SELECTOR as u32,
            tmp = out(reg) _,
        );

        let idt = &mut *IDT.get();
        for (vector, &handler) in isr_table.iter().enumerate() {
            idt[vector] = gate(vector, handler);
        }
        let idtp = DescriptorPointer {
            limit: (core::mem::size_of::<[IdtEntry; 256]>() - 1) as u16,
            base: idt.as_ptr() as u64,
        };
        asm!("lidt [{}]", in(reg) &idtp, options(nostack));

        // sysret: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8.
        wrmsr(
            MSR_STAR,
            (u64::from(USER_SS - 3 - 8) << 48) | (u64::from(KERNEL_CS) << 32),
        );
        wrmsr(MSR_LSTAR, syscall_entry as *const () as usize as u64);
        // Clear IF, TF, DF, AC, NT on entry.
        wrmsr(MSR_SFMASK, 0x4_7700);
    }

    let mut f = Features::default();
    let ext = __cpuid(0x8000_0000).eax;
    if ext >= 0x8000_0001 {
        f.nx = __cpuid(0x8000_0001).edx & (1 << 20) != 0;
    }
    if ext >= 0x8000_0007 {
        f.invariant_tsc = __cpuid(0x8000_0007).edx & (1 << 8) != 0;
    }
    let max = __cpuid(0).eax;
    let leaf1 = __cpuid(1);
    f.pcid = leaf1.ecx & (1 << 17) != 0;
    if max >= 7 {
        let l7 = __cpuid_count(7, 0);
        f.smep = l7.ebx & (1 << 7) != 0;
        f.smap = l7.ebx & (1 << 20) != 0;
    }
    if f.nx {
        // SAFETY: NXE exists (CPUID said so); setting it only adds checks.
        unsafe { wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE) };
    }
    let pvm = super::pvm::detect(&mut |handler| set_gate(13, handler));
    // SAFETY: reading the linker-placed table of stub addresses.
    set_gate(13, unsafe { isr_table[13] });
    if pvm {
        enable_pvm(&mut f);
    }
    let mut cr4 = read_cr4();
    if f.smep {
        cr4 |= 1 << 20;
    }
    if f.smap {
        cr4 |= 1 << 21;
    }
    if f.pcid {
        // Allowed only while CR3's low 12 bits are zero: they are (boot tables).
        cr4 |= 1 << 17;
    }
    // SAFETY: only bits for features the CPU reports; the kernel never
    // executes or touches user pages through user addresses.
    unsafe { asm!("mov cr4, {}", in(reg) cr4, options(nostack, nomem)) };
    f
}

/// Switches to PVM mode (pvm.rs): the PVM entry points in the TSS, IDT and
/// `syscall` MSR, then the page tables and the host. Every kernel page is a
/// user page in PVM mode, so SMEP, SMAP (and PCID, which the user root
/// would share between tasks) stay off.
fn enable_pvm(f: &mut Features) {
    use super::pvm;
    f.smep = false;
    f.smap = false;
    f.pcid = false;
    // SAFETY: boot, one CPU; the new stack, gates and entry point are the
    // PVM equivalents of the ones they replace.
    unsafe {
        (*TSS.get()).rsp0 = pvm::STACK.get() as u64 + pvm::STACK_SIZE as u64;
        // The host reads these through the user tables, which map them
        // read-only: set the accessed bits the CPU would write.
        let gdt = &mut *GDT.get();
        for d in &mut gdt[1..5] {
            *d |= 1 << 40;
        }
        for (vector, &handler) in pvm::pvm_isr_table.iter().enumerate() {
            set_gate(vector, handler);
        }
        wrmsr(
            MSR_LSTAR,
            pvm::pvm_syscall_entry as *const () as usize as u64,
        );
    }
    pvm::enable(super::kernel_root_table(), f.nx);
    crate::kernel::console::kprintln!(
        "cpu: PVM host (kvm_pvm): native PVM mode, user mode on its own page tables"
    );
}

fn read_cr4() -> u64 {
    let v: u64;
    // SAFETY: reading a control register has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nostack, nomem)) };
    v
}

/// Switches to the page tables at `root` (physical) tagged with `pcid`
/// (0 without PCID); `keep` keeps that PCID's TLB entries (CR3 bit 63),
/// which only a CPU with PCID enabled may be asked to do.
pub fn load_root(root: u64, pcid: u16, keep: bool) {
    let value = root | u64::from(pcid & 0xfff) | if keep { 1 << 63 } else { 0 };
    write_cr3(value);
}

/// Switches to the page tables at `root` (physical). The kernel half of
/// every address space is the same, so the kernel keeps running.
pub fn write_cr3(root: u64) {
    // SAFETY: every root the kernel builds maps the kernel half identically
    // to the boot tables (the callers only pass such roots).
    unsafe { asm!("mov cr3, {}", in(reg) root, options(nostack)) };
}

/// Drops the TLB entry of one page in the current address space.
pub fn flush_page(vaddr: u64) {
    // SAFETY: invlpg has no effect beyond the TLB.
    unsafe { asm!("invlpg [{}]", in(reg) vaddr, options(nostack)) };
}

/// Loads the user FS base (only canonical user addresses reach here).
pub fn set_fs_base(v: u64) {
    // SAFETY: the callers pass canonical lower-half addresses only.
    unsafe { wrmsr(MSR_FS_BASE, v) };
}

/// Loads the user GS base (only canonical user addresses reach here).
pub fn set_gs_base(v: u64) {
    // SAFETY: the callers pass canonical lower-half addresses only; the
    // kernel itself never uses GS.
    unsafe { wrmsr(MSR_GS_BASE, v) };
}

/// The time-stamp counter (instructions under QEMU's `-icount`).
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc only reads a counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}
