    /* `isr_stubs name, target`: one stub per vector 0-47, name_0 to
       name_47, each pushing a zero where the CPU pushes no error code,
       then the vector, then jumping to target; and name_table in .rodata,
       listing them for the IDT. The CPU pushes an error code for vectors
       8, 10-14, 17, 21, 29 and 30. Used here for isr_common and, under
       PVM, for the PVM entry (entry.rs). */
    .macro isr_stub name, vector, cpu_pushes_error_code, target
\name\()_\vector:
    .if \cpu_pushes_error_code == 0
    push 0
    .endif
    push \vector
    jmp \target
    .endm

    .macro isr_stubs name, target
    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    isr_stub \name, \v, 0, \target
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    isr_stub \name, \v, 1, \target
    .endr
    /* The IRQs (32-47, the PICs' vectors). */
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    isr_stub \name, \v, 0, \target
    .endr

    .pushsection .rodata
    .p2align 3
    .global \name\()_table
\name\()_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad \name\()_\v
    .endr
    .popsection
    .endm

    isr_stubs isr, isr_common
