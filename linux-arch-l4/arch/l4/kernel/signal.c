// SPDX-License-Identifier: GPL-2.0
/* Signal frames. User mode arrives in stage 2; until then none is built. */
#include <linux/errno.h>
#include <linux/syscalls.h>
#include <asm/syscalls.h>

SYSCALL_DEFINE0(rt_sigreturn)
{
	/* Reached only from user mode, which stage 1 does not have. */
	return -ENOSYS;
}
