/*
 * freestanding.h: what every benchmark program here needs without a libc,
 * Linux's (linux_syscall.c, uml_init.c) and Bilby's (guests/) alike: the
 * two functions gcc may call even in freestanding code, and the timestamp
 * every benchmark takes the same way.
 */
#ifndef BENCH_FREESTANDING_H
#define BENCH_FREESTANDING_H

#include <stdint.h>

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = (unsigned char *)d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = (unsigned char *)d;
	const unsigned char *q = (const unsigned char *)s;
	while (n--)
		*p++ = *q++;
	return d;
}

/*
 * lfence keeps rdtsc from being hoisted above earlier instructions. Under
 * QEMU TCG with `-icount shift=0` the delta of two reads counts guest
 * instructions.
 */
static inline uint64_t bench_tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

#endif
