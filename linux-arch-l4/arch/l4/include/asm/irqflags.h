/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual interrupt flag. Linux runs in ring 3 and cannot mask anything:
 * "interrupts" are bits the Bilby interrupt thread sets in
 * bilby_irq_pending. Enabling interrupts replays the pending ones, as
 * hardware would deliver them at that instant; while the flag is on, the
 * interrupt thread may also divert Linux to take them at once.
 */
#ifndef _ASM_L4_IRQFLAGS_H
#define _ASM_L4_IRQFLAGS_H

#define ARCH_IRQ_DISABLED	0UL
#define ARCH_IRQ_ENABLED	1UL

#ifndef __ASSEMBLY__

#include <shared/bilby_glue.h>

extern unsigned long l4_irq_enabled;
void l4_irq_replay(void);
/* Entry of a busy Linux thread diverted by the interrupt thread (entry.S). */
void l4_irq_trampoline(void);

static inline unsigned long arch_local_save_flags(void)
{
	return *(volatile unsigned long *)&l4_irq_enabled;
}

static inline void arch_local_irq_restore(unsigned long flags)
{
	__asm__ __volatile__("" ::: "memory");
	*(volatile unsigned long *)&l4_irq_enabled = flags;
	__asm__ __volatile__("" ::: "memory");
	if (flags == ARCH_IRQ_ENABLED && bilby_irq_pending)
		l4_irq_replay();
}

#include <asm-generic/irqflags.h>

#endif /* __ASSEMBLY__ */

#endif /* _ASM_L4_IRQFLAGS_H */
