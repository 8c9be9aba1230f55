// SPDX-License-Identifier: GPL-2.0
/*
 * Linux on Bilby: everything that talks to the Bilby kernel.
 *
 * Linux runs as Bilby's root task. Its main thread is the Linux CPU. A
 * second Bilby thread in the same task, the interrupt thread, waits on the
 * interrupt endpoint for timer (and later device) messages and records each
 * as a pending bit. If the main thread sleeps in the idle loop, it wakes it
 * with a message on the wake-up endpoint; if it is busy with its virtual
 * interrupt flag on, it diverts it into Linux's interrupt entry. Linux also
 * takes the pending bits whenever it turns its virtual flag back on.
 *
 * This file must not include any Linux header, and nothing outside
 * arch/l4/bilby/ may include a Bilby header: the two meet in bilby_glue.h.
 */
#include <stdint.h>
#include <bilby/hypercalls.h>
#include <bilby_glue.h>

#define GLUE_STACK_SIZE 16384

volatile unsigned long bilby_irq_pending;

static const BilbyBootInfo *boot;
static uint32_t control_cap;
static uint32_t memory_cap;
static uint64_t memory_size;	/* of memory_cap's region */
static uint32_t next_slot;
static uint32_t irq_endpoint;
static uint32_t wake_endpoint;
static uint32_t irq_thread;
static uint32_t main_thread;
static volatile unsigned long *linux_irqs_enabled;
static unsigned long linux_irqs_enabled_value;
static uint64_t divert_entry;
static unsigned long diverts;
/* 1 while the main thread is, or is about to be, blocked in the idle wait. */
static unsigned long idle_waiting;

static uint8_t irq_thread_stack[GLUE_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t irq_thread_utcb[BILBY_UTCB_SIZE] __attribute__((aligned(BILBY_PAGE_SIZE)));

unsigned long bilby_glue_init(void *boot_info)
{
	const BilbyBootInfo *bi = boot_info;

	if (!bi || bi->magic != BILBY_BOOT_INFO_MAGIC)
		return BILBY_STATUS_INVALID_ARGUMENT;
	if (bilby_abi_version_major(bi->version) != BILBY_ABI_MAJOR)
		return BILBY_STATUS_INCOMPATIBLE_ABI;
	boot = bi;
	control_cap = bi->control_cap;
	next_slot = bi->first_free_slot;
	/* Linux's memory and kernel objects come from the largest free pool. */
	for (uint32_t i = 0; i < bi->memory_region_count && i < BILBY_BOOT_MAX_MEMORY_REGIONS; i++) {
		const BilbyMemoryRegion *m = &bi->memory[i];

		if (m->kind == BILBY_MEMORY_KIND_FREE && m->cap != BILBY_CAP_NULL &&
		    m->size > memory_size) {
			memory_cap = m->cap;
			memory_size = m->size;
		}
	}
	return BILBY_STATUS_OK;
}

void bilby_console_write(const char *s, unsigned long len)
{
	if (boot)
		bilby_debug_write(control_cap, s, len);
}

unsigned long bilby_tsc_hz(void)
{
	return boot ? boot->tsc_hz : 0;
}

unsigned long bilby_kernel_abi_version(void)
{
	uint32_t major = 0, minor = 0;

	if (bilby_abi_version(&major, &minor) != BILBY_STATUS_OK)
		return 0;
	return bilby_abi_version_word(major, minor);
}

unsigned long bilby_memory_grant(unsigned long vaddr, unsigned long max_bytes,
				 unsigned long *granted)
{
	*granted = 0;
	if (memory_cap == BILBY_CAP_NULL)
		return BILBY_STATUS_INVALID_CAPABILITY;
	uint64_t pages = (memory_size < max_bytes ? memory_size : max_bytes) / BILBY_PAGE_SIZE;
	if (pages == 0)
		return BILBY_STATUS_OUT_OF_MEMORY;
	/* The pool also paid for this task's image and stack: if it cannot
	 * give all of the region, take a smaller share, down to 8 MiB. */
	uint64_t st;

	for (;;) {
		st = bilby_memory_map(memory_cap, boot->self_task, vaddr, pages, BILBY_RIGHTS_ALL, 0);
		if (st != BILBY_STATUS_OUT_OF_MEMORY || pages / 2 < (8u << 20) / BILBY_PAGE_SIZE)
			break;
		pages /= 2;
	}
	if (st == BILBY_STATUS_OK)
		*granted = pages * BILBY_PAGE_SIZE;
	return st;
}

/* Wakes the Linux thread if it is in (or entering) the idle wait. */
static int wake_main_thread(void)
{
	if (__atomic_exchange_n(&idle_waiting, 0, __ATOMIC_SEQ_CST)) {
		BilbyMessage m = { .tag = bilby_tag(1, 0) };

		bilby_ipc_send(wake_endpoint, &m);
		return 1;
	}
	return 0;
}

/*
 * Delivers pending interrupts to a Linux thread that is busy: stop it, and
 * if its virtual interrupt flag is on, make it call the divert entry as if
 * the interrupted instruction had called it. Linux is built without a red
 * zone, so nothing below its stack pointer is live.
 */
static void divert_main_thread(void)
{
	BilbyUserRegisters r;

	if (bilby_thread_suspend(main_thread) != BILBY_STATUS_OK)
		return;
	if (bilby_thread_exchange_registers(main_thread, &r, BILBY_EXREGS_READ) ==
		    BILBY_STATUS_OK &&
	    *linux_irqs_enabled == linux_irqs_enabled_value && r.rip != divert_entry) {
		r.rsp -= 8;
		*(volatile uint64_t *)(uintptr_t)r.rsp = r.rip;
		r.rip = divert_entry;
		if (bilby_thread_exchange_registers(main_thread, &r, BILBY_EXREGS_WRITE) ==
		    BILBY_STATUS_OK)
			diverts++;
	}
	bilby_thread_resume(main_thread);
}

unsigned long bilby_irq_diverts(void)
{
	return diverts;
}

/* The interrupt thread: turns messages on the interrupt endpoint into
 * pending bits (the badge of the sending capability is the bit mask), and
 * gets them to the Linux thread: by IPC if it is idle, by diversion if not. */
static __attribute__((noreturn, used)) void irq_thread_main(void)
{
	for (;;) {
		BilbyMessage m = { 0 };

		if (bilby_ipc_recv(irq_endpoint, &m) != BILBY_STATUS_OK) {
			/* Spinning here would starve Linux: report and stop. */
			static const char msg[] = "l4: interrupt endpoint broken; interrupt thread stops\n";

			bilby_debug_write(control_cap, msg, sizeof(msg) - 1);
			bilby_thread_suspend(irq_thread);
			continue;
		}
		switch (bilby_tag_label(m.tag)) {
		case BILBY_EXCEPTION_KIND_TIMER:
		case BILBY_EXCEPTION_KIND_INTERRUPT:
			__atomic_fetch_or(&bilby_irq_pending, m.badge, __ATOMIC_SEQ_CST);
			if (!wake_main_thread() && divert_entry)
				divert_main_thread();
			break;
		default:
			break;
		}
	}
}

static uint32_t take_slot(void)
{
	return next_slot++;
}

unsigned long bilby_irq_start(volatile unsigned long *irqs_enabled, unsigned long enabled_value,
			      void (*divert_to)(void))
{
	uint64_t st;
	BilbyUserRegisters regs = { 0 };

	if (memory_cap == BILBY_CAP_NULL)
		return BILBY_STATUS_INVALID_CAPABILITY;
	main_thread = boot->self_thread;
	linux_irqs_enabled = irqs_enabled;
	linux_irqs_enabled_value = enabled_value;
	divert_entry = (uint64_t)(uintptr_t)divert_to;
	irq_endpoint = take_slot();
	st = bilby_endpoint_create(memory_cap, irq_endpoint);
	if (st)
		return st;
	wake_endpoint = take_slot();
	st = bilby_endpoint_create(memory_cap, wake_endpoint);
	if (st)
		return st;
	irq_thread = take_slot();
	st = bilby_thread_create(memory_cap, boot->self_task, irq_thread,
				 (uint64_t)(uintptr_t)irq_thread_utcb);
	if (st)
		return st;
	/* Entered as if called: rsp + 8 is 16-byte aligned. */
	regs.rip = (uint64_t)(uintptr_t)irq_thread_main;
	regs.rsp = (uint64_t)(uintptr_t)(irq_thread_stack + GLUE_STACK_SIZE - 8);
	regs.rflags = 0x202;
	st = bilby_thread_exchange_registers(irq_thread, &regs, BILBY_EXREGS_WRITE);
	if (st)
		return st;
	st = bilby_thread_configure(irq_thread, BILBY_THREAD_CONFIG_ITEM_PRIORITY,
				    CONFIG_L4_TIMER_PRIORITY, 0);
	if (st)
		return st;
	return bilby_thread_resume(irq_thread);
}

unsigned long bilby_timer_periodic(unsigned long period_ns)
{
	return bilby_timer_set(control_cap, irq_endpoint, period_ns, BILBY_TIMER_PERIODIC,
			       1UL << BILBY_IRQ_TIMER, 0);
}

unsigned long bilby_timer_oneshot(unsigned long delta_ns)
{
	return bilby_timer_set(control_cap, irq_endpoint, delta_ns ? delta_ns : 1, 0,
			       1UL << BILBY_IRQ_TIMER, 0);
}

unsigned long bilby_timer_stop(void)
{
	return bilby_timer_set(control_cap, irq_endpoint, 0, 0, 1UL << BILBY_IRQ_TIMER, 0);
}

unsigned long bilby_irq_take_pending(void)
{
	return __atomic_exchange_n(&bilby_irq_pending, 0, __ATOMIC_SEQ_CST);
}

unsigned long bilby_wait_for_interrupt(void)
{
	BilbyMessage m = { 0 };

	__atomic_store_n(&idle_waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&bilby_irq_pending, __ATOMIC_SEQ_CST)) {
		/* Whoever clears idle_waiting owns the wake-up: if it was the
		 * interrupt thread, its message is on the way and must be taken. */
		if (__atomic_exchange_n(&idle_waiting, 0, __ATOMIC_SEQ_CST))
			return 0;
	}
	return bilby_ipc_recv(wake_endpoint, &m) == BILBY_STATUS_OK;
}

void bilby_shutdown(unsigned long code)
{
	if (boot)
		bilby_debug_shutdown(control_cap, code);
	/* Refused or no control capability: give the CPU away for good. */
	for (;;)
		bilby_yield();
}

unsigned long bilby_glue_abi_version(void)
{
	return BILBY_ABI_VERSION;
}

const char *bilby_status_name(unsigned long status)
{
	static const char *const names[] = {
		[BILBY_STATUS_OK] = "ok",
		[BILBY_STATUS_INVALID_HYPERCALL] = "invalid hypercall",
		[BILBY_STATUS_INVALID_CAPABILITY] = "invalid capability",
		[BILBY_STATUS_WRONG_CAPABILITY_KIND] = "wrong capability kind",
		[BILBY_STATUS_INSUFFICIENT_RIGHTS] = "insufficient rights",
		[BILBY_STATUS_INVALID_ARGUMENT] = "invalid argument",
		[BILBY_STATUS_INVALID_ADDRESS] = "invalid address",
		[BILBY_STATUS_UNALIGNED] = "unaligned",
		[BILBY_STATUS_OUT_OF_MEMORY] = "out of memory",
		[BILBY_STATUS_OCCUPIED] = "occupied",
		[BILBY_STATUS_INVALID_STATE] = "invalid state",
		[BILBY_STATUS_NO_REPLY_PENDING] = "no reply pending",
		[BILBY_STATUS_PEER_GONE] = "peer gone",
		[BILBY_STATUS_NOT_SUPPORTED] = "not supported",
		[BILBY_STATUS_INCOMPATIBLE_ABI] = "incompatible ABI",
	};

	if (status < sizeof(names) / sizeof(names[0]) && names[status])
		return names[status];
	return "unknown status";
}
