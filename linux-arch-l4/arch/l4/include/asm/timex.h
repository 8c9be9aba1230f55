/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_TIMEX_H
#define _ASM_L4_TIMEX_H

/* The TSC: rdtsc works in ring 3 and Bilby reports its rate in BootInfo. */
typedef unsigned long long cycles_t;

static inline cycles_t get_cycles(void)
{
	unsigned int lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((cycles_t)hi << 32) | lo;
}
#define get_cycles get_cycles

#endif /* _ASM_L4_TIMEX_H */
