// SPDX-License-Identifier: GPL-2.0
/* The system calls the x86_64 table leaves to the architecture. */
#include <linux/mm.h>
#include <linux/syscalls.h>
#include <asm/syscalls.h>
#include <asm/prctl.h>
#include <linux/uaccess.h>

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, unsigned long, prot,
		unsigned long, flags, unsigned long, fd, off_t, offset)
{
	if (offset_in_page(offset))
		return -EINVAL;
	return ksys_mmap_pgoff(addr, len, prot, flags, fd, offset >> PAGE_SHIFT);
}

/*
 * Thread-local storage: the bases travel in the user frame; Bilby loads
 * them when it resumes the thread from that frame (stage 2).
 */
SYSCALL_DEFINE2(arch_prctl, int, option, unsigned long, arg2)
{
	struct pt_regs *regs = current_pt_regs();

	switch (option) {
	case ARCH_SET_FS:
		if (arg2 >= TASK_SIZE)
			return -EPERM;
		regs->fs_base = arg2;
		return 0;
	case ARCH_SET_GS:
		if (arg2 >= TASK_SIZE)
			return -EPERM;
		regs->gs_base = arg2;
		return 0;
	case ARCH_GET_FS:
		return put_user(regs->fs_base, (unsigned long __user *)arg2);
	case ARCH_GET_GS:
		return put_user(regs->gs_base, (unsigned long __user *)arg2);
	default:
		return -EINVAL;
	}
}

/* A Bilby task owns no I/O ports and no descriptor tables. */
SYSCALL_DEFINE1(iopl, unsigned int, level)
{
	return -EPERM;
}

SYSCALL_DEFINE3(ioperm, unsigned long, from, unsigned long, num, int, on)
{
	return -EPERM;
}

SYSCALL_DEFINE3(modify_ldt, int, func, void __user *, ptr, unsigned long, bytecount)
{
	return -ENOSYS;
}
