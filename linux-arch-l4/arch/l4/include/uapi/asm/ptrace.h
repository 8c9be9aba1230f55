/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The user register frame of a Linux-on-Bilby process. Its first twenty
 * words are, in order, the registers of Bilby's exception message
 * (BilbyUserRegisters), so that stage 2 can copy an exception IPC into a
 * pt_regs without reshuffling.
 */
#ifndef _UAPI_ASM_L4_PTRACE_H
#define _UAPI_ASM_L4_PTRACE_H

#ifndef __ASSEMBLY__

#include <linux/types.h>

struct user_regs_struct {
	__u64 ax, bx, cx, dx, si, di, bp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 ip, sp, flags;
	__u64 fs_base, gs_base;
	__u64 orig_ax;
};

#endif /* __ASSEMBLY__ */

#endif /* _UAPI_ASM_L4_PTRACE_H */
