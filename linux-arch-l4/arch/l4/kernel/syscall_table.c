// SPDX-License-Identifier: GPL-2.0
/* The system-call table: the common and 64-bit entries of x86_64's. */
#include <linux/syscalls.h>
#include <asm/syscall.h>
#include <asm/syscalls.h>

#undef __SYSCALL
#define __SYSCALL(nr, call)	[nr] = (call),
#define __SYSCALL_WITH_COMPAT(nr, native, compat)	__SYSCALL(nr, native)
#define __SYSCALL_NORETURN(nr, call)	__SYSCALL(nr, call)

void *sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = sys_ni_syscall,
#include <asm/syscall_table_64.h>
};
