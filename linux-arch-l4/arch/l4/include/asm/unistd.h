/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_UNISTD_H
#define _ASM_L4_UNISTD_H

#include <uapi/asm/unistd.h>

#define NR_syscalls	(__NR_syscalls)

#endif
