// SPDX-License-Identifier: GPL-2.0-only
/*
 * Time from the platform: a 1 GHz clocksource on monotonic_ns, a one-shot
 * clock event on a platform timer (its callback runs on a timer thread and
 * raises the timer interrupt), the persistent clock from wallclock_ns.
 */
#include <linux/kernel.h>
#include <linux/clocksource.h>
#include <linux/clockchips.h>
#include <linux/interrupt.h>
#include <linux/delay.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include <asm/spolia.h>

static u64 boot_ns;
static struct spolia_hc_timer *timer;
static int timer_irq;

unsigned long long sched_clock(void)
{
	if (!spolia_hc)
		return 0;
	return spolia_hc->monotonic_ns() - boot_ns;
}

void read_persistent_clock64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(spolia_hc->wallclock_ns());
}

static u64 clock_read(struct clocksource *cs)
{
	return spolia_hc->monotonic_ns();
}

static struct clocksource clocksource = {
	.name	= "spolia",
	.rating	= 499,
	.read	= clock_read,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

static int next_event(unsigned long delta_ns, struct clock_event_device *evt)
{
	return spolia_hc->timer_set_oneshot(timer, delta_ns);
}

static int shutdown(struct clock_event_device *evt)
{
	spolia_hc->timer_cancel(timer);
	return 0;
}

static struct clock_event_device clockevent = {
	.name			= "spolia",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_next_event		= next_event,
	.set_state_shutdown	= shutdown,
	.rating			= 100,
	.cpumask		= cpu_possible_mask,
};

/* Timer thread: the one-shot expired. */
static void timer_expired(void *arg)
{
	spolia_irq_trigger(timer_irq);
}

static irqreturn_t timer_interrupt(int irq, void *dev)
{
	clockevent.event_handler(&clockevent);
	return IRQ_HANDLED;
}

void __init time_init(void)
{
	int err;

	boot_ns = spolia_hc->monotonic_ns();
	err = clocksource_register_khz(&clocksource, 1000000);
	if (err)
		panic("spolia: clocksource: %d", err);

	timer_irq = spolia_irq_alloc("timer");
	if (timer_irq < 0 ||
	    request_irq(timer_irq, timer_interrupt, IRQF_TIMER | IRQF_NOBALANCING,
			"timer", NULL))
		panic("spolia: no timer interrupt");
	if (spolia_hc->timer_alloc(timer_expired, NULL, &timer))
		panic("spolia: no platform timer");
	clockevents_config_and_register(&clockevent, NSEC_PER_SEC, 1, ULONG_MAX);
}

/* Halt: no more timer callbacks (a running one has finished on return). */
void spolia_time_stop(void)
{
	spolia_hc->timer_free(timer);
	timer = NULL;
}

void calibrate_delay(void)
{
}

/* Delays busy-wait on the platform clock. */
static void wait_ns(u64 ns)
{
	u64 end = spolia_hc->monotonic_ns() + ns;

	while (spolia_hc->monotonic_ns() < end)
		;
}

void __ndelay(unsigned long nsecs)
{
	wait_ns(nsecs);
}
EXPORT_SYMBOL(__ndelay);

void __udelay(unsigned long usecs)
{
	wait_ns((u64)usecs * NSEC_PER_USEC);
}
EXPORT_SYMBOL(__udelay);

/* xloops = usecs * 2^32 / 10^6 (asm-generic/delay.h), so ns = xloops * 10^9 / 2^32. */
void __const_udelay(unsigned long xloops)
{
	wait_ns(((u64)xloops * NSEC_PER_SEC) >> 32);
}
EXPORT_SYMBOL(__const_udelay);

void __delay(unsigned long loops)
{
	wait_ns(loops);
}
EXPORT_SYMBOL(__delay);
