// SPDX-License-Identifier: GPL-2.0
/* Stack dumps without an unwinder: every word that points into kernel text. */
#include <linux/kallsyms.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/debug.h>
#include <linux/sched/task_stack.h>
#include <asm/sections.h>

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl)
{
	unsigned long *top;

	if (!task)
		task = current;
	if (!sp)
		sp = task == current ? (unsigned long *)__builtin_frame_address(0) :
				       (unsigned long *)task->thread.sp;
	top = (unsigned long *)((unsigned long)task_stack_page(task) + THREAD_SIZE);
	if (sp < (unsigned long *)task_stack_page(task) || sp >= top)
		return;
	printk("%sCall trace (guessed from the stack):\n", loglvl);
	for (; sp < top; sp++)
		if (core_kernel_text(*sp))
			printk("%s [<%016lx>] %pS\n", loglvl, *sp, (void *)*sp);
}

void show_regs(struct pt_regs *regs)
{
	show_regs_print_info(KERN_DEFAULT);
	pr_info("ip %016lx sp %016lx flags %016lx (%s mode)\n",
		regs->ip, regs->sp, regs->flags, user_mode(regs) ? "user" : "kernel");
	pr_info("ax %016lx bx %016lx cx %016lx dx %016lx\n", regs->ax, regs->bx, regs->cx, regs->dx);
	pr_info("si %016lx di %016lx bp %016lx r8 %016lx\n", regs->si, regs->di, regs->bp, regs->r8);
	pr_info("r9 %016lx r10 %016lx r11 %016lx r12 %016lx\n", regs->r9, regs->r10, regs->r11,
		regs->r12);
	pr_info("r13 %016lx r14 %016lx r15 %016lx\n", regs->r13, regs->r14, regs->r15);
	if (!user_mode(regs))
		show_stack(current, NULL, KERN_DEFAULT);
}
