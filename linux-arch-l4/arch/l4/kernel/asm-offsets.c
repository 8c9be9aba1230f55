// SPDX-License-Identifier: GPL-2.0
/* Offsets the assembly in arch/l4/kernel needs. */
#define COMPILE_OFFSETS

#include <linux/kbuild.h>
#include <linux/sched.h>
#include <asm/ptrace.h>

int main(void)
{
	DEFINE(TASK_THREAD_SP, offsetof(struct task_struct, thread.sp));
	DEFINE(PT_REGS_SIZE, sizeof(struct pt_regs));
	return 0;
}
