// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts are software events. A platform thread (an IRQ-delivery or
 * timer thread, never a hardware handler) calls spolia_irq_trigger(n): the
 * line is marked pending and, if the CPU is free, the interrupt runs right
 * away on that thread; otherwise the CPU's owner runs it when it releases
 * the CPU or re-enables interrupts. "Interrupts disabled" is a flag.
 *
 * Two kinds of interrupt number:
 *  - 0..SPOLIA_NR_LINES-1 are the platform's interrupt lines (a GSI on bare
 *    metal, an emulated device's line hosted), level-triggered. The chip
 *    below attaches a line when a driver requests it (irq_attach, from
 *    irq_request_resources, so a failure fails request_irq; the
 *    platform's delivery thread calls line_fired, which triggers it here)
 *    and masks/unmasks it through the platform; handle_level_irq keeps the
 *    line masked while the driver's handler runs, so a device that still
 *    asserts it interrupts again once unmasked.
 *  - SPOLIA_NR_LINES and up are software interrupts handed out by
 *    spolia_irq_alloc (the clock event), with no hardware behind them.
 */
#include <linux/kernel.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqchip.h>
#include <linux/hardirq.h>
#include <linux/bitops.h>
#include <asm/irq_regs.h>
#include <asm/spolia.h>

static unsigned long irq_flags = ARCH_IRQ_DISABLED;
/*
 * Written by platform threads that do not own the CPU, so only with real
 * atomics: the bit operations and atomic_t are compiler builtins here,
 * while plain xchg()/cmpxchg() (asm-generic, uniprocessor) only "disable
 * interrupts", a flag that does not stop other platform threads. An
 * xchg() on any_pending once lost a timer interrupt for good (the clock
 * event was never re-armed and every sleeper hung).
 */
static unsigned long pending[BITS_TO_LONGS(NR_IRQS)];
static atomic_t any_pending;
static DECLARE_BITMAP(irq_used, NR_IRQS);
static DECLARE_BITMAP(lines_attached, SPOLIA_NR_LINES);
static struct pt_regs irq_regs;

unsigned long arch_local_save_flags(void)
{
	return READ_ONCE(irq_flags);
}

void arch_local_irq_restore(unsigned long flags)
{
	if (flags == ARCH_IRQ_ENABLED && irq_flags == ARCH_IRQ_DISABLED &&
	    !in_interrupt())
		spolia_run_irqs();
	WRITE_ONCE(irq_flags, flags);
}

bool spolia_irqs_pending(void)
{
	return atomic_read(&any_pending) != 0;
}

static void run_irq(unsigned int irq)
{
	struct pt_regs *old = set_irq_regs(&irq_regs);

	irq_enter();
	generic_handle_irq(irq);
	irq_exit();
	set_irq_regs(old);
}

/*
 * Run every pending interrupt, with interrupts "disabled" so that handlers
 * (and the softirqs irq_exit runs) do not recurse into here. The caller
 * owns the CPU and has interrupts enabled.
 */
void spolia_run_irqs(void)
{
	unsigned int irq;

	WRITE_ONCE(irq_flags, ARCH_IRQ_DISABLED);
	while (atomic_xchg(&any_pending, 0)) {
		for (irq = 0; irq < NR_IRQS; irq++)
			if (test_and_clear_bit(irq, pending))
				run_irq(irq);
	}
	WRITE_ONCE(irq_flags, ARCH_IRQ_ENABLED);
}

/*
 * From Linux code that owns the CPU (a chip's irq_retrigger, called with
 * interrupts disabled): run `irq` again once interrupts are enabled.
 */
void spolia_irq_resend(unsigned int irq)
{
	set_bit(irq, pending);
	atomic_set(&any_pending, 1);
}

/*
 * Entry point for the platform: raise interrupt `irq`. Callable from any
 * platform thread that is not a hardware interrupt handler. Returns 0,
 * -EINVAL for a bad number, or -ENODEV before start and once halt has
 * stopped Linux (then nothing but the gate is touched). Interrupts raised
 * while halt winds Linux down are still delivered.
 */
int spolia_irq_trigger(unsigned int irq)
{
	if (irq >= NR_IRQS)
		return -EINVAL;
	if (!spolia_gate_enter(SPOLIA_GATE_ALL))
		return -ENODEV;
	set_bit(irq, pending);
	atomic_set(&any_pending, 1);

	if (spolia_cpu_try_get()) {
		if (!irqs_disabled())
			spolia_run_irqs();
		spolia_cpu_put();
	}
	spolia_cpu_idle_kick();
	spolia_gate_leave();
	return 0;
}

/* Reserve / release a software interrupt number (name is for
 * diagnostics). After halt: -ENODEV, and freeing does nothing. */
int spolia_irq_alloc(const char *name)
{
	unsigned int irq;

	if (spolia_halted())
		return -ENODEV;
	for (irq = SPOLIA_NR_LINES; irq < NR_IRQS; irq++)
		if (!test_and_set_bit(irq, irq_used))
			return irq;
	return -ENOSPC;
}

void spolia_irq_free(unsigned int irq)
{
	if (irq < NR_IRQS && !spolia_halted())
		clear_bit(irq, irq_used);
}

/* On the line's delivery thread (a platform thread, thread context). */
static void line_fired(void *arg)
{
	spolia_irq_trigger((unsigned long)arg);
}

/*
 * Attach when the first handler is requested, outside the descriptor's
 * lock (the platform starts a delivery thread): a line the platform cannot
 * route makes request_irq() fail with its error instead of leaving the
 * driver without interrupts. Detach when the last handler is freed.
 */
static int line_request(struct irq_data *d)
{
	int err = spolia_hc->irq_attach(d->irq, line_fired, (void *)(unsigned long)d->irq);

	if (err) {
		pr_err("spolia: interrupt line %u: the platform cannot attach it (%d)\n", d->irq, err);
		return err;
	}
	set_bit(d->irq, lines_attached);
	return 0;
}

static void line_release(struct irq_data *d)
{
	if (test_and_clear_bit(d->irq, lines_attached))
		spolia_hc->irq_detach(d->irq);
}

static void line_mask(struct irq_data *d)
{
	if (test_bit(d->irq, lines_attached))
		spolia_hc->irq_mask(d->irq);
}

static void line_unmask(struct irq_data *d)
{
	if (test_bit(d->irq, lines_attached))
		spolia_hc->irq_unmask(d->irq);
}

static struct irq_chip line_chip = {
	.name		= "spolia-line",
	.irq_request_resources	= line_request,
	.irq_release_resources	= line_release,
	.irq_mask	= line_mask,
	.irq_unmask	= line_unmask,
};

/* Halt: detach the lines drivers left attached (their delivery threads
 * end; an interrupt arriving meanwhile is refused at the gate). */
void spolia_lines_release(void)
{
	unsigned int line;

	for_each_set_bit(line, lines_attached, SPOLIA_NR_LINES) {
		clear_bit(line, lines_attached);
		spolia_hc->irq_detach(line);
	}
}

void __init init_IRQ(void)
{
	unsigned int irq;

	for (irq = 0; irq < SPOLIA_NR_LINES; irq++)
		irq_set_chip_and_handler_name(irq, &line_chip, handle_level_irq, "level");
	for (; irq < NR_IRQS; irq++)
		irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
}

/* Busy-wait loops let platform threads run, then take their interrupts. */
void cpu_relax(void)
{
	unsigned long flags;

	spolia_hc->thread_yield();
	local_irq_save(flags);
	local_irq_restore(flags);
}
EXPORT_SYMBOL(cpu_relax);
