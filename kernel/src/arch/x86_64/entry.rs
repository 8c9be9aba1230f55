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
const _: () = {
    assert!(REGS_FPU == 160);
    assert!(offset_of!(UserRegisters, rax) == 0);
    assert!(offset_of!(UserRegisters, rbx) == 8);
    assert!(offset_of!(UserRegisters, rcx) == 16);
    assert!(offset_of!(UserRegisters, rdx) == 24);
    assert!(offset_of!(UserRegisters, rsi) == 32);
    assert!(offset_of!(UserRegisters, rdi) == 40);
    assert!(offset_of!(UserRegisters, rbp) == 48);
    assert!(offset_of!(UserRegisters, r8) == 56);
    assert!(offset_of!(UserRegisters, r9) == 64);
    assert!(offset_of!(UserRegisters, r10) == 72);
    assert!(offset_of!(UserRegisters, r11) == 80);
    assert!(offset_of!(UserRegisters, r12) == 88);
    assert!(offset_of!(UserRegisters, r15) == 112);
    assert!(offset_of!(UserRegisters, rip) == 120);
    assert!(offset_of!(UserRegisters, rsp) == 128);
    assert!(offset_of!(UserRegisters, rflags) == 136);
};

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
    .text
    .global syscall_entry
syscall_entry:
    mov [rip + {scratch}], rsp
    mov rsp, [rip + {current}]
    mov [rsp + 0], rax
    mov [rsp + 8], rbx
    mov [rsp + 16], rcx
    mov [rsp + 24], rdx
    mov [rsp + 32], rsi
    mov [rsp + 40], rdi
    mov [rsp + 48], rbp
    mov [rsp + 56], r8
    mov [rsp + 64], r9
    mov [rsp + 72], r10
    mov [rsp + 80], r11
    mov [rsp + 88], r12
    mov [rsp + 96], r13
    mov [rsp + 104], r14
    mov [rsp + 112], r15
    mov [rsp + 120], rcx
    mov rax, [rip + {scratch}]
    mov [rsp + 128], rax
    mov [rsp + 136], r11
    mov qword ptr [rsp + {full}], 0
    fxsave64 [rsp + {fpu}]
    mov rsp, offset kernel_stack_top
    call {syscall_handler}
    jmp return_to_user

    .global return_to_user
return_to_user:
    mov rax, [rip + {current}]
    fxrstor64 [rax + {fpu}]
    cmp qword ptr [rax + {full}], 0
    jne 3f
    mov rbx, [rax + 8]
    mov rdx, [rax + 24]
    mov rsi, [rax + 32]
    mov rdi, [rax + 40]
    mov rbp, [rax + 48]
    mov r8, [rax + 56]
    mov r9, [rax + 64]
    mov r10, [rax + 72]
    mov r12, [rax + 88]
    mov r13, [rax + 96]
    mov r14, [rax + 104]
    mov r15, [rax + 112]
    mov rcx, [rax + 120]
    mov r11, [rax + 136]
    mov rsp, [rax + 128]
    mov rax, [rax + 0]
    sysretq
3:
    push {user_ss}
    push qword ptr [rax + 128]
    push qword ptr [rax + 136]
    push {user_cs}
    push qword ptr [rax + 120]
    mov rbx, [rax + 8]
    mov rcx, [rax + 16]
    mov rdx, [rax + 24]
    mov rsi, [rax + 32]
    mov rdi, [rax + 40]
    mov rbp, [rax + 48]
    mov r8, [rax + 56]
    mov r9, [rax + 64]
    mov r10, [rax + 72]
    mov r11, [rax + 80]
    mov r12, [rax + 88]
    mov r13, [rax + 96]
    mov r14, [rax + 104]
    mov r15, [rax + 112]
    mov rax, [rax + 0]
    iretq

    /* Stack: vector, error code, rip, cs, rflags, rsp, ss. */
isr_common:
    test qword ptr [rsp + 24], 3
    jz 4f
    cld
    push rax
    mov rax, [rip + {current}]
    mov [rax + 8], rbx
    mov [rax + 16], rcx
    mov [rax + 24], rdx
    mov [rax + 32], rsi
    mov [rax + 40], rdi
    mov [rax + 48], rbp
    mov [rax + 56], r8
    mov [rax + 64], r9
    mov [rax + 72], r10
    mov [rax + 80], r11
    mov [rax + 88], r12
    mov [rax + 96], r13
    mov [rax + 104], r14
    mov [rax + 112], r15
    pop rbx
    mov [rax + 0], rbx
    mov rbx, [rsp + 16]
    mov [rax + 120], rbx
    mov rbx, [rsp + 40]
    mov [rax + 128], rbx
    mov rbx, [rsp + 32]
    mov [rax + 136], rbx
    mov qword ptr [rax + {full}], 1
    fxsave64 [rax + {fpu}]
    mov rdi, [rsp]
    mov rsi, [rsp + 8]
    mov rdx, cr2
    mov rsp, offset kernel_stack_top
    call {exception_handler}
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
    "    .text",
    scratch = sym SYSCALL_SCRATCH,
    current = sym CURRENT_FRAME,
    full = const REGS_FULL,
    fpu = const REGS_FPU,
    syscall_handler = sym super::syscall_handler,
    exception_handler = sym super::exception_handler,
    kernel_interrupt = sym super::kernel_interrupt,
    kernel_fault = sym super::kernel_fault,
    user_ss = const super::cpu::USER_SS,
    user_cs = const super::cpu::USER_CS,
);
