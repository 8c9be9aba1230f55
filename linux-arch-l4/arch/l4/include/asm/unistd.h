/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_UNISTD_H
#define _ASM_L4_UNISTD_H

#include <uapi/asm/unistd.h>

#define NR_syscalls	(__NR_syscalls)

/* The generic system calls the x86_64 table names. */
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_SYS_ALARM
#define __ARCH_WANT_SYS_CLONE
#define __ARCH_WANT_SYS_FADVISE64
#define __ARCH_WANT_SYS_FORK
#define __ARCH_WANT_SYS_GETPGRP
#define __ARCH_WANT_SYS_PAUSE
#define __ARCH_WANT_SYS_TIME
#define __ARCH_WANT_SYS_UTIME
#define __ARCH_WANT_SYS_VFORK

#endif
