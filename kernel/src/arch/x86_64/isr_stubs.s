    /* One stub per vector 0-47: a zero where the CPU pushes no error
       code, then the vector, then isr_common; isr_table lists them for
       the IDT. The CPU pushes an error code for vectors 8, 10-14, 17,
       21, 29 and 30. */
    .macro isr_stub vector, cpu_pushes_error_code
isr_\vector:
    .if \cpu_pushes_error_code == 0
    push 0
    .endif
    push \vector
    jmp isr_common
    .endm

    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    isr_stub \v, 0
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    isr_stub \v, 1
    .endr
    /* The IRQs (32-47, the PICs' vectors). */
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    isr_stub \v, 0
    .endr

    .section .rodata
    .p2align 3
    .global isr_table
isr_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad isr_\v
    .endr
