// SPDX-License-Identifier: GPL-2.0
/*
 * Time: the TSC as clocksource, Bilby's TimerSet as clock-event device. A
 * tick is an IPC to the interrupt thread that becomes BILBY_IRQ_TIMER.
 */
#include <linux/clockchips.h>
#include <linux/clocksource.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/sched/clock.h>
#include <linux/time.h>
#include <asm/setup.h>
#include <asm/timex.h>
#include <shared/bilby_glue.h>

unsigned long l4_tsc_hz;
static cycles_t l4_tsc_at_boot;

/* Called first thing in l4_start_kernel, so printk times start at 0. */
void __init l4_time_early_init(void)
{
	l4_tsc_hz = bilby_tsc_hz();
	l4_tsc_at_boot = get_cycles();
}

unsigned long long notrace sched_clock(void)
{
	if (!l4_tsc_hz)
		return (unsigned long long)(jiffies - INITIAL_JIFFIES) * (NSEC_PER_SEC / HZ);
	return mul_u64_u64_div_u64(get_cycles() - l4_tsc_at_boot, NSEC_PER_SEC, l4_tsc_hz);
}

static u64 l4_tsc_read(struct clocksource *cs)
{
	return get_cycles();
}

static struct clocksource l4_tsc = {
	.name	= "bilby-tsc",
	.rating	= 300,
	.read	= l4_tsc_read,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

static int l4_status_to_errno(unsigned long status)
{
	if (status) {
		pr_err("l4: Bilby timer: %s\n", bilby_status_name(status));
		return -EIO;
	}
	return 0;
}

static int l4_timer_periodic(struct clock_event_device *evt)
{
	return l4_status_to_errno(bilby_timer_periodic(NSEC_PER_SEC / HZ));
}

static int l4_timer_shutdown(struct clock_event_device *evt)
{
	return l4_status_to_errno(bilby_timer_stop());
}

static int l4_timer_next_event(unsigned long delta_ns, struct clock_event_device *evt)
{
	return l4_status_to_errno(bilby_timer_oneshot(delta_ns));
}

static struct clock_event_device l4_timer = {
	.name			= "bilby-timer",
	.features		= CLOCK_EVT_FEAT_PERIODIC | CLOCK_EVT_FEAT_ONESHOT,
	.rating			= 300,
	.set_state_periodic	= l4_timer_periodic,
	.set_state_oneshot	= l4_timer_shutdown,
	.set_state_shutdown	= l4_timer_shutdown,
	.set_next_event		= l4_timer_next_event,
	.irq			= BILBY_IRQ_TIMER,
};

static irqreturn_t l4_timer_interrupt(int irq, void *dev_id)
{
	l4_timer.event_handler(&l4_timer);
	return IRQ_HANDLED;
}

void __init time_init(void)
{
	unsigned long err;

	if (l4_tsc_hz) {
		clocksource_register_hz(&l4_tsc, l4_tsc_hz);
		lpj_fine = l4_tsc_hz / HZ;
	} else {
		pr_warn("l4: Bilby reports no TSC rate; time comes from jiffies only\n");
	}

	err = bilby_irq_start(&l4_irq_enabled, ARCH_IRQ_ENABLED, l4_irq_trampoline);
	if (err)
		panic("l4: cannot start the Bilby interrupt thread: %s\n", bilby_status_name(err));
	if (request_irq(BILBY_IRQ_TIMER, l4_timer_interrupt, IRQF_TIMER, "bilby-timer", NULL))
		panic("l4: cannot claim the timer interrupt\n");
	l4_timer.cpumask = cpumask_of(0);
	clockevents_config_and_register(&l4_timer, NSEC_PER_SEC, 1000, LONG_MAX);
	pr_info("l4: timer: Bilby TimerSet ticks by IPC to the interrupt thread, TSC %lu kHz\n",
		l4_tsc_hz / 1000);
}

/*
 * Evidence that the whole interrupt path works before init runs: sleeping
 * needs timer messages to reach the interrupt thread, the idle loop to be
 * woken by IPC, and the tick to be replayed into Linux.
 */
static int __init l4_timer_selftest(void)
{
	unsigned long j0 = jiffies, w0 = l4_idle_wakeups;
	u64 t0 = sched_clock();
	unsigned int asked = 0;

	/*
	 * Under a slow emulator Linux may be busy at every tick of one short
	 * sleep; sleep on (up to 1 s) until one wake-up came by IPC.
	 */
	do {
		msleep(50);
		asked += 50;
	} while (l4_idle_wakeups == w0 && asked < 1000);
	pr_info("l4: timer: slept %llu ms (asked %u): %lu ticks, %lu idle wake-ups by IPC\n",
		div_u64(sched_clock() - t0, NSEC_PER_MSEC), asked, jiffies - j0,
		l4_idle_wakeups - w0);

	/*
	 * A loop with interrupts on but no point where Linux looks for them
	 * (no cpu_relax, no irq enable): only a diverted thread leaves it.
	 */
	j0 = jiffies;
	t0 = sched_clock();
	while (READ_ONCE(jiffies) == j0 && sched_clock() - t0 < 500 * NSEC_PER_MSEC)
		barrier();
	pr_info("l4: timer: busy loop %s by a tick after %llu ms (%lu diversions)\n",
		READ_ONCE(jiffies) != j0 ? "interrupted" : "NOT interrupted",
		div_u64(sched_clock() - t0, NSEC_PER_MSEC), bilby_irq_diverts());
	return 0;
}
late_initcall(l4_timer_selftest);
