/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_SYSCALLS_H
#define _ASM_L4_SYSCALLS_H

#include <linux/linkage.h>
#include <linux/types.h>

/* The entries of the generic table that arch/l4 implements. */
asmlinkage long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot,
			 unsigned long flags, unsigned long fd, off_t offset);
asmlinkage long sys_rt_sigreturn(void);

#endif
