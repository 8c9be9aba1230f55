/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* System-call numbers: the x86_64 ones (arch/x86/entry/syscalls/syscall_64.tbl). */
#include <asm/unistd_64.h>
