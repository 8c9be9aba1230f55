/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Linux on Bilby uses the generic system-call table (scripts/syscall.tbl). */
#define __ARCH_WANT_SYS_CLONE
#define __ARCH_WANT_NEW_STAT
#include <asm/unistd_64.h>
