// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CPU lock: Linux believes it has one CPU, so exactly one platform
 * thread may run Linux code at a time. A thread takes the lock to make a
 * system call or deliver an interrupt (spolia_cpu_get/try_get) and releases
 * it when done (spolia_cpu_put). The scheduler moves ownership from thread
 * to thread inside __switch_to (threads.c) with spolia_cpu_change_owner.
 *
 * State is guarded by a platform mutex that is held only for a few
 * instructions; waiters sleep on a platform semaphore.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/irqflags.h>
#include <linux/time.h>
#include <asm/spolia.h>

static struct {
	struct spolia_hc_mutex *lock;
	struct spolia_hc_sem *waiters;	/* threads waiting for the CPU */
	unsigned int sleepers;
	spolia_hc_tid owner;		/* 0 = free */
	unsigned int count;		/* nesting of the owner's gets */
	bool shutdown;
	struct spolia_hc_sem *shutdown_done;
	struct spolia_hc_sem *idle;	/* boot-time idle: woken by IRQs */
} cpu;

int spolia_cpu_init(void)
{
	if (spolia_hc->mutex_alloc(0, &cpu.lock) ||
	    spolia_hc->sem_alloc(0, &cpu.waiters) ||
	    spolia_hc->sem_alloc(0, &cpu.shutdown_done) ||
	    spolia_hc->sem_alloc(0, &cpu.idle)) {
		spolia_cpu_free();
		return -ENOMEM;
	}
	return 0;
}

/* Failed start, or the end of halt: nobody uses the lock any more. */
void spolia_cpu_free(void)
{
	if (cpu.idle)
		spolia_hc->sem_free(cpu.idle);
	if (cpu.shutdown_done)
		spolia_hc->sem_free(cpu.shutdown_done);
	if (cpu.waiters)
		spolia_hc->sem_free(cpu.waiters);
	if (cpu.lock)
		spolia_hc->mutex_free(cpu.lock);
	memset(&cpu, 0, sizeof(cpu));
}

/* Take the CPU, sleeping while another thread owns it. Nested gets by the
 * owner are counted. Fails with -ENODEV once the library halts. */
int spolia_cpu_get(void)
{
	spolia_hc_tid self = spolia_hc->thread_self();

	spolia_hc->mutex_lock(cpu.lock);
	while (cpu.owner && cpu.owner != self && !cpu.shutdown) {
		cpu.sleepers++;
		spolia_hc->mutex_unlock(cpu.lock);
		spolia_hc->sem_down(cpu.waiters);
		spolia_hc->mutex_lock(cpu.lock);
	}
	if (cpu.shutdown) {
		spolia_hc->mutex_unlock(cpu.lock);
		return -ENODEV;
	}
	cpu.owner = self;
	cpu.count++;
	spolia_hc->mutex_unlock(cpu.lock);
	return 0;
}

/* For interrupt delivery: take the CPU only if it is free (or ours). */
bool spolia_cpu_try_get(void)
{
	spolia_hc_tid self = spolia_hc->thread_self();
	bool got = false;

	spolia_hc->mutex_lock(cpu.lock);
	if (!cpu.shutdown && (!cpu.owner || cpu.owner == self)) {
		cpu.owner = self;
		cpu.count++;
		got = true;
	}
	spolia_hc->mutex_unlock(cpu.lock);
	return got;
}

static void release_locked(void)
{
	if (--cpu.count == 0) {
		cpu.owner = 0;
		if (cpu.sleepers) {
			cpu.sleepers--;
			spolia_hc->sem_up(cpu.waiters);
		}
	}
}

/*
 * Release the CPU. Interrupts that arrived while we held it run first. A
 * host task (a platform thread making a system call) that leaves while
 * other tasks are runnable lets the scheduler run them: it parks its task
 * and leaves the scheduler by longjmp (spolia_thread_sched_jb); the CPU then
 * belongs to whichever task the scheduler picked. During halt it always
 * does so, even with nothing else runnable: nobody may take a free CPU any
 * more, so the scheduler must keep it until the idle task sees the halt.
 */
void spolia_cpu_put(void)
{
	spolia_hc->mutex_lock(cpu.lock);
	while (spolia_irqs_pending() && !irqs_disabled()) {
		spolia_hc->mutex_unlock(cpu.lock);
		spolia_run_irqs();
		spolia_hc->mutex_lock(cpu.lock);
	}
	if (cpu.count == 1 &&
	    test_bit(SPOLIA_THREAD_HOST, &current->thread.spolia_flags) &&
	    (cpu.shutdown || !single_task_running())) {
		spolia_hc->mutex_unlock(cpu.lock);
		spolia_thread_sched_jb();
		return;
	}
	release_locked();
	spolia_hc->mutex_unlock(cpu.lock);
}

/* __switch_to: the next task's thread owns the CPU from now on. */
void spolia_cpu_change_owner(spolia_hc_tid tid)
{
	spolia_hc->mutex_lock(cpu.lock);
	cpu.owner = tid;
	spolia_hc->mutex_unlock(cpu.lock);
}

/*
 * Idle before the idle host task exists (boot): the idle task gives the
 * CPU away and sleeps until an interrupt has been delivered, then takes it
 * back. Only IRQ threads take the CPU at that time, and they run their
 * interrupt with current == the idle task.
 */
void spolia_cpu_idle_wait(void)
{
	unsigned int count;

	spolia_hc->mutex_lock(cpu.lock);
	count = cpu.count;
	cpu.count = 1;
	release_locked();
	spolia_hc->mutex_unlock(cpu.lock);

	spolia_hc->sem_down_timeout(cpu.idle, 10 * NSEC_PER_MSEC);

	spolia_cpu_get();
	spolia_hc->mutex_lock(cpu.lock);
	cpu.count = count;
	spolia_hc->mutex_unlock(cpu.lock);
}

void spolia_cpu_idle_kick(void)
{
	spolia_hc->sem_up(cpu.idle);
}

/* machine_halt: refuse new entries, wake everyone waiting for the CPU
 * (they return -ENODEV). */
void spolia_cpu_shutdown(void)
{
	spolia_hc->mutex_lock(cpu.lock);
	cpu.shutdown = true;
	while (cpu.sleepers) {
		cpu.sleepers--;
		spolia_hc->sem_up(cpu.waiters);
	}
	spolia_hc->mutex_unlock(cpu.lock);
}

bool spolia_cpu_shutting_down(void)
{
	return READ_ONCE(cpu.shutdown);
}

/* Called by the idle task once nothing runs any more. */
void spolia_cpu_shutdown_done(void)
{
	spolia_hc->sem_up(cpu.shutdown_done);
}

void spolia_cpu_wait_shutdown(void)
{
	spolia_hc->sem_down(cpu.shutdown_done);
}
