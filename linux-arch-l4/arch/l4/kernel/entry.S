/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel context switch. Every Linux task is a stack inside the one Bilby
 * thread that runs Linux; switching saves the callee-saved registers on the
 * old stack, records its pointer in thread.sp and resumes the new one.
 */
#include <linux/linkage.h>
#include <generated/asm-offsets.h>

	.text
/* struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next) */
SYM_FUNC_START(__switch_to)
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, TASK_THREAD_SP(%rdi)
	movq	TASK_THREAD_SP(%rsi), %rsp
	movq	%rsi, l4_current_task(%rip)
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	movq	%rdi, %rax
	ret
SYM_FUNC_END(__switch_to)

/*
 * A new task's first switch returns here with the previous task in rax;
 * copy_thread left the thread function in r12 (0 for a user task) and its
 * argument in r13. When the function returns (kernel_execve succeeded in
 * init) the task continues in user mode.
 */
SYM_CODE_START(ret_from_fork)
	movq	%rax, %rdi
	call	schedule_tail
	testq	%r12, %r12
	jz	1f
	movq	%r13, %rdi
	call	*%r12
1:	call	l4_return_to_user
2:	jmp	2b
SYM_CODE_END(ret_from_fork)

/*
 * Bilby's interrupt thread diverted the busy Linux thread here, with the
 * interrupted rip pushed on its stack (asm/irqflags.h: the virtual
 * interrupt flag was on). Everything the C code may clobber is saved, and
 * the stack is realigned, since the interruption could fall anywhere.
 */
SYM_CODE_START(l4_irq_trampoline)
	pushfq
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	movq	%rsp, %rbx
	andq	$-16, %rsp
	cld
	call	l4_irq_replay
	movq	%rbx, %rsp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	popfq
	ret
SYM_CODE_END(l4_irq_trampoline)
