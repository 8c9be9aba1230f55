/* Guest entry: the kernel starts a loaded image with rsp at the top of its
 * stack, rdi = boot-info address (root task) or 0, rsi = UTCB address. */
    .section .text.start, "ax"
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call guest_start
1:  jmp 1b
    .section .note.GNU-stack, "", @progbits
