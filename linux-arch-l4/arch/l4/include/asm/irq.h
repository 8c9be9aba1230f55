/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_IRQ_H
#define _ASM_L4_IRQ_H

/* Linux interrupt numbers are the bit numbers of bilby_irq_pending. */
#define NR_IRQS		64

#include <asm-generic/irq.h>

#endif
