/*
 * bench_line.h: the writer of the `BENCH` lines (format: the top of
 * linux_syscall.c), shared by the native-Linux benchmark and Bilby's root
 * task. A line is assembled in one buffer; the includer defines
 * flush_line(), which ends it and writes it out (write(2) on Linux, the
 * kernel console on Bilby).
 */
#ifndef BENCH_LINE_H
#define BENCH_LINE_H

#include <stdint.h>

static char line[4096];
static unsigned long line_len;

static void put_str(const char *s)
{
	while (*s && line_len < sizeof(line) - 2)
		line[line_len++] = *s++;
}

static void put_u64(uint64_t v)
{
	char buf[24];
	int i = 0;
	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i-- && line_len < sizeof(line) - 2)
		line[line_len++] = buf[i];
}

static void put_i64(int64_t v)
{
	if (v < 0) {
		put_str("-");
		put_u64((uint64_t)0 - (uint64_t)v);
	} else {
		put_u64((uint64_t)v);
	}
}

/*
 * The common part of a result line: `BENCH result name=… iters=… rounds=…
 * ret=… cycles=…`; the caller may add fields, then flushes.
 */
static void put_result(const char *name, uint64_t iters, int64_t ret, const uint64_t *cycles,
		       int rounds)
{
	put_str("BENCH result name=");
	put_str(name);
	put_str(" iters=");
	put_u64(iters);
	put_str(" rounds=");
	put_u64((uint64_t)rounds);
	put_str(" ret=");
	put_i64(ret);
	put_str(" cycles=");
	for (int r = 0; r < rounds; r++) {
		if (r)
			put_str(",");
		put_u64(cycles[r]);
	}
}

#endif
