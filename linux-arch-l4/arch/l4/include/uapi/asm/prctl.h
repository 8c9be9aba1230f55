/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* arch_prctl() codes of the x86_64 ABI that Linux-on-Bilby implements. */
#ifndef _UAPI_ASM_L4_PRCTL_H
#define _UAPI_ASM_L4_PRCTL_H

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

#endif
