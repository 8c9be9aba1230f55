/*
 * bench_guest.h: what Bilby's benchmark guests share.
 *
 * Each guest is one freestanding C file built with this header, the ABI
 * header and the hypercall stubs (which also place the ABI ELF note). The
 * timing method is the native-Linux benchmark's (bench/linux_syscall.c):
 * rdtsc around rounds of BENCH_ITERS back-to-back operations, after one
 * untimed warm-up round, so that under QEMU TCG with `-icount shift=0` both
 * sides count instructions the same way. The per-stage breakdown stamps
 * single operations on both sides of an IPC instead (see bilby_bench.c).
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include <stdint.h>
#include <bilby/hypercalls.h>

#include "../freestanding.h"

/* Operations per timed round and timed rounds, as in bench/linux_syscall.c. */
#define BENCH_ITERS 1000
#define BENCH_ROUNDS 31

/*
 * Syscall numbers the virtualized app uses to talk to its handler (the
 * root task). They are Linux-style numbers well above Linux's own, so the
 * handler tells them apart from the getpid (39) being measured.
 */
#define BENCH_SYS_GETPID 39
#define BENCH_SYS_ROUND_BEGIN 0x4240 /* the handler reads the counters */
#define BENCH_SYS_ROUND_END 0x4241   /* rdi = cycles, rsi = iterations */
#define BENCH_SYS_DONE 0x4242        /* the app has finished: no reply */
/*
 * The per-stage breakdown: between STAMP_BEGIN and STAMP_END the handler
 * answers STAMP with its own timestamps, rdx = when it received the
 * exception, rsi = just before it replied; STAGES reports the app's
 * minimum of each stage (rdi, rsi, rdx).
 */
#define BENCH_SYS_STAMP_BEGIN 0x4243
#define BENCH_SYS_STAMP 0x4244
#define BENCH_SYS_STAMP_END 0x4245
#define BENCH_SYS_STAGES 0x4246

/* Operations timed one by one for the per-stage breakdown. */
#define BENCH_STAMPED_OPS 200

/*
 * The entry point: align the stack as the C ABI wants and call
 * `bench_main(rdi)`, which must not return (a return traps on ud2).
 */
#define BENCH_ENTRY                                                          \
	__asm__(".globl _start\n"                                            \
		"_start:\n"                                                  \
		"	xor %ebp, %ebp\n"                                    \
		"	and $-16, %rsp\n"                                    \
		"	call bench_main\n"                                   \
		"	ud2\n")

#endif
