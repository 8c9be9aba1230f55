// SPDX-License-Identifier: GPL-2.0
/*
 * hostbilby: runs a Bilby root task (vmlinux) as an ordinary Linux process
 * and serves its Bilby hypercalls through ptrace, so that the Linux side of
 * arch/l4 can be tested on the build machine. It is a test device, not
 * Bilby: it implements only the hypercalls Linux-on-Bilby uses (console,
 * memory map, endpoints, threads, IPC send/receive, timer, shutdown) with
 * the semantics the ABI documents, and it runs the task's threads as real
 * host threads, truly in parallel, which is harsher than Bilby's one CPU.
 *
 * Every `syscall` of the task stops it (PTRACE_SYSEMU); the tracer reads
 * the registers (number in rax, arguments in rdi, rsi, rdx, r10, r8, r9),
 * acts, writes the results back and resumes it. Mapping memory and starting
 * threads are done by making the task execute a real mmap or clone at the
 * stopped syscall instruction.
 *
 * usage: hostbilby [--timeout SECONDS] [--memory MIB] IMAGE
 * Exit status: the task's DebugShutdown code, or 120 + a reason
 * (121 usage, 122 start failure, 123 the task crashed, 124 timeout).
 */
#define _GNU_SOURCE
/* For the message-tag helpers; the ABI note belongs in guests, not here. */
#define BILBY_NO_ABI_NOTE
#include <bilby/hypercalls.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXIT_USAGE 121
#define EXIT_START 122
#define EXIT_CRASH 123
#define EXIT_TIMEOUT 124

/* Where the boot-info page and the main thread's UTCB are placed. */
#define BOOT_INFO_ADDR 0x7e0000000000UL
/* Capability slots of the root task's initial capabilities. */
enum { SLOT_TASK = 1, SLOT_THREAD = 2, SLOT_CONTROL = 3, SLOT_MEMORY = 4, SLOT_FIRST_FREE = 16 };

/* Length of the `syscall` instruction (0f 05) a stopped thread is past. */
#define SYSCALL_INSN_LEN 2

/*
 * The rflags a thread may set (CF PF AF ZF SF DF OF) and those always set
 * (IF, bit 1). Bilby also lets TF through; here it would stop the thread
 * with a SIGTRAP the tracer takes for a crash.
 */
#define USER_RFLAGS_MASK 0xcd5
#define USER_RFLAGS_FIXED 0x202

#define MAX_THREADS 8
#define NO_ENDPOINT 0xffffffffu

enum obj_kind { OBJ_NONE, OBJ_ENDPOINT, OBJ_THREAD };

struct thread {
	pid_t tid;			/* 0 until started */
	int blocked;			/* waiting in IpcRecv or IpcSend */
	uint32_t wait_endpoint;
	int sending;			/* blocked in IpcSend (message in regs) */
	int suspended;			/* stopped by ThreadSuspend; regs valid */
	int ignore_sigstop;		/* a SIGSTOP of a suspension is still due */
	struct user_regs_struct regs;	/* saved at the stop while blocked */
	BilbyUserRegisters start_regs;	/* from ThreadExchangeRegisters */
	uint32_t slot;
};

static struct {
	enum obj_kind kind;
	int thread;			/* index into threads[] for OBJ_THREAD */
	/* OBJ_ENDPOINT: a pending timer tick not yet received. */
	int tick_pending;
} caps[BILBY_CAP_SPACE_SLOTS];

static struct thread threads[MAX_THREADS];
static int nthreads;
static pid_t task_pid;

static struct {
	int armed, periodic;
	uint32_t endpoint;
	uint64_t badge, period_ns, next_ns;
} timer;

static uint64_t pool_left;
static unsigned long timer_sets_periodic, timer_sets_oneshot, timer_ticks;
static uint64_t start_ns;

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "hostbilby: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (task_pid > 0)
		kill(task_pid, SIGKILL);
	exit(code);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t measure_tsc_hz(void)
{
	struct timespec d = { 0, 50 * 1000 * 1000 };
	uint64_t t0 = now_ns(), c0 = rdtsc();

	nanosleep(&d, NULL);
	return (rdtsc() - c0) * 1000000000u / (now_ns() - t0);
}

static struct thread *thread_of(pid_t tid)
{
	for (int i = 0; i < nthreads; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	return NULL;
}

static void get_regs(pid_t tid, struct user_regs_struct *r)
{
	if (ptrace(PTRACE_GETREGS, tid, 0, r))
		die(EXIT_CRASH, "GETREGS %d: %s", tid, strerror(errno));
}

static void set_regs(pid_t tid, const struct user_regs_struct *r)
{
	if (ptrace(PTRACE_SETREGS, tid, 0, r))
		die(EXIT_CRASH, "SETREGS %d: %s", tid, strerror(errno));
}

static void resume(pid_t tid)
{
	if (ptrace(PTRACE_SYSEMU, tid, 0, 0))
		die(EXIT_CRASH, "SYSEMU %d: %s", tid, strerror(errno));
}

static int wait_for(pid_t tid)
{
	int status;

	while (waitpid(tid, &status, __WALL) < 0)
		if (errno != EINTR)
			die(EXIT_CRASH, "waitpid %d: %s", tid, strerror(errno));
	if (WIFEXITED(status) || WIFSIGNALED(status))
		die(EXIT_CRASH, "the task died while the tracer worked on it");
	return status;
}

/*
 * Makes a stopped thread execute one real system call with the `syscall`
 * instruction at `insn`; returns its result. Registers are restored after.
 * `new_tid` receives the new thread of a clone.
 */
static long inject(pid_t tid, uint64_t insn, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		   uint64_t a3, uint64_t a4, uint64_t a5, pid_t *new_tid)
{
	struct user_regs_struct saved, r;
	int status;

	get_regs(tid, &saved);
	r = saved;
	r.rip = insn;
	r.rax = nr;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.r10 = a3;
	r.r8 = a4;
	r.r9 = a5;
	set_regs(tid, &r);
	/*
	 * Stopped at a system-call entry, the first step only finishes the
	 * emulated call and stops before the instruction: step until the
	 * instruction has run (a clone reports an event stop on the way).
	 */
	for (int steps = 0;; steps++) {
		if (steps == 4)
			die(EXIT_CRASH, "injected system call %ld did not run", nr);
		if (ptrace(PTRACE_SINGLESTEP, tid, 0, 0))
			die(EXIT_CRASH, "SINGLESTEP: %s", strerror(errno));
		status = wait_for(tid);
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_CLONE << 8))) {
			unsigned long msg = 0;

			ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
			if (new_tid)
				*new_tid = (pid_t)msg;
			continue;
		}
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
			die(EXIT_CRASH, "injected system call %ld: unexpected stop %#x", nr, status);
		get_regs(tid, &r);
		if (r.rip != insn)
			break;
	}
	set_regs(tid, &saved);
	return (long)r.rax;
}

static int read_mem(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };

	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int write_mem(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };

	return process_vm_writev(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static void set_result(struct user_regs_struct *r, uint64_t status)
{
	r->rax = status;
}

/* Completes a receive of `t` (blocked or at its stop) with a message. */
static void deliver(struct thread *t, struct user_regs_struct *r, uint64_t badge, uint64_t tag,
		    const uint64_t w[4])
{
	r->rax = BILBY_STATUS_OK;
	r->rdi = badge;
	r->rsi = tag;
	r->rdx = w[0];
	r->r10 = w[1];
	r->r8 = w[2];
	r->r9 = w[3];
	t->blocked = 0;
}

/* Completes a receive of `t` with a timer tick: label Timer, no words. */
static void deliver_tick(struct thread *t, struct user_regs_struct *r)
{
	static const uint64_t none[4];

	deliver(t, r, timer.badge, bilby_tag(BILBY_EXCEPTION_KIND_TIMER, 0), none);
}

static struct thread *receiver_on(uint32_t ep)
{
	for (int i = 0; i < nthreads; i++)
		if (threads[i].blocked && !threads[i].sending && threads[i].wait_endpoint == ep)
			return &threads[i];
	return NULL;
}

static struct thread *sender_on(uint32_t ep)
{
	for (int i = 0; i < nthreads; i++)
		if (threads[i].blocked && threads[i].sending && threads[i].wait_endpoint == ep)
			return &threads[i];
	return NULL;
}

static int valid_slot(uint64_t slot, enum obj_kind kind)
{
	return slot < BILBY_CAP_SPACE_SLOTS && caps[slot].kind == kind;
}

static void fire_timer(void)
{
	struct thread *rcv;

	timer_ticks++;
	if (timer.periodic)
		timer.next_ns += timer.period_ns;
	else
		timer.armed = 0;
	rcv = receiver_on(timer.endpoint);
	if (!rcv) {
		/* Ticks that find no receiver are merged into one. */
		caps[timer.endpoint].tick_pending = 1;
		return;
	}
	deliver_tick(rcv, &rcv->regs);
	set_regs(rcv->tid, &rcv->regs);
	resume(rcv->tid);
}

static void to_bilby(const struct user_regs_struct *r, BilbyUserRegisters *b)
{
	b->rax = r->rax; b->rbx = r->rbx; b->rcx = r->rcx; b->rdx = r->rdx;
	b->rsi = r->rsi; b->rdi = r->rdi; b->rbp = r->rbp; b->r8 = r->r8;
	b->r9 = r->r9; b->r10 = r->r10; b->r11 = r->r11; b->r12 = r->r12;
	b->r13 = r->r13; b->r14 = r->r14; b->r15 = r->r15; b->rip = r->rip;
	b->rsp = r->rsp; b->rflags = r->eflags; b->fs_base = r->fs_base; b->gs_base = r->gs_base;
}

static void from_bilby(const BilbyUserRegisters *b, struct user_regs_struct *r)
{
	r->rax = b->rax; r->rbx = b->rbx; r->rcx = b->rcx; r->rdx = b->rdx;
	r->rsi = b->rsi; r->rdi = b->rdi; r->rbp = b->rbp; r->r8 = b->r8;
	r->r9 = b->r9; r->r10 = b->r10; r->r11 = b->r11; r->r12 = b->r12;
	r->r13 = b->r13; r->r14 = b->r14; r->r15 = b->r15; r->rip = b->rip;
	r->rsp = b->rsp; r->eflags = (b->rflags & USER_RFLAGS_MASK) | USER_RFLAGS_FIXED;
	r->fs_base = b->fs_base; r->gs_base = b->gs_base;
}

static void start_thread(struct thread *caller, struct user_regs_struct *cr, struct thread *t)
{
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM;
	const BilbyUserRegisters *s = &t->start_regs;
	struct user_regs_struct r;
	pid_t tid = 0;
	long rc;

	set_regs(caller->tid, cr);
	rc = inject(caller->tid, cr->rip - SYSCALL_INSN_LEN, SYS_clone, flags, s->rsp, 0, 0, 0, 0,
		    &tid);
	get_regs(caller->tid, cr);
	if (rc <= 0 || tid <= 0)
		die(EXIT_CRASH, "starting a thread failed: clone returned %ld", rc);
	wait_for(tid);
	get_regs(tid, &r);
	from_bilby(s, &r);
	set_regs(tid, &r);
	t->tid = tid;
	resume(tid);
}

static int hypercall(struct thread *t, struct user_regs_struct *r);

/*
 * Stops a running thread of the task at an instruction boundary, as
 * Bilby's ThreadSuspend does. A hypercall it makes meanwhile completes
 * first (Bilby runs hypercalls to the end before anything else happens).
 */
static uint64_t suspend_thread(struct thread *x)
{
	struct user_regs_struct r;

	if (syscall(SYS_tgkill, task_pid, x->tid, SIGSTOP))
		die(EXIT_CRASH, "tgkill: %s", strerror(errno));
	for (;;) {
		int status = wait_for(x->tid);

		if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			get_regs(x->tid, &r);
			if (!hypercall(x, &r))
				die(EXIT_CRASH, "a thread blocked in IPC while being suspended");
			set_regs(x->tid, &r);
			x->ignore_sigstop = 1;
			break;
		}
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP)
			break;
		if (status >> 16) {
			resume(x->tid);
			continue;
		}
		die(EXIT_CRASH, "thread %d got signal %d while being suspended", x->tid,
		    WSTOPSIG(status));
	}
	get_regs(x->tid, &x->regs);
	x->suspended = 1;
	return BILBY_STATUS_OK;
}

/* Handles one hypercall of `t`; returns 1 if `t` may run on. */
static int hypercall(struct thread *t, struct user_regs_struct *r)
{
	uint64_t nr = r->orig_rax, a0 = r->rdi, a1 = r->rsi, a2 = r->rdx, a3 = r->r10;
	uint64_t a4 = r->r8, a5 = r->r9;
	uint64_t w[4] = { a2, a3, a4, a5 };
	char buf[4096];

	switch (nr) {
	case BILBY_HYPERCALL_NOP:
	case BILBY_HYPERCALL_YIELD:
		set_result(r, BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_ABI_VERSION:
		set_result(r, BILBY_STATUS_OK);
		r->rdi = BILBY_ABI_MAJOR;
		r->rsi = BILBY_ABI_MINOR;
		return 1;
	case BILBY_HYPERCALL_DEBUG_PUTC:
		if (a0 != SLOT_CONTROL)
			break;
		putchar((int)(a1 & 0xff));
		fflush(stdout);
		set_result(r, BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_DEBUG_WRITE:
		if (a0 != SLOT_CONTROL)
			break;
		while (a2) {
			size_t n = a2 < sizeof(buf) ? a2 : sizeof(buf);

			if (read_mem(t->tid, a1, buf, n)) {
				set_result(r, BILBY_STATUS_INVALID_ADDRESS);
				return 1;
			}
			fwrite(buf, 1, n, stdout);
			a1 += n;
			a2 -= n;
		}
		fflush(stdout);
		set_result(r, BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_DEBUG_SHUTDOWN:
		if (a0 != SLOT_CONTROL)
			break;
		fflush(stdout);
		fprintf(stderr,
			"hostbilby: DebugShutdown(%#lx); TimerSet: %lu periodic, %lu one-shot; "
			"%lu timer messages\n",
			(unsigned long)a1, timer_sets_periodic, timer_sets_oneshot, timer_ticks);
		kill(task_pid, SIGKILL);
		exit((int)(a1 & 0x7f));
	case BILBY_HYPERCALL_MEMORY_MAP: {
		long rc;
		int prot = 0;

		if (a0 != SLOT_MEMORY || a1 != SLOT_TASK) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		if (a2 % BILBY_PAGE_SIZE || a3 == 0) {
			set_result(r, BILBY_STATUS_INVALID_ARGUMENT);
			return 1;
		}
		if (a3 > pool_left / BILBY_PAGE_SIZE) {
			set_result(r, BILBY_STATUS_OUT_OF_MEMORY);
			return 1;
		}
		prot |= (a4 & BILBY_RIGHT_READ) ? PROT_READ : 0;
		prot |= (a4 & BILBY_RIGHT_WRITE) ? PROT_WRITE : 0;
		prot |= (a4 & BILBY_RIGHT_EXECUTE) ? PROT_EXEC : 0;
		set_regs(t->tid, r);
		rc = inject(t->tid, r->rip - SYSCALL_INSN_LEN, SYS_mmap, a2, a3 * BILBY_PAGE_SIZE, prot,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (uint64_t)-1, 0, NULL);
		get_regs(t->tid, r);
		if (rc == -EEXIST)
			set_result(r, BILBY_STATUS_OCCUPIED);
		else if (rc != (long)a2) {
			fprintf(stderr, "hostbilby: mmap of %#lx failed: %s\n", (unsigned long)a2,
				strerror((int)-rc));
			set_result(r, BILBY_STATUS_OUT_OF_MEMORY);
		}
		else {
			pool_left -= a3 * BILBY_PAGE_SIZE;
			set_result(r, BILBY_STATUS_OK);
		}
		return 1;
	}
	case BILBY_HYPERCALL_ENDPOINT_CREATE:
		if (a0 != SLOT_MEMORY || a1 >= BILBY_CAP_SPACE_SLOTS || a1 == 0) {
			set_result(r, BILBY_STATUS_INVALID_ARGUMENT);
			return 1;
		}
		if (caps[a1].kind != OBJ_NONE) {
			set_result(r, BILBY_STATUS_OCCUPIED);
			return 1;
		}
		caps[a1].kind = OBJ_ENDPOINT;
		set_result(r, BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_THREAD_CREATE:
		if (a0 != SLOT_MEMORY || a1 != SLOT_TASK || a2 >= BILBY_CAP_SPACE_SLOTS || a2 == 0 ||
		    nthreads == MAX_THREADS) {
			set_result(r, BILBY_STATUS_INVALID_ARGUMENT);
			return 1;
		}
		if (caps[a2].kind != OBJ_NONE) {
			set_result(r, BILBY_STATUS_OCCUPIED);
			return 1;
		}
		caps[a2].kind = OBJ_THREAD;
		caps[a2].thread = nthreads;
		memset(&threads[nthreads], 0, sizeof(threads[nthreads]));
		threads[nthreads].slot = (uint32_t)a2;
		nthreads++;
		set_result(r, BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_THREAD_EXCHANGE_REGISTERS: {
		struct thread *x;

		if (!valid_slot(a0, OBJ_THREAD)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		x = &threads[caps[a0].thread];
		if (x->tid && !x->suspended) {
			set_result(r, BILBY_STATUS_INVALID_STATE);
			return 1;
		}
		BilbyUserRegisters now = x->start_regs, in;

		if (x->tid)
			to_bilby(&x->regs, &now);
		if ((a2 & BILBY_EXREGS_WRITE) && read_mem(t->tid, a1, &in, sizeof(in))) {
			set_result(r, BILBY_STATUS_INVALID_ADDRESS);
			return 1;
		}
		if ((a2 & BILBY_EXREGS_READ) && write_mem(t->tid, a1, &now, sizeof(now))) {
			set_result(r, BILBY_STATUS_INVALID_ADDRESS);
			return 1;
		}
		if (a2 & BILBY_EXREGS_WRITE) {
			x->start_regs = in;
			if (x->tid) {
				from_bilby(&in, &x->regs);
				set_regs(x->tid, &x->regs);
			}
		}
		set_result(r, BILBY_STATUS_OK);
		return 1;
	}
	case BILBY_HYPERCALL_THREAD_CONFIGURE:
		if (!valid_slot(a0, OBJ_THREAD) && a0 != SLOT_THREAD) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		set_result(r, a1 == BILBY_THREAD_CONFIG_ITEM_PRIORITY && a2 > BILBY_MAX_PRIORITY ?
				      BILBY_STATUS_INVALID_ARGUMENT : BILBY_STATUS_OK);
		return 1;
	case BILBY_HYPERCALL_THREAD_RESUME: {
		struct thread *x;

		if (!valid_slot(a0, OBJ_THREAD)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		x = &threads[caps[a0].thread];
		if (x->suspended) {
			x->suspended = 0;
			set_regs(x->tid, &x->regs);
			resume(x->tid);
			set_result(r, BILBY_STATUS_OK);
			return 1;
		}
		if (x->tid) {
			set_result(r, BILBY_STATUS_INVALID_STATE);
			return 1;
		}
		start_thread(t, r, x);
		set_result(r, BILBY_STATUS_OK);
		return 1;
	}
	case BILBY_HYPERCALL_THREAD_SUSPEND: {
		struct thread *x;

		if (!valid_slot(a0, OBJ_THREAD)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		x = &threads[caps[a0].thread];
		if (x == t) {
			/* Suspending oneself: stays stopped until resumed. */
			set_result(r, BILBY_STATUS_OK);
			t->suspended = 1;
			t->regs = *r;
			return 0;
		}
		if (!x->tid || x->suspended || x->blocked) {
			set_result(r, BILBY_STATUS_INVALID_STATE);
			return 1;
		}
		set_result(r, suspend_thread(x));
		return 1;
	}
	case BILBY_HYPERCALL_TIMER_SET:
		if (a0 != SLOT_CONTROL) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		if (!valid_slot(a1, OBJ_ENDPOINT)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		timer.armed = a2 != 0;
		timer.periodic = (a3 & BILBY_TIMER_PERIODIC) != 0;
		if (timer.armed && timer.periodic)
			timer_sets_periodic++;
		else if (timer.armed)
			timer_sets_oneshot++;
		timer.endpoint = (uint32_t)a1;
		timer.badge = a4;
		timer.period_ns = a2;
		timer.next_ns = now_ns() + a2;
		set_result(r, BILBY_STATUS_OK);
		r->rdi = now_ns() - start_ns;
		return 1;
	case BILBY_HYPERCALL_IPC_RECV: {
		struct thread *snd;

		if (!valid_slot(a0, OBJ_ENDPOINT)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		snd = sender_on((uint32_t)a0);
		if (snd) {
			uint64_t sw[4] = { snd->regs.rdx, snd->regs.r10, snd->regs.r8, snd->regs.r9 };

			deliver(t, r, 0, snd->regs.rsi, sw);
			snd->blocked = 0;
			set_result(&snd->regs, BILBY_STATUS_OK);
			set_regs(snd->tid, &snd->regs);
			resume(snd->tid);
			return 1;
		}
		if (caps[a0].tick_pending) {
			caps[a0].tick_pending = 0;
			deliver_tick(t, r);
			return 1;
		}
		t->blocked = 1;
		t->sending = 0;
		t->wait_endpoint = (uint32_t)a0;
		return 0;
	}
	case BILBY_HYPERCALL_IPC_SEND: {
		struct thread *rcv;

		if (!valid_slot(a0, OBJ_ENDPOINT)) {
			set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
			return 1;
		}
		rcv = receiver_on((uint32_t)a0);
		if (rcv) {
			deliver(rcv, &rcv->regs, 0, a1, w);
			set_regs(rcv->tid, &rcv->regs);
			resume(rcv->tid);
			set_result(r, BILBY_STATUS_OK);
			return 1;
		}
		t->blocked = 1;
		t->sending = 1;
		t->wait_endpoint = (uint32_t)a0;
		return 0;
	}
	default:
		set_result(r, BILBY_STATUS_NOT_SUPPORTED);
		fprintf(stderr, "hostbilby: hypercall %lu is not served here\n", (unsigned long)nr);
		return 1;
	}
	set_result(r, BILBY_STATUS_INVALID_CAPABILITY);
	return 1;
}

static void setup_boot_info(pid_t pid, uint64_t memory_bytes)
{
	static BilbyBootInfo bi;
	struct user_regs_struct r;
	long word, rc;

	/* Put a `syscall` at the entry point for the first injection. */
	get_regs(pid, &r);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, r.rip, 0);
	if (errno)
		die(EXIT_START, "PEEKTEXT: %s", strerror(errno));
	if (ptrace(PTRACE_POKETEXT, pid, r.rip, (word & ~0xffffL) | 0x050f))
		die(EXIT_START, "POKETEXT: %s", strerror(errno));
	rc = inject(pid, r.rip, SYS_mmap, BOOT_INFO_ADDR, 2 * BILBY_PAGE_SIZE,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		    (uint64_t)-1, 0, NULL);
	if (ptrace(PTRACE_POKETEXT, pid, r.rip, word))
		die(EXIT_START, "POKETEXT: %s", strerror(errno));
	if (rc != (long)BOOT_INFO_ADDR)
		die(EXIT_START, "mapping the boot-info page failed (%ld)", rc);

	bi.magic = BILBY_BOOT_INFO_MAGIC;
	bi.version = BILBY_ABI_VERSION;
	bi.size = sizeof(bi);
	bi.self_task = SLOT_TASK;
	bi.self_thread = SLOT_THREAD;
	bi.control_cap = SLOT_CONTROL;
	bi.first_free_slot = SLOT_FIRST_FREE;
	bi.memory_region_count = 1;
	bi.memory[0].base = 0x100000000UL;
	bi.memory[0].size = memory_bytes;
	bi.memory[0].kind = BILBY_MEMORY_KIND_FREE;
	bi.memory[0].cap = SLOT_MEMORY;
	bi.tsc_hz = measure_tsc_hz();
	bi.utcb = BOOT_INFO_ADDR + BILBY_PAGE_SIZE;
	if (write_mem(pid, BOOT_INFO_ADDR, &bi, sizeof(bi)))
		die(EXIT_START, "writing the boot-info page failed");
	pool_left = memory_bytes;
	r.rdi = BOOT_INFO_ADDR;
	set_regs(pid, &r);
}

int main(int argc, char **argv)
{
	double timeout = 60;
	uint64_t memory_mib = 256;
	const char *image = NULL;
	sigset_t chld;
	int status;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--memory") && i + 1 < argc)
			memory_mib = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !image)
			image = argv[i];
		else
			die(EXIT_USAGE, "usage: hostbilby [--timeout SECONDS] [--memory MIB] IMAGE");
	}
	if (!image || timeout <= 0 || memory_mib == 0)
		die(EXIT_USAGE, "usage: hostbilby [--timeout SECONDS] [--memory MIB] IMAGE");

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	task_pid = fork();
	if (task_pid < 0)
		die(EXIT_START, "fork: %s", strerror(errno));
	if (task_pid == 0) {
		char *const args[] = { (char *)image, NULL };
		char *const env[] = { NULL };

		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execve(image, args, env);
		fprintf(stderr, "hostbilby: cannot run %s: %s\n", image, strerror(errno));
		_exit(EXIT_START);
	}
	if (waitpid(task_pid, &status, 0) < 0 || !WIFSTOPPED(status))
		die(EXIT_START, "%s did not start", image);
	ptrace(PTRACE_SETOPTIONS, task_pid, 0,
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);
	start_ns = now_ns();
	threads[0].tid = task_pid;
	threads[0].slot = SLOT_THREAD;
	nthreads = 1;
	caps[SLOT_THREAD].kind = OBJ_THREAD;
	caps[SLOT_THREAD].thread = 0;
	setup_boot_info(task_pid, memory_mib << 20);
	resume(task_pid);

	uint64_t deadline = now_ns() + (uint64_t)(timeout * 1e9);

	for (;;) {
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid < 0)
			die(EXIT_CRASH, "waitpid: %s", strerror(errno));
		if (tid == 0) {
			uint64_t now = now_ns(), until = deadline;
			struct timespec ts;

			if (now >= deadline)
				die(EXIT_TIMEOUT, "timed out after %.0f s", timeout);
			if (timer.armed && timer.next_ns <= now) {
				fire_timer();
				continue;
			}
			if (timer.armed && timer.next_ns < until)
				until = timer.next_ns;
			ts.tv_sec = (until - now) / 1000000000u;
			ts.tv_nsec = (until - now) % 1000000000u;
			sigtimedwait(&chld, NULL, &ts);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == task_pid)
				die(EXIT_CRASH, "the task ended without DebugShutdown (status %#x)", status);
			continue;
		}
		struct thread *t = thread_of(tid);

		if (!t) {
			/* A clone child reporting before start_thread waited for it. */
			continue;
		}
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct user_regs_struct r;

			get_regs(tid, &r);
			if (hypercall(t, &r)) {
				set_regs(tid, &r);
				resume(tid);
			} else {
				t->regs = r;
			}
			continue;
		}
		if (status >> 16) {
			/* A ptrace event stop (clone seen by the tracer): go on. */
			resume(tid);
			continue;
		}
		if (WSTOPSIG(status) == SIGSTOP && t->ignore_sigstop) {
			/* The stop of a suspension that a hypercall stop overtook. */
			t->ignore_sigstop = 0;
			resume(tid);
			continue;
		}
		{
			struct user_regs_struct r;

			get_regs(tid, &r);
			die(EXIT_CRASH,
			    "thread %d stopped by signal %d (%s) at rip %#llx rsp %#llx",
			    tid, WSTOPSIG(status), strsignal(WSTOPSIG(status)), r.rip, r.rsp);
		}
	}
}
