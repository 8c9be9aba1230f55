/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_PTRACE_H
#define _ASM_L4_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__

/*
 * The register frame at the top of every kernel stack. The first twenty-one
 * words are struct user_regs_struct; `user` says whether the frame belongs
 * to a user context (stage 2: a virtualized Bilby thread) or to Linux itself.
 */
struct pt_regs {
	unsigned long ax, bx, cx, dx, si, di, bp;
	unsigned long r8, r9, r10, r11, r12, r13, r14, r15;
	unsigned long ip, sp, flags;
	unsigned long fs_base, gs_base;
	unsigned long orig_ax;
	unsigned long user;
};

#define user_mode(regs)			((regs)->user != 0)
#define instruction_pointer(regs)	((regs)->ip)
#define user_stack_pointer(regs)	((regs)->sp)
#define profile_pc(regs)		instruction_pointer(regs)
#define current_pt_regs()		task_pt_regs(current)
#define current_user_stack_pointer()	user_stack_pointer(current_pt_regs())

static inline long regs_return_value(struct pt_regs *regs)
{
	return regs->ax;
}

#endif /* __ASSEMBLY__ */

#endif /* _ASM_L4_PTRACE_H */
