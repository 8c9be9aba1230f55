// SPDX-License-Identifier: GPL-2.0
/* The system calls the generic table leaves to the architecture. */
#include <linux/mm.h>
#include <linux/syscalls.h>
#include <asm/syscalls.h>

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, unsigned long, prot,
		unsigned long, flags, unsigned long, fd, off_t, offset)
{
	if (offset_in_page(offset))
		return -EINVAL;
	return ksys_mmap_pgoff(addr, len, prot, flags, fd, offset >> PAGE_SHIFT);
}
