/*
 * virt_app.c: the application side of the virtualized-syscall benchmark,
 * loaded as a boot module and switched to ThreadMode::Virtualized by the
 * root task, which is also its exception handler (its "guest OS").
 *
 * Every `syscall` here becomes an exception IPC to the handler; the app can
 * issue no hypercall, so it reports through syscalls the handler
 * understands (bench_guest.h): ROUND_BEGIN and ROUND_END around each timed
 * round, so the handler can read the kernel's counters; then stamped
 * single syscalls for the per-stage breakdown, STAGES, and DONE. The
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

/*
 * One stamped getpid-shaped syscall: returns the handler's two stamps.
 * Stages: to the handler (t_recv - t0), in it (t_reply - t_recv), back to
 * the app (t1 - t_reply).
 */
static void stamped(uint64_t stage[3])
{
	uint64_t nr = BENCH_SYS_STAMP, t_recv = 0, t_reply = 0;
	uint64_t t0 = bench_tsc();
	__asm__ volatile("syscall"
			 : "+a"(nr), "+d"(t_recv), "+S"(t_reply)
			 :
			 : "rcx", "r11", "memory");
	uint64_t t1 = bench_tsc();
	uint64_t s[3] = {t_recv - t0, t_reply - t_recv, t1 - t_reply};
	for (int i = 0; i < 3; i++)
		if (s[i] < stage[i])
			stage[i] = s[i];
}

__attribute__((used, noreturn)) void bench_main(void);

void bench_main(void)
{
	round_of(0);             /* the counters' fixed cost, without getpid */
	loop_getpid(BENCH_ITERS); /* warm-up, untimed */
	for (int r = 0; r < BENCH_ROUNDS; r++)
		round_of(BENCH_ITERS);
	uint64_t stage[3] = {~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0};
	vsys(BENCH_SYS_STAMP_BEGIN, 0, 0);
	for (int i = 0; i < BENCH_STAMPED_OPS; i++)
		stamped(stage);
	vsys(BENCH_SYS_STAMP_END, 0, 0);
	uint64_t nr = BENCH_SYS_STAGES;
	__asm__ volatile("syscall"
			 : "+a"(nr), "+D"(stage[0]), "+S"(stage[1]), "+d"(stage[2])
			 :
			 : "rcx", "r11", "memory");
	vsys(BENCH_SYS_DONE, 0, 0);
	for (;;) /* the handler never resumes a thread that said DONE */
		__asm__ volatile("pause");
}
