/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_MMU_CONTEXT_H
#define _ASM_L4_MMU_CONTEXT_H

/* Stage 1 has one address space: Linux's own. */
#include <asm-generic/nommu_context.h>

#endif
