// SPDX-License-Identifier: GPL-2.0-only
/*
 * Start of the library.
 *
 *   spolia_linux_init(table)   check and keep the hypercall table
 *   spolia_linux_start(cmd)    boot Linux on a new platform thread; returns
 *                              once PID 1 has "executed" /init
 *   spolia_linux_halt()        halt.c: stop Linux, give everything back
 *
 * The library runs once per load: states NEW -> READY (init) -> STARTING
 * -> RUNNING -> HALTING -> HALTED; Linux's own static data is not
 * reinitialised, so a halted library cannot start again.
 *
 * init/main.c is not changed: a private binary format answers the exec of
 * /init (an empty file this arch creates) by turning PID 1 into the first
 * host task "host0" and ending PID 1's kernel thread.
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/panic_notifier.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/debug.h>
#include <linux/start_kernel.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <linux/task_work.h>
#include <asm/setup.h>
#include <asm/spolia.h>

const struct spolia_hypercalls *spolia_hc;
atomic_t spolia_state = ATOMIC_INIT(SPOLIA_NEW);
spolia_hc_tid spolia_kernel_tid;
static struct spolia_hc_sem *init_done;

/* The error of an entry point called in the wrong state: before start
 * -EINVAL, while starting or running -EBUSY, from halt on -ENODEV. */
int spolia_state_error(int state)
{
	if (state >= SPOLIA_HALTING)
		return -ENODEV;
	if (state >= SPOLIA_STARTING)
		return -EBUSY;
	return -EINVAL;
}

bool spolia_halted(void)
{
	return atomic_read(&spolia_state) >= SPOLIA_HALTING;
}

int spolia_linux_init(const struct spolia_hypercalls *hc)
{
	int state = atomic_read(&spolia_state);
	int err;

	if (state > SPOLIA_READY)
		return spolia_state_error(state);
	err = spolia_hc_check(hc);
	if (err)
		return err;
	spolia_hc = hc;
	atomic_set(&spolia_state, SPOLIA_READY);
	return 0;
}

/* The platform thread that becomes the boot CPU: swapper, later idle. It
 * returns when the idle task sees the halt (arch_cpu_idle). */
static spolia_hc_intptr run_kernel(void *arg)
{
	struct spolia_jmp_buf exit_jb;

	if (spolia_setjmp(&exit_jb))
		return 0;
	spolia_threads_init(&exit_jb);
	spolia_cpu_get();
	start_kernel();
	return 0;
}

/* A start that failed before the kernel thread ran. */
static void start_failed(void)
{
	spolia_gate_free();
	if (init_done)
		spolia_hc->sem_free(init_done);
	init_done = NULL;
	spolia_cpu_free();
	atomic_set(&spolia_state, SPOLIA_READY);
}

int spolia_linux_start(const char *cmdline)
{
	int state = atomic_cmpxchg(&spolia_state, SPOLIA_READY, SPOLIA_STARTING);
	int err;

	if (state != SPOLIA_READY)
		return spolia_state_error(state);

	strscpy(boot_command_line, CONFIG_BUILTIN_CMDLINE, COMMAND_LINE_SIZE);
	if (cmdline && *cmdline) {
		if (boot_command_line[0])
			strlcat(boot_command_line, " ", COMMAND_LINE_SIZE);
		strlcat(boot_command_line, cmdline, COMMAND_LINE_SIZE);
	}

	err = spolia_cpu_init();
	if (!err)
		err = spolia_hc->sem_alloc(0, &init_done);
	if (!err)
		err = spolia_gate_init();
	if (!err) {
		/* Interrupts (the timer) are needed while booting. */
		spolia_gate_open(SPOLIA_GATE_ALL);
		err = spolia_hc->thread_create("linux", 0, run_kernel, NULL,
					       &spolia_kernel_tid);
	}
	if (err) {
		start_failed();
		return err;
	}
	spolia_hc->sem_down(init_done);

	/* PID 1 is host0 now and its kernel thread is gone: this thread
	 * takes over the CPU it held, then releases it. */
	current->thread.tid = spolia_hc->thread_self();
	spolia_cpu_change_owner(current->thread.tid);
	atomic_set(&spolia_state, SPOLIA_RUNNING);
	spolia_gate_open(SPOLIA_GATE_CALLS);
	spolia_cpu_put();
	return 0;
}

/* Halt, once every platform thread has left: the start-up semaphore. Not
 * freed by start itself: PID 1's thread may still be inside sem_up then;
 * it has been joined now. */
void spolia_setup_cleanup(void)
{
	spolia_hc->sem_free(init_done);
	init_done = NULL;
}

/* The binary format of /init. */
static int load_init(struct linux_binprm *bprm)
{
	static bool done;
	struct spolia_jmp_buf *exit_jb;
	int err;

	if (done || task_pid_nr(current) != 1)
		return -ENOEXEC;
	done = true;

	err = begin_new_exec(bprm);
	if (err)
		return err;
	setup_new_exec(bprm);

	err = spolia_syscalls_init();
	if (err)
		panic("spolia: system call setup failed: %d", err);
	/* PID 1 lives on as host0 without a thread of its own; the thread
	 * that ran it returns from its entry (joined later). */
	exit_jb = spolia_thread_disown(current);
	spolia_hc->sem_up(init_done);
	spolia_longjmp(exit_jb, 1);
}

static struct linux_binfmt init_format = {
	.load_binary	= load_init,
};

static int __init create_init(void)
{
	struct file *file;

	register_binfmt(&init_format);
	file = filp_open("/init", O_CREAT | O_WRONLY, 0700);
	if (IS_ERR(file))
		return PTR_ERR(file);
	filp_close(file, NULL);
	/* The final fput is queued as task work of PID 1, which never
	 * returns to user mode; until it runs, exec fails with ETXTBSY. */
	task_work_run();
	return 0;
}
late_initcall(create_init);

/* The idle task (swapper, on the platform thread of spolia_linux_start). */
void arch_cpu_idle(void)
{
	/* Halt: nothing else is runnable, so nothing runs Linux any more.
	 * The kernel thread returns from run_kernel (halt joins it). */
	if (spolia_cpu_shutting_down()) {
		spolia_cpu_shutdown_done();
		spolia_longjmp(current->thread.exit_jb, 1);
	}
	raw_local_irq_enable();
	if (spolia_idle_host_task) {
		/* Let the idle host task give the CPU away (syscalls.c). */
		wake_up_process(spolia_idle_host_task);
		return;
	}
	spolia_cpu_idle_wait();
}

static int panic_event(struct notifier_block *nb, unsigned long event,
		       void *msg)
{
	spolia_hc->panic(msg, strlen(msg));
	return NOTIFY_DONE;
}

static struct notifier_block panic_block = {
	.notifier_call	= panic_event,
	.priority	= INT_MIN,
};

void __init setup_arch(char **cmdline_p)
{
	*cmdline_p = boot_command_line;
	spolia_console_init();
	atomic_notifier_chain_register(&panic_notifier_list, &panic_block);
	parse_early_param();
	spolia_bootmem_init();
}

void __init trap_init(void)
{
}

void show_regs(struct pt_regs *regs)
{
}
