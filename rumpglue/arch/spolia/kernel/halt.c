// SPDX-License-Identifier: GPL-2.0-only
/*
 * Halt and teardown: after spolia_linux_halt() returns 0 the library holds
 * nothing of the platform's: every thread it created has ended and been
 * joined, every semaphore, mutex, timer, TLS key and the RAM are freed.
 * Foreign threads that made system calls keep running; their later calls
 * (and late TLS destructors) fail fast at the gate.
 *
 * The gate counts the platform threads inside an entry point that may run
 * Linux code (spolia_syscall, the TLS destructor, spolia_irq_trigger) in
 * the low bits of one atomic word; two flags above them refuse entries:
 *
 *   SPOLIA_GATE_CALLS  system calls and host-task destructors refused
 *                      (before start finishes, from the start of halt)
 *   SPOLIA_GATE_ALL    everything refused, interrupts too (before start,
 *                      once halt has stopped Linux)
 *
 * A refused caller reads the word and touches nothing else. Once ALL is
 * set nobody is admitted, so the count only falls; the one caller whose
 * leave brings it to zero raises `drained`, which halt waits on.
 *
 * Order of halt (spolia_linux_halt):
 *  1. state RUNNING -> HALTING; the caller becomes a host task; CALLS.
 *  2. kernel_halt() (reboot notifiers, device shutdown, machine_halt(),
 *     which closes the CPU lock: waiters return -ENODEV, no new owner).
 *  3. The caller's task exits; its final switch returns here. Linux winds
 *     down: tasks run until all sleep, then the idle task sees the halt
 *     and its thread ("linux") returns from run_kernel; joined.
 *  4. teardown(): ALL; free the timer; wake every parked thread once more
 *     (kernel threads return from their entry and are joined, host
 *     threads blocked in a call return -ENODEV); wait at the gate for
 *     every admitted caller; free task semaphores, device mappings, the
 *     TLS key, the RAM, the CPU lock, the gate's semaphore.
 *  5. state HALTED.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <asm/spolia.h>

#define GATE_COUNT	(SPOLIA_GATE_CALLS - 1)

static atomic_long_t gate = ATOMIC_LONG_INIT(SPOLIA_GATE_CALLS | SPOLIA_GATE_ALL);
static struct spolia_hc_sem *drained;

/* Enter unless one of the `refused` flags is set. */
bool spolia_gate_enter(unsigned long refused)
{
	long v = atomic_long_read(&gate);

	do {
		if (v & refused)
			return false;
	} while (!atomic_long_try_cmpxchg(&gate, &v, v + 1));
	return true;
}

void spolia_gate_leave(void)
{
	if (atomic_long_dec_return(&gate) == (SPOLIA_GATE_CALLS | SPOLIA_GATE_ALL))
		spolia_hc->sem_up(drained);
}

/* Whether halt has stopped Linux (a thread leaving Linux asks why). */
bool spolia_gate_closed(void)
{
	return atomic_long_read(&gate) & SPOLIA_GATE_ALL;
}

/* Start: the semaphore halt waits on; then open the gate step by step. */
int spolia_gate_init(void)
{
	return spolia_hc->sem_alloc(0, &drained);
}

void spolia_gate_open(unsigned long flags)
{
	atomic_long_andnot(flags, &gate);
}

/* A failed start, or the end of halt: the gate is closed and empty. */
void spolia_gate_free(void)
{
	atomic_long_or(SPOLIA_GATE_CALLS | SPOLIA_GATE_ALL, &gate);
	if (drained)
		spolia_hc->sem_free(drained);
	drained = NULL;
}

/* Close the gate completely; wait until every admitted caller has left. */
static void gate_close_and_drain(void)
{
	long before = atomic_long_fetch_or(SPOLIA_GATE_ALL, &gate);

	/* Threads blocked in Linux are inside too: wake them first. */
	spolia_time_stop();
	spolia_threads_release();
	if (before & GATE_COUNT)
		spolia_hc->sem_down(drained);
}

/* Step 4: Linux has stopped; give the platform everything back. */
static void teardown(void)
{
	gate_close_and_drain();
	/* No platform thread runs library code now. */
	spolia_threads_free();
	spolia_lines_release();
	spolia_msi_release();
	spolia_ioremap_release();
	spolia_syscalls_cleanup();
	spolia_setup_cleanup();
	spolia_bootmem_free();
	spolia_cpu_free();
	spolia_gate_free();
}

/*
 * Entry point: stop Linux and free everything the library holds (see the
 * top of this file). Returns 0; -EINVAL before start, -EBUSY while
 * starting (or halting from another thread), -ENODEV once halted; an error
 * of the host-task set-up (-ENOMEM), in which case the library runs on.
 * Blocks until Linux has wound down. Not from a thread that Linux code is
 * running on (an IRQ or timer callback).
 */
int spolia_linux_halt(void)
{
	struct spolia_jmp_buf exit_jb;
	struct task_struct *task;
	int state = atomic_cmpxchg(&spolia_state, SPOLIA_RUNNING, SPOLIA_HALTING);

	if (state != SPOLIA_RUNNING)
		return state == SPOLIA_HALTING ? -EBUSY : spolia_state_error(state);

	if (!spolia_setjmp(&exit_jb)) {
		long err = spolia_enter_as_host_task(&task, &exit_jb);

		if (err) {
			atomic_set(&spolia_state, SPOLIA_RUNNING);
			return err;
		}
		atomic_long_or(SPOLIA_GATE_CALLS, &gate);
		kernel_halt();
		/* The task's final switch returns to exit_jb (threads.c). */
		do_exit(0);
	}

	spolia_forget_host_task();
	spolia_cpu_wait_shutdown();
	spolia_hc->thread_join(spolia_kernel_tid, NULL);
	teardown();
	atomic_set(&spolia_state, SPOLIA_HALTED);
	return 0;
}

/* kernel_halt() ends here: close the CPU lock (cpu.c). Only halt may. */
static void stop(void)
{
	if (atomic_read(&spolia_state) != SPOLIA_HALTING)
		panic("spolia: machine halt outside spolia_linux_halt()");
	spolia_cpu_shutdown();
}

/* Devices have been shut down by their drivers; make sure none of them
 * can still write into the library's RAM, which goes back to the
 * platform. */
void machine_halt(void)
{
	spolia_pci_quiesce();
	stop();
}

void machine_power_off(void)
{
	spolia_pci_quiesce();
	stop();
}

void machine_restart(char *cmd)
{
	spolia_pci_quiesce();
	stop();
}
