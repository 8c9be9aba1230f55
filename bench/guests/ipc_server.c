/*
 * ipc_server.c: the other end of the IPC benchmark, loaded as a boot module.
 *
 * The root task starts it with the endpoint's slot in rdi. It echoes every
 * message: the reply has the request's tag, so a call with 64 words is
 * answered with 64 words (registers and UTCB), one with 4 words in
 * registers only. Nothing else runs in it, so the measured path is the
 * kernel's IPC path and two mode switches per direction.
 *
 * Built a second time as ipc_stamp_server (BENCH_STAMP defined), which
 * answers with two timestamps for the per-stage breakdown; the timed server
 * runs no such code.
 */
#include "bench_guest.h"

BENCH_ENTRY;

__attribute__((used, noreturn)) void bench_main(uint64_t endpoint);

void bench_main(uint64_t endpoint)
{
	BilbyMessage m = {0};
	bilby_ipc_recv((uint32_t)endpoint, &m);
	for (;;) {
#ifdef BENCH_STAMP
		/* When the message arrived, and when the reply leaves: words 0, 1. */
		m.w[0] = bench_tsc();
		m.w[1] = bench_tsc();
#endif
		/* The reply's tag is the request's: the same label and word count. */
		bilby_ipc_reply_recv((uint32_t)endpoint, &m);
	}
}
