//! Kernel entry and exit: the `syscall` entry, the interrupt and exception
//! stubs, and the return to user mode (`sysretq` or `iretq`).
//!
//! Every entry from user mode saves the whole user register file and the
//! SSE state into the current thread's [`ThreadFrame`], resets the stack to
//! the top of the one kernel stack and calls a Rust handler; the handler
//! picks the thread to run next ([`set_current_frame`]) and returns, and the
//! exit path restores that thread. The kernel never returns through a
//! kernel stack frame to user mode, so there are no kernel continuations.
//! This code must never look at a register's value beyond saving it: all
//! decisions are the handlers'.

use super::Global;
use bilby_abi::UserRegisters;
use core::arch::global_asm;
use core::mem::offset_of;

/// The saved user state of one thread: the register frame the exception
/// messages carry, then the `fxsave64` area.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct ThreadFrame {
    /// The general registers, `rip`, `rsp`, `rflags` and the segment bases.
    pub regs: UserRegisters,
    /// x87/SSE state (`fxsave64` format).
    pub fpu: FpuArea,
    /// Non-zero: return with `iretq` (all registers exact); zero: `sysretq`
    /// (`rcx` and `r11` become `rip` and `rflags`).
    pub full_restore: u64,
}

/// The 512-byte `fxsave64` area.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct FpuArea(pub [u8; 512]);

impl FpuArea {
    /// The power-on state: x87 control word 0x37F, MXCSR 0x1F80.
    pub const INITIAL: FpuArea = {
        let mut a = [0u8; 512];
        a[0] = 0x7F;
        a[1] = 0x03;
        a[24] = 0x80;
        a[25] = 0x1F;
        FpuArea(a)
    };
}

impl ThreadFrame {
    /// A frame with zeroed registers and the initial FPU state.
    pub const EMPTY: ThreadFrame = ThreadFrame {
        regs: UserRegisters {
            rax: 0,
            rbx: 0,
            rcx: 0,
            rdx: 0,
            rsi: 0,
            rdi: 0,
            rbp: 0,
            r8: 0,
            r9: 0,
            r10: 0,
            r11: 0,
            r12: 0,
            r13: 0,
            r14: 0,
            r15: 0,
            rip: 0,
            rsp: 0,
            rflags: USER_RFLAGS_FIXED,
            fs_base: 0,
            gs_base: 0,
        },
        fpu: FpuArea::INITIAL,
        full_restore: 1,
    };
}

/// Flags always set in user mode: IF and the reserved bit 1.
pub const USER_RFLAGS_FIXED: u64 = 0x202;
/// Flags user code may set: CF, PF, AF, ZF, SF, TF, DF, OF.
pub const USER_RFLAGS_MASK: u64 = 0xDD5;

const REGS_FPU: usize = offset_of!(ThreadFrame, fpu);
const REGS_FULL: usize = offset_of!(ThreadFrame, full_restore);

/// The frame the entry code saves into and the exit code restores from.
pub(super) static CURRENT_FRAME: Global<usize> = Global::new(0);
/// The user `rsp` during the first instructions of the `syscall` entry.
static SYSCALL_SCRATCH: Global<u64> = Global::new(0);

/// Makes `frame` the one the next return to user mode restores and the next
/// entry saves into.
#[inline]
pub fn set_current_frame(frame: &mut ThreadFrame) {
    let p = frame as *mut ThreadFrame as usize;
    // SAFETY: the kernel runs on one CPU with interrupts disabled; the entry
    // code reads this word only outside Rust code.
    unsafe { *CURRENT_FRAME.get() = p };
}

global_asm!(
    r#"
    /* The general registers but rax, and rcx and r11 (which `syscall`
       and `sysretq` use for rip and rflags), to or from the frame at
       `base`; the offsets are UserRegisters' own. */
    .macro save_gprs base
    mov [\base + {rbx}], rbx
    mov [\base + {rcx}], rcx
    mov [\base + {rdx}], rdx
    mov [\base + {rsi}], rsi
    mov [\base + {rdi}], rdi
    mov [\base + {rbp}], rbp
    mov [\base + {r8}], r8
    mov [\base + {r9}], r9
    mov [\base + {r10}], r10
    mov [\base + {r11}], r11
    mov [\base + {r12}], r12
    mov [\base + {r13}], r13
    mov [\base + {r14}], r14
    mov [\base + {r15}], r15
    .endm
    .macro restore_gprs base
    mov rbx, [\base + {rbx}]
    mov rdx, [\base + {rdx}]
    mov rsi, [\base + {rsi}]
    mov rdi, [\base + {rdi}]
    mov rbp, [\base + {rbp}]
    mov r8, [\base + {r8}]
    mov r9, [\base + {r9}]
    mov r10, [\base + {r10}]
    mov r12, [\base + {r12}]
    mov r13, [\base + {r13}]
    mov r14, [\base + {r14}]
    mov r15, [\base + {r15}]
    .endm

    /* A `syscall` from user mode: save the frame, call the handler. */
    .macro syscall_save
    mov [rip + {scratch}], rsp
    mov rsp, [rip + {current}]
    mov [rsp + {rax}], rax
    save_gprs rsp
    mov [rsp + {rip}], rcx
    mov rax, [rip + {scratch}]
    mov [rsp + {rsp}], rax
    mov [rsp + {rflags}], r11
    mov qword ptr [rsp + {full}], 0
    fxsave64 [rsp + {fpu}]
    mov rsp, offset kernel_stack_top
    call {syscall_handler}
    .endm

    /* An interrupt or exception from user mode, with isr_common's stack
       (vector, error code, rip, cs, rflags, rsp, ss): save the frame, call
       the handler. */
    .macro isr_user_save
    cld
    push rax
    mov rax, [rip + {current}]
    save_gprs rax
    pop rbx
    mov [rax + {rax}], rbx
    mov rbx, [rsp + 16]
    mov [rax + {rip}], rbx
    mov rbx, [rsp + 40]
    mov [rax + {rsp}], rbx
    mov rbx, [rsp + 32]
    mov [rax + {rflags}], rbx
    mov qword ptr [rax + {full}], 1
    fxsave64 [rax + {fpu}]
    mov rdi, [rsp]
    mov rsi, [rsp + 8]
    mov rdx, cr2
    mov rsp, offset kernel_stack_top
    call {exception_handler}
    .endm

    .text
    .global syscall_entry
syscall_entry:
    syscall_save
    jmp return_to_user

    .global return_to_user
return_to_user:
    mov rax, [rip + {current}]
    fxrstor64 [rax + {fpu}]
    cmp qword ptr [rax + {full}], 0
    jne 3f
    restore_gprs rax
    mov rcx, [rax + {rip}]
    mov r11, [rax + {rflags}]
    mov rsp, [rax + {rsp}]
    mov rax, [rax + {rax}]
    sysretq
3:
    push {user_ss}
    push qword ptr [rax + {rsp}]
    push qword ptr [rax + {rflags}]
    push {user_cs}
    push qword ptr [rax + {rip}]
    restore_gprs rax
    mov rcx, [rax + {rcx}]
    mov r11, [rax + {r11}]
    mov rax, [rax + {rax}]
    iretq

    /* Stack: vector, error code, rip, cs, rflags, rsp, ss. */
isr_common:
    test qword ptr [rsp + 24], 3
    jz 4f
    isr_user_save
    jmp return_to_user

    /* From kernel mode: an interrupt while idle, or a kernel bug. */
4:
    cmp qword ptr [rsp], 32
    jb 5f
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    mov rdi, [rsp + 72]
    call {kernel_interrupt}
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    add rsp, 16
    iretq
5:
    mov rdi, rsp
    mov rsi, cr2
    and rsp, -16
    call {kernel_fault}
    ud2

"#,
    include_str!("isr_stubs.s"),
    r#"
    /* Under PVM (pvm.rs) these replace the entry and exit points above:
       user mode runs on PVM's user page tables, which map only this
       section, the descriptor tables and the PVM stack, so every entry
       first loads the kernel's page tables and the exit loads the user
       ones last. Everything else is the code above. */
    .section .text.pvm_trampoline, "ax"
    .global pvm_syscall_entry
pvm_syscall_entry:
    /* The bottom word of the PVM stack holds rax meanwhile. */
    mov [rip + {pvm_scratch}], rax
    mov rax, [rip + {pvm_kernel_cr3}]
    mov cr3, rax
    mov rax, [rip + {pvm_scratch}]
    syscall_save
    jmp pvm_return_to_user

    /* Every PVM stub (below) comes here, with isr_common's stack: from
       kernel mode to pvm_isr_kernel; from user mode (on the PVM stack,
       from the TSS) load the kernel's page tables first. */
pvm_isr_entry:
    test qword ptr [rsp + 24], 3
    jz pvm_isr_kernel
    push rax
    mov rax, [rip + {pvm_kernel_cr3}]
    mov cr3, rax
    pop rax
    isr_user_save
    jmp pvm_return_to_user

    /* return_to_user, ending on the PVM stack and the user page tables,
       always with iretq: rcx and r11 get what sysretq would leave in
       them where the frame asks for sysretq. The virtual interrupt flag
       (pvm.rs) is set from pvm_exit_window on; an interrupt delivered
       before the iretq completes is handled by pvm_isr_kernel. */
    .global pvm_return_to_user
pvm_return_to_user:
    /* The handlers return here on kernel_stack_top; enter_user calls in
       from deeper, where the call below would leave prepare_exit a
       misaligned stack. Nothing on the kernel stack outlives an exit. */
    mov rsp, offset kernel_stack_top
    call {pvm_prepare_exit}
    mov rax, [rip + {current}]
    fxrstor64 [rax + {fpu}]
    lea rsp, [rip + {pvm_stack} + {pvm_stack_size}]
    /* The user tables let user mode read the PVM stack (pvm.rs): clear
       what the last entry left below the frame pushed here, which may be
       another task's — the syscall entry's scratch word (rax), a user
       event's vector and rax (8 and 16 bytes below that frame), and an
       exit-window event's frame, error code, vector and rax (to 64 bytes
       below it). */
    mov qword ptr [rip + {pvm_scratch}], 0
    .irp offset, 56, 64, 72, 80, 88, 96, 104, 112
    mov qword ptr [rsp - \offset], 0
    .endr
    push {user_ss}
    push qword ptr [rax + {rsp}]
    push qword ptr [rax + {rflags}]
    push {user_cs}
    push qword ptr [rax + {rip}]
    push qword ptr [rax + {rax}]
    restore_gprs rax
    cmp qword ptr [rax + {full}], 0
    jne 3f
    mov rcx, [rax + {rip}]
    mov r11, [rax + {rflags}]
    jmp pvm_exit_window
3:
    mov rcx, [rax + {rcx}]
    mov r11, [rax + {r11}]
pvm_exit_window:
    mov byte ptr [rip + {pvm_vif} + {vif_enabled}], 1
    mov rax, [rip + {pvm_user_cr3}]
    mov cr3, rax
    pop rax
    iretq
pvm_exit_window_end:

    /* An event in kernel mode (stack as isr_common's). Interrupts come
       only while the virtual flag is set: in the exit window or in
       pvm_idle. */
pvm_isr_kernel:
    push rax
    lea rax, [rip + pvm_exit_window]
    cmp [rsp + 24], rax
    jb 1f
    lea rax, [rip + pvm_exit_window_end]
    cmp [rsp + 24], rax
    jae 1f
    /* In the exit window, on the PVM stack, perhaps on the user page
       tables: back to the kernel's. An interrupt there is one from user
       mode before its first instruction: the frame is still whole (the
       exit only read it) and the FPU holds its state, so drop the exit
       and handle it. Anything else there is a kernel bug. */
    mov rax, [rip + {pvm_kernel_cr3}]
    mov cr3, rax
    pop rax
    cmp qword ptr [rsp], 32
    jb isr_common
    cld
    mov rdi, [rsp]
    mov rsi, [rsp + 8]
    xor edx, edx
    mov rsp, offset kernel_stack_top
    call {exception_handler}
    jmp pvm_return_to_user
1:
    /* In pvm_idle just before its hlt: step over the hlt, which would
       otherwise wait for the next interrupt. */
    lea rax, [rip + pvm_idle_hlt]
    cmp [rsp + 24], rax
    jne 2f
    inc qword ptr [rsp + 24]
2:
    pop rax
    jmp isr_common

    /* One stub per vector (isr_stubs.s) and pvm_isr_table. */
    isr_stubs pvm_isr, pvm_isr_entry

    /* The idle wait under PVM: `sti; hlt; cli` with the virtual flag
       (the host emulates sti and cli without touching it). An interrupt
       taken at pvm_idle_hlt makes pvm_isr_kernel step over the hlt. */
    .text
    .global pvm_idle
pvm_idle:
    mov byte ptr [rip + {pvm_vif} + {vif_enabled}], 1
pvm_idle_hlt:
    hlt
    mov byte ptr [rip + {pvm_vif} + {vif_enabled}], 0
    ret

"#,
    "    .text",
    scratch = sym SYSCALL_SCRATCH,
    current = sym CURRENT_FRAME,
    full = const REGS_FULL,
    fpu = const REGS_FPU,
    rax = const offset_of!(UserRegisters, rax),
    rbx = const offset_of!(UserRegisters, rbx),
    rcx = const offset_of!(UserRegisters, rcx),
    rdx = const offset_of!(UserRegisters, rdx),
    rsi = const offset_of!(UserRegisters, rsi),
    rdi = const offset_of!(UserRegisters, rdi),
    rbp = const offset_of!(UserRegisters, rbp),
    r8 = const offset_of!(UserRegisters, r8),
    r9 = const offset_of!(UserRegisters, r9),
    r10 = const offset_of!(UserRegisters, r10),
    r11 = const offset_of!(UserRegisters, r11),
    r12 = const offset_of!(UserRegisters, r12),
    r13 = const offset_of!(UserRegisters, r13),
    r14 = const offset_of!(UserRegisters, r14),
    r15 = const offset_of!(UserRegisters, r15),
    rip = const offset_of!(UserRegisters, rip),
    rsp = const offset_of!(UserRegisters, rsp),
    rflags = const offset_of!(UserRegisters, rflags),
    syscall_handler = sym super::syscall_handler,
    exception_handler = sym super::exception_handler,
    kernel_interrupt = sym super::kernel_interrupt,
    kernel_fault = sym super::kernel_fault,
    user_ss = const super::cpu::USER_SS,
    user_cs = const super::cpu::USER_CS,
    pvm_scratch = sym super::pvm::STACK,
    pvm_stack = sym super::pvm::STACK,
    pvm_stack_size = const super::pvm::STACK_SIZE,
    pvm_kernel_cr3 = sym super::pvm::KERNEL_CR3,
    pvm_user_cr3 = sym super::pvm::USER_CR3,
    pvm_prepare_exit = sym super::pvm::prepare_exit,
    pvm_vif = sym super::pvm::VCPU_PAGE,
    vif_enabled = const super::pvm::VIF_ENABLED,
);
