/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_PROCESSOR_H
#define _ASM_L4_PROCESSOR_H

#include <asm/ptrace.h>
#include <asm/irqflags.h>
#include <shared/bilby_glue.h>

/* User addresses: Bilby's canonical lower half. */
#define TASK_SIZE		0x0000800000000000UL
#define TASK_SIZE_MAX		TASK_SIZE
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		STACK_TOP
#define TASK_UNMAPPED_BASE	0

#ifndef __ASSEMBLY__

struct task_struct;

/* What __switch_to saves: the kernel stack pointer; the rest is on it. */
struct thread_struct {
	unsigned long sp;
};

#define INIT_THREAD { .sp = 0 }

#define task_pt_regs(tsk) \
	((struct pt_regs *)((unsigned long)task_stack_page(tsk) + THREAD_SIZE) - 1)

#define KSTK_EIP(tsk)	(task_pt_regs(tsk)->ip)
#define KSTK_ESP(tsk)	(task_pt_regs(tsk)->sp)

/*
 * Busy-wait loops are where Linux expects an interrupt to break in. Ticks
 * arrive in another Bilby thread, so a spinning Linux takes them here.
 */
static inline void cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
	if (arch_local_save_flags() == ARCH_IRQ_ENABLED && bilby_irq_pending)
		l4_irq_replay();
}

void start_thread(struct pt_regs *regs, unsigned long pc, unsigned long sp);
unsigned long __get_wchan(struct task_struct *p);

#endif /* __ASSEMBLY__ */

#endif /* _ASM_L4_PROCESSOR_H */
