// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts. Bilby delivers them as IPC to the interrupt thread, which sets
 * bits in bilby_irq_pending; here Linux takes them when its virtual
 * interrupt flag goes on (arch_local_irq_restore, cpu_relax, idle), or when
 * the interrupt thread diverts it into l4_irq_trampoline (entry.S).
 */
#include <linux/bitops.h>
#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <asm/irq_regs.h>
#include <shared/bilby_glue.h>

unsigned long l4_irq_enabled = ARCH_IRQ_DISABLED;

static void l4_irq_noop(struct irq_data *d)
{
}

static struct irq_chip l4_irq_chip = {
	.name		= "bilby",
	.irq_mask	= l4_irq_noop,
	.irq_unmask	= l4_irq_noop,
	.irq_ack	= l4_irq_noop,
};

void l4_irq_replay(void)
{
	struct pt_regs regs = { .user = 0 };
	unsigned long bits;

	l4_irq_enabled = ARCH_IRQ_DISABLED;
	barrier();
	while ((bits = bilby_irq_take_pending())) {
		struct pt_regs *old = set_irq_regs(&regs);
		unsigned int irq;

		regs.ip = _RET_IP_;
		irq_enter();
		for_each_set_bit(irq, &bits, NR_IRQS)
			generic_handle_irq(irq);
		irq_exit();
		set_irq_regs(old);
	}
	barrier();
	l4_irq_enabled = ARCH_IRQ_ENABLED;
}

void __init init_IRQ(void)
{
	unsigned int irq;

	for (irq = 0; irq < NR_IRQS; irq++)
		irq_set_chip_and_handler(irq, &l4_irq_chip, handle_simple_irq);
}
