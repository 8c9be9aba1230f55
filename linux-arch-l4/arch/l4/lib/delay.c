// SPDX-License-Identifier: GPL-2.0
/* Busy-wait delays on the TSC (rdtsc is allowed in ring 3). */
#include <linux/delay.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <asm/processor.h>
#include <asm/timex.h>

extern unsigned long l4_tsc_hz;

void __delay(unsigned long cycles)
{
	cycles_t start = get_cycles();

	while (get_cycles() - start < cycles)
		cpu_relax();
}
EXPORT_SYMBOL(__delay);

void __ndelay(unsigned long nsecs)
{
	unsigned long hz = l4_tsc_hz ? l4_tsc_hz : 1000000000UL;

	__delay(mul_u64_u32_div(nsecs, hz / 1000, 1000000));
}
EXPORT_SYMBOL(__ndelay);

void __udelay(unsigned long usecs)
{
	__ndelay(usecs * 1000);
}
EXPORT_SYMBOL(__udelay);

void __const_udelay(unsigned long xloops)
{
	/* xloops is usecs * 2^32 / 10^6 (asm-generic/delay.h's scaling). */
	__udelay((xloops * 1000000ULL) >> 32);
}
EXPORT_SYMBOL(__const_udelay);
