/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The entry point of vmlinux as a Bilby root task. Bilby starts the main
 * thread here with the boot-info page's address in rdi and a small stack of
 * its own; Linux moves to init_task's stack below its pt_regs frame and
 * continues in C.
 */
#include <linux/init.h>
#include <linux/linkage.h>
#include <asm/thread_info.h>
#include <generated/asm-offsets.h>

	__HEAD
SYM_CODE_START(_start)
	leaq	(__end_init_stack - PT_REGS_SIZE)(%rip), %rsp
	andq	$-16, %rsp
	xorl	%ebp, %ebp
	call	l4_start_kernel
1:	jmp	1b
SYM_CODE_END(_start)
