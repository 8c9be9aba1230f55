//! The PVH entry: QEMU's loader jumps to `pvh_start32` in 32-bit protected
//! mode with paging off and the physical address of the `hvm_start_info` in
//! `ebx`. This code builds the boot page tables (the first 4 GiB mapped at
//! the identity, at the direct map (PML4 slot 257, phys.rs) and, for the
//! first GiB, at the kernel's link address), enters long mode and calls
//! [`super::kernel_start`] on the boot stack. It must never touch anything
//! above 4 GiB or rely on `.bss` before it has zeroed it.

use core::arch::global_asm;

/// Size of the kernel stack (one per CPU; Bilby runs on one CPU).
pub const KERNEL_STACK_SIZE: usize = 64 * 1024;

global_asm!(
    r#"
    .section .note.Xen, "a"
    .p2align 2
    .long 4, 4, 18
    .asciz "Xen"
    .long pvh_start32

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    mov esi, ebx

    /* 2 MiB global pages for the first 4 GiB: 4 page directories. */
    mov eax, 0x183
    mov edx, offset boot_pd
2:
    mov dword ptr [edx], eax
    mov dword ptr [edx + 4], 0
    add eax, 0x200000
    add edx, 8
    cmp edx, offset boot_pd + 4 * 4096
    jb 2b

    mov eax, offset boot_pd + 3
    mov dword ptr [boot_pdpt_low], eax
    add eax, 4096
    mov dword ptr [boot_pdpt_low + 8], eax
    add eax, 4096
    mov dword ptr [boot_pdpt_low + 16], eax
    add eax, 4096
    mov dword ptr [boot_pdpt_low + 24], eax
    mov eax, offset boot_pd + 3
    mov dword ptr [boot_pdpt_high + 510 * 8], eax

    mov eax, offset boot_pdpt_low + 3
    mov dword ptr [boot_pml4], eax
    mov dword ptr [boot_pml4 + 257 * 8], eax
    mov eax, offset boot_pdpt_high + 3
    mov dword ptr [boot_pml4 + 511 * 8], eax

    mov eax, offset boot_pml4
    mov cr3, eax

    /* PAE, PGE, OSFXSR, OSXMMEXCPT: the precompiled core uses SSE. */
    mov eax, cr4
    or eax, 0x6A0
    mov cr4, eax

    /* EFER: long mode enable, syscall enable. */
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x101
    wrmsr

    /* CR0: paging, write protect, protected mode, monitor coprocessor; no EM, CD, NW. */
    mov eax, cr0
    and eax, 0x9FFFFFFB
    or eax, 0x80010003
    mov cr0, eax

    lgdt [boot_gdt_pointer]
    /* A far return to the 64-bit code segment; push imm32 written out,
       as the assembler picks a 16-bit push for a symbol here. */
    push 0x08
    .byte 0x68
    .long boot_long_mode
    retf

    .code64
boot_long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax

    /* Zero .bss (the kernel stack is in it), then run on the kernel stack. */
    mov rdi, offset __bss_start
    mov rcx, offset __bss_end
    sub rcx, rdi
    xor eax, eax
    rep stosb

    /* With XSAVE present, enable it with x87 and SSE state: some
       hypervisors (KVM's PVM) fault SSE use without it. */
    mov eax, 1
    cpuid
    bt ecx, 26
    jnc 3f
    mov rax, cr4
    bts rax, 18
    mov cr4, rax
    xor ecx, ecx
    mov eax, 3
    xor edx, edx
    xsetbv
3:
    mov rsp, offset kernel_stack_top
    mov edi, esi
    mov rax, offset {kernel_start}
    call rax
    ud2

    .section .boot.data, "aw"
    .p2align 12
    .global boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4 * 4096
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_pointer:
    .word boot_gdt_pointer - boot_gdt - 1
    .long boot_gdt

    .section .bss.kernel_stack, "aw", @nobits
    .p2align 12
    .global kernel_stack_bottom
kernel_stack_bottom:
    .skip {stack_size}
    .global kernel_stack_top
kernel_stack_top:
    .p2align 12
double_fault_stack_bottom:
    .skip 4096
    .global double_fault_stack_top
double_fault_stack_top:

    .text
    "#,
    kernel_start = sym super::kernel_start,
    stack_size = const KERNEL_STACK_SIZE,
);
