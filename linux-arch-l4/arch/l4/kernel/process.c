// SPDX-License-Identifier: GPL-2.0
/* Tasks: creation, the idle loop, and the (stage 2) way to user mode. */
#include <linux/cpu.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <asm/processor.h>
#include <asm/setup.h>
#include <shared/bilby_glue.h>

asmlinkage void ret_from_fork(void);

/* The frame __switch_to pops when it first switches to a new task. */
struct switch_frame {
	unsigned long r15, r14, r13, r12, bx, bp;
	unsigned long ret;
};

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct pt_regs *childregs = task_pt_regs(p);
	struct switch_frame *frame = (struct switch_frame *)childregs - 1;

	memset(frame, 0, sizeof(*frame));
	if (unlikely(args->fn)) {
		memset(childregs, 0, sizeof(*childregs));
		frame->r12 = (unsigned long)args->fn;
		frame->r13 = (unsigned long)args->fn_arg;
	} else {
		*childregs = *current_pt_regs();
		childregs->ax = 0;
		if (args->stack)
			childregs->sp = args->stack;
		if (args->flags & CLONE_SETTLS)
			childregs->fs_base = args->tls;
	}
	frame->ret = (unsigned long)ret_from_fork;
	p->thread.sp = (unsigned long)frame;
	return 0;
}

void start_thread(struct pt_regs *regs, unsigned long pc, unsigned long sp)
{
	memset(regs, 0, sizeof(*regs));
	regs->ip = pc;
	regs->sp = sp;
	regs->flags = 0x202;
	regs->user = 1;
}

void flush_thread(void)
{
}

/*
 * A task leaves the kernel for user mode. Stage 1 has no user mode yet:
 * stage 2 will run the frame in a virtualized Bilby thread whose system
 * calls come back as exception IPC.
 */
asmlinkage void l4_return_to_user(void)
{
	struct pt_regs *regs = current_pt_regs();

	pr_emerg("l4: %s (pid %d) enters user mode at ip %#lx sp %#lx: not implemented in stage 1\n",
		 current->comm, current->pid, regs->ip, regs->sp);
	bilby_shutdown(BILBY_EXIT_NO_USER_MODE);
}

/* Waits in the idle loop that a wake-up message ended. */
unsigned long l4_idle_wakeups;

/* Called with interrupts disabled; returns with them enabled. */
void arch_cpu_idle(void)
{
	if (!bilby_irq_pending)
		l4_idle_wakeups += bilby_wait_for_interrupt();
	raw_local_irq_enable();
}

unsigned long __get_wchan(struct task_struct *p)
{
	/* No unwinder: report no wait channel rather than a guess. */
	return 0;
}
