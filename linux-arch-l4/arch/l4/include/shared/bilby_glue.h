/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between Linux and Bilby. Linux-side code (arch/l4/kernel, mm,
 * drivers) calls only these functions; only arch/l4/bilby/ implements them,
 * and only it includes <bilby/abi.h> and <bilby/hypercalls.h>. Both sides
 * include this header, so it uses plain C types and no Linux or Bilby
 * header. Results are Bilby status codes (0 = success); bilby_status_name()
 * turns one into text.
 */
#ifndef _L4_SHARED_BILBY_GLUE_H
#define _L4_SHARED_BILBY_GLUE_H

/* Interrupt numbers (bits of bilby_irq_pending). */
#define BILBY_IRQ_TIMER		0

/* Exit codes given to Bilby's DebugShutdown (QEMU's isa-debug-exit). */
#define BILBY_EXIT_POWER_OFF	0x00
#define BILBY_EXIT_PANIC	0x21
#define BILBY_EXIT_RESTART	0x22
#define BILBY_EXIT_NO_USER_MODE	0x23

#ifndef __ASSEMBLY__

/* Set by the interrupt thread, one bit per pending interrupt. */
extern volatile unsigned long bilby_irq_pending;

/* Checks the boot-info page; nonzero if it is not a Bilby BootInfo of a
 * compatible ABI (then nothing else here may be called). */
unsigned long bilby_glue_init(void *boot_info);

/* The kernel console (DebugWrite). */
void bilby_console_write(const char *s, unsigned long len);

/* TSC frequency from BootInfo, 0 if Bilby does not know it. */
unsigned long bilby_tsc_hz(void);

/* Maps up to max_bytes of fresh memory at vaddr (page aligned) from the
 * largest free memory region; *granted is set to what was mapped. */
unsigned long bilby_memory_grant(unsigned long vaddr, unsigned long max_bytes,
				 unsigned long *granted);

/*
 * Creates the interrupt endpoint, the wake-up endpoint and the interrupt
 * thread, and starts it. When an interrupt arrives while the Linux thread
 * runs with *irqs_enabled == enabled_value, the interrupt thread suspends
 * it, pushes its rip on its stack, points it at divert_to (which must save
 * every register, call the interrupt code and return), and resumes it.
 */
unsigned long bilby_irq_start(volatile unsigned long *irqs_enabled, unsigned long enabled_value,
			      void (*divert_to)(void));

/* How many times the interrupt thread diverted the busy Linux thread. */
unsigned long bilby_irq_diverts(void);

/* The timer: periodic ticks, one tick after delta_ns, or none. */
unsigned long bilby_timer_periodic(unsigned long period_ns);
unsigned long bilby_timer_oneshot(unsigned long delta_ns);
unsigned long bilby_timer_stop(void);

/* Atomically takes and clears the pending interrupt bits. */
unsigned long bilby_irq_take_pending(void);

/* Blocks in IPC until an interrupt is pending (the idle loop). Returns 1
 * if a wake-up message ended the wait, 0 if an interrupt was already
 * pending and no message was received. */
unsigned long bilby_wait_for_interrupt(void);

/* Stops the machine with an exit code; never returns. */
void bilby_shutdown(unsigned long code) __attribute__((noreturn));

/* Bilby ABI version the kernel reports (major << 16 | minor), or 0. */
unsigned long bilby_kernel_abi_version(void);

/* The ABI version this image was built against (major << 16 | minor). */
unsigned long bilby_glue_abi_version(void);

/* A name for a Bilby status code. */
const char *bilby_status_name(unsigned long status);

#endif /* __ASSEMBLY__ */

#endif /* _L4_SHARED_BILBY_GLUE_H */
