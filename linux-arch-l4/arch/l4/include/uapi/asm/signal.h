/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* x86_64 binaries pass a restorer with every sigaction. */
#ifndef _UAPI_ASM_L4_SIGNAL_H
#define _UAPI_ASM_L4_SIGNAL_H

#define SA_RESTORER	0x04000000

#include <asm-generic/signal.h>

#endif
