/*
 * bilby_bench.c: Bilby's side of `cargo xtask bench kernel`, the root task.
 *
 * Boot modules: ipc_server (the IPC peer), virt_app (the virtualized
 * application) and ipc_stamp_server (the IPC peer with timestamps). Measured, each as rounds of BENCH_ITERS operations timed
 * with rdtsc (exact instruction counts under TCG `-icount shift=0`):
 *
 *   loop                      the empty loop, for its overhead
 *   null_hypercall            Nop round trip
 *   ipc_call_reply_registers  call + echo reply to ipc_server, 4 words in registers
 *   ipc_call_reply_utcb64     the same with 64 words (60 through the UTCB)
 *   virtualized_syscall       virt_app's getpid: syscall -> exception IPC to this
 *                             task -> Resume reply -> app
 *
 * Output: the `BENCH` lines of bench/linux_syscall.c on the kernel console,
 * each result with `mode_switches` and `as_switches`: the kernel counters'
 * increase over one round, less their increase over an empty round (the
 * cost of reading them), the fewest over all rounds (an interrupt can only
 * add). Then it stops the machine with exit code 0; any failure prints a
 * `BENCH error` line and exits with code 3.
 *
 * Where the instructions go: for the two IPC paths and the virtualized
 * syscall, BENCH_STAMPED_OPS single operations are stamped on both sides
 * (rdtsc in the caller before and after, in the peer on arrival and before
 * its reply), giving three stages: the kernel's path to the peer, the
 * peer's own user-mode code, and the kernel's path back. Each stage is the
 * fewest instructions seen, printed as
 *
 *   BENCH stages name=<path> to_peer=<n> in_peer=<n> back=<n> tsc_overhead=<n> ops=<n>
 *
 * where tsc_overhead is what two back-to-back timestamps count, included
 * once in every stage.
 */
#include "bench_guest.h"
#include "../bench_line.h"

BENCH_ENTRY;

static uint32_t control;
static BilbyUtcb *utcb;
static uint32_t next_slot;

/* ---- output ---------------------------------------------------------- */

static void flush_line(void)
{
	line[line_len++] = '\n';
	bilby_debug_write(control, line, line_len);
	line_len = 0;
}

__attribute__((noreturn)) static void fail(const char *what, uint64_t status)
{
	line_len = 0;
	put_str("BENCH error what=");
	put_str(what);
	put_str(" status=");
	put_u64(status);
	flush_line();
	bilby_debug_shutdown(control, 3);
	for (;;)
		__asm__ volatile("pause");
}

static void check(const char *what, uint64_t status)
{
	if (status != BILBY_STATUS_OK)
		fail(what, status);
}

/* ---- counters -------------------------------------------------------- */

typedef struct {
	uint64_t modes, spaces;
} Switches;

static Switches switches_between(const BilbyCounters *a, const BilbyCounters *b)
{
	Switches s;
	s.modes = (b->user_to_kernel - a->user_to_kernel) + (b->kernel_to_user - a->kernel_to_user);
	s.spaces = b->address_space_switches - a->address_space_switches;
	return s;
}

static uint64_t cycles[BENCH_ROUNDS];

static void print_result(const char *name, int64_t ret, Switches fewest)
{
	put_result(name, BENCH_ITERS, ret, cycles, BENCH_ROUNDS);
	put_str(" mode_switches=");
	put_u64(fewest.modes);
	put_str(" as_switches=");
	put_u64(fewest.spaces);
	flush_line();
}

/* ---- operations measured from this task ------------------------------ */

static uint32_t ipc_endpoint;

__attribute__((noinline)) static int64_t loop_empty(uint64_t n)
{
	int64_t r = 0;
	for (uint64_t i = 0; i < n; i++)
		__asm__ volatile("" : "+r"(r)::"memory");
	return r;
}

__attribute__((noinline)) static int64_t loop_nop(uint64_t n)
{
	int64_t r = 0;
	for (uint64_t i = 0; i < n; i++)
		r = (int64_t)bilby_nop();
	return r;
}

static int64_t ipc_loop(uint64_t n, uint32_t words)
{
	BilbyMessage m = {0};
	int64_t r = 0;
	for (uint64_t i = 0; i < n; i++) {
		m.tag = bilby_tag(1, words);
		r = (int64_t)bilby_ipc_call(ipc_endpoint, &m);
	}
	return r;
}

__attribute__((noinline)) static int64_t loop_ipc_registers(uint64_t n)
{
	return ipc_loop(n, BILBY_REGISTER_MESSAGE_WORDS);
}

__attribute__((noinline)) static int64_t loop_ipc_utcb64(uint64_t n)
{
	return ipc_loop(n, BILBY_UTCB_MESSAGE_WORDS);
}

static void measure(const char *name, int64_t (*op)(uint64_t))
{
	BilbyCounters c0, c1;
	check("counters_read", bilby_counters_read(control, &c0));
	op(0);
	check("counters_read", bilby_counters_read(control, &c1));
	Switches base = switches_between(&c0, &c1);

	int64_t ret = op(BENCH_ITERS); /* warm-up */
	Switches fewest = {~(uint64_t)0, ~(uint64_t)0};
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		bilby_counters_read(control, &c0);
		uint64_t t0 = bench_tsc();
		ret = op(BENCH_ITERS);
		uint64_t t1 = bench_tsc();
		bilby_counters_read(control, &c1);
		cycles[r] = t1 - t0;
		Switches s = switches_between(&c0, &c1);
		if (s.modes - base.modes < fewest.modes)
			fewest.modes = s.modes - base.modes;
		if (s.spaces - base.spaces < fewest.spaces)
			fewest.spaces = s.spaces - base.spaces;
	}
	print_result(name, ret, fewest);
}

/* ---- where the instructions go --------------------------------------- */

static uint64_t tsc_overhead;

/* The fewest instructions two back-to-back timestamps count. */
static uint64_t measure_tsc_overhead(void)
{
	uint64_t fewest = ~(uint64_t)0;
	for (int i = 0; i < 100; i++) {
		uint64_t a = bench_tsc();
		uint64_t b = bench_tsc();
		if (b - a < fewest)
			fewest = b - a;
	}
	return fewest;
}

static void print_stages(const char *name, const uint64_t stage[3])
{
	put_str("BENCH stages name=");
	put_str(name);
	put_str(" to_peer=");
	put_u64(stage[0]);
	put_str(" in_peer=");
	put_u64(stage[1]);
	put_str(" back=");
	put_u64(stage[2]);
	put_str(" tsc_overhead=");
	put_u64(tsc_overhead);
	put_str(" ops=");
	put_u64(BENCH_STAMPED_OPS);
	flush_line();
}

/* Stamped calls to ipc_stamp_server, which answers with its two stamps in words 0 and 1. */
static void ipc_stages(const char *name, uint32_t endpoint, uint32_t words)
{
	uint64_t stage[3] = {~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0};
	BilbyMessage m = {0};
	for (int i = 0; i < BENCH_STAMPED_OPS + 1; i++) {
		m.tag = bilby_tag(1, words);
		uint64_t t0 = bench_tsc();
		uint64_t st = bilby_ipc_call(endpoint, &m);
		uint64_t t1 = bench_tsc();
		check("stamped ipc_call", st);
		uint64_t s[3] = {m.w[0] - t0, m.w[1] - m.w[0], t1 - m.w[1]};
		for (int k = 0; k < 3 && i > 0; k++) /* call 0 warms up */
			if (s[k] < stage[k])
				stage[k] = s[k];
	}
	print_stages(name, stage);
}

/* ---- setup ----------------------------------------------------------- */

static const BilbyBootModule *find_module(const BilbyBootInfo *bi, const char *prefix)
{
	for (uint32_t i = 0; i < bi->module_count && i < BILBY_BOOT_MAX_MODULES; i++) {
		const BilbyBootModule *m = &bi->modules[i];
		unsigned long k = 0;
		while (prefix[k] && k < sizeof(m->name) && m->name[k] == (uint8_t)prefix[k])
			k++;
		if (!prefix[k]) {
			check(prefix, m->status);
			return m;
		}
	}
	fail(prefix, BILBY_STATUS_INVALID_ARGUMENT);
}

static uint32_t free_memory(const BilbyBootInfo *bi)
{
	for (uint32_t i = 0; i < bi->memory_region_count && i < BILBY_BOOT_MAX_MEMORY_REGIONS; i++)
		if (bi->memory[i].kind == BILBY_MEMORY_KIND_FREE && bi->memory[i].cap != BILBY_CAP_NULL)
			return bi->memory[i].cap;
	fail("free_memory", BILBY_STATUS_OUT_OF_MEMORY);
}

/* Copies `slot` into the first free slot of `task` and returns that slot. */
static uint32_t give_cap(uint32_t slot, uint32_t task)
{
	for (uint32_t dest = 1; dest < BILBY_CAP_SPACE_SLOTS; dest++) {
		uint64_t st = bilby_cap_copy(slot, task, dest, BILBY_CAP_RIGHTS_ALL, 0);
		if (st == BILBY_STATUS_OK)
			return dest;
		if (st != BILBY_STATUS_OCCUPIED)
			fail("cap_copy", st);
	}
	fail("cap_copy", BILBY_STATUS_OCCUPIED);
}

/* ---- the virtualized syscall: this task is the app's handler --------- */

static void virtualized_syscall(const BilbyBootInfo *bi, uint32_t memory)
{
	const BilbyBootModule *app = find_module(bi, "virt_app");
	uint32_t ep = next_slot++;
	check("endpoint_create", bilby_endpoint_create(memory, ep));
	check("configure mode",
	      bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_MODE,
				     BILBY_THREAD_MODE_VIRTUALIZED, 0));
	check("configure handler",
	      bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_HANDLER, ep, 0));
	check("resume virt_app", bilby_thread_resume(app->thread_cap));

	BilbyCounters c0 = {0}, c1;
	Switches base = {0, 0}, fewest = {~(uint64_t)0, ~(uint64_t)0};
	int have_base = 0, round = 0, stages_seen = 0;
	BilbyMessage m = {0};
	check("recv", bilby_ipc_recv(ep, &m));
	for (;;) {
		if (bilby_tag_label(m.tag) != BILBY_EXCEPTION_KIND_SYSCALL)
			fail("virt_app exception", bilby_tag_label(m.tag));
		BilbyUserRegisters *regs = &utcb->exception.regs;
		switch (regs->rax) {
		case BENCH_SYS_GETPID:
			regs->rax = 1;
			break;
		case BENCH_SYS_ROUND_BEGIN:
			bilby_counters_read(control, &c0);
			regs->rax = 0;
			break;
		case BENCH_SYS_ROUND_END: {
			bilby_counters_read(control, &c1);
			Switches s = switches_between(&c0, &c1);
			if (regs->rsi == 0) {
				base = s;
				have_base = 1;
			} else if (have_base && round < BENCH_ROUNDS && regs->rsi == BENCH_ITERS) {
				cycles[round++] = regs->rdi;
				if (s.modes - base.modes < fewest.modes)
					fewest.modes = s.modes - base.modes;
				if (s.spaces - base.spaces < fewest.spaces)
					fewest.spaces = s.spaces - base.spaces;
			} else {
				fail("virt_app round", regs->rsi);
			}
			regs->rax = 0;
			break;
		}
		case BENCH_SYS_STAMP_BEGIN:
			/* Stamp mode: a tight loop of its own, so the timed loop above runs none of it. */
			regs->rax = 0;
			for (;;) {
				m.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
				check("reply_recv", bilby_ipc_reply_recv(ep, &m));
				uint64_t t_recv = bench_tsc();
				if (regs->rax != BENCH_SYS_STAMP)
					break;
				regs->rax = 0;
				regs->rdx = t_recv;
				regs->rsi = bench_tsc();
			}
			if (regs->rax != BENCH_SYS_STAMP_END)
				fail("virt_app stamp", regs->rax);
			regs->rax = 0;
			break;
		case BENCH_SYS_STAGES: {
			uint64_t stage[3] = {regs->rdi, regs->rsi, regs->rdx};
			stages_seen = 1;
			print_stages("virtualized_syscall", stage);
			regs->rax = 0;
			break;
		}
		case BENCH_SYS_DONE:
			if (!stages_seen)
				fail("virt_app stages", 0);
			if (round != BENCH_ROUNDS)
				fail("virt_app rounds", (uint64_t)round);
			print_result("virtualized_syscall", 1, fewest);
			return; /* virt_app stays stopped: no reply */
		default:
			regs->rax = (uint64_t)-38; /* -ENOSYS */
			break;
		}
		m.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
		check("reply_recv", bilby_ipc_reply_recv(ep, &m));
	}
}

/* ---- main ------------------------------------------------------------ */

__attribute__((used, noreturn)) void bench_main(const BilbyBootInfo *bi);

void bench_main(const BilbyBootInfo *bi)
{
	control = bi->control_cap;
	utcb = (BilbyUtcb *)(uintptr_t)bi->utcb;
	next_slot = bi->first_free_slot;

	/* A fresh line: the firmware may have left the cursor mid-row. */
	put_str("\nBENCH begin version=1");
	flush_line();
	uint32_t major = 0, minor = 0;
	check("abi_version", bilby_abi_version(&major, &minor));
	put_str("BENCH info key=abi value=");
	put_u64(major);
	put_str(".");
	put_u64(minor);
	flush_line();

	uint32_t memory = free_memory(bi);

	measure("loop", loop_empty);
	measure("null_hypercall", loop_nop);

	const BilbyBootModule *server = find_module(bi, "ipc_server");
	ipc_endpoint = next_slot++;
	check("endpoint_create", bilby_endpoint_create(memory, ipc_endpoint));
	uint32_t server_ep = give_cap(ipc_endpoint, server->task_cap);
	BilbyUserRegisters regs;
	check("exregs read",
	      bilby_thread_exchange_registers(server->thread_cap, &regs, BILBY_EXREGS_READ));
	regs.rdi = server_ep;
	check("exregs write",
	      bilby_thread_exchange_registers(server->thread_cap, &regs, BILBY_EXREGS_WRITE));
	check("resume ipc_server", bilby_thread_resume(server->thread_cap));
	measure("ipc_call_reply_registers", loop_ipc_registers);
	measure("ipc_call_reply_utcb64", loop_ipc_utcb64);

	tsc_overhead = measure_tsc_overhead();
	const BilbyBootModule *stamper = find_module(bi, "ipc_stamp_server");
	uint32_t stamp_ep = next_slot++;
	check("endpoint_create", bilby_endpoint_create(memory, stamp_ep));
	uint32_t stamper_ep = give_cap(stamp_ep, stamper->task_cap);
	check("exregs read",
	      bilby_thread_exchange_registers(stamper->thread_cap, &regs, BILBY_EXREGS_READ));
	regs.rdi = stamper_ep;
	check("exregs write",
	      bilby_thread_exchange_registers(stamper->thread_cap, &regs, BILBY_EXREGS_WRITE));
	check("resume ipc_stamp_server", bilby_thread_resume(stamper->thread_cap));
	ipc_stages("ipc_call_reply_registers", stamp_ep, BILBY_REGISTER_MESSAGE_WORDS);
	ipc_stages("ipc_call_reply_utcb64", stamp_ep, BILBY_UTCB_MESSAGE_WORDS);

	virtualized_syscall(bi, memory);

	put_str("BENCH end");
	flush_line();
	bilby_debug_shutdown(control, 0);
	for (;;)
		__asm__ volatile("pause");
}
