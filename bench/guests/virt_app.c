/*
 * virt_app.c: the application side of the virtualized-syscall benchmark,
 * loaded as a boot module and switched to ThreadMode::Virtualized by the
 * root task, which is also its exception handler (its "guest OS").
 *
 * Every `syscall` here becomes an exception IPC to the handler; the app can
 * issue no hypercall, so it reports through syscalls the handler
 * understands (bench_guest.h): ROUND_BEGIN and ROUND_END around each timed
 * round, so the handler can read the kernel's counters, then DONE. The
 * timed loop itself is Linux's getpid loop, exactly as in
 * bench/linux_syscall.c.
 */
#include "bench_guest.h"

BENCH_ENTRY;

static inline int64_t vsys(uint64_t nr, uint64_t a0, uint64_t a1)
{
	int64_t ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) static int64_t loop_getpid(uint64_t n)
{
	int64_t r = 0;
	for (uint64_t i = 0; i < n; i++)
		r = vsys(BENCH_SYS_GETPID, 0, 0);
	return r;
}

static void round_of(uint64_t iters)
{
	vsys(BENCH_SYS_ROUND_BEGIN, 0, 0);
	uint64_t t0 = bench_tsc();
	loop_getpid(iters);
	uint64_t t1 = bench_tsc();
	vsys(BENCH_SYS_ROUND_END, t1 - t0, iters);
}

__attribute__((used, noreturn)) void bench_main(void);

void bench_main(void)
{
	round_of(0);             /* the counters' fixed cost, without getpid */
	loop_getpid(BENCH_ITERS); /* warm-up, untimed */
	for (int r = 0; r < BENCH_ROUNDS; r++)
		round_of(BENCH_ITERS);
	vsys(BENCH_SYS_DONE, 0, 0);
	for (;;) /* the handler never resumes a thread that said DONE */
		__asm__ volatile("pause");
}
