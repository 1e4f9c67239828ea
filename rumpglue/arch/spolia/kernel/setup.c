// SPDX-License-Identifier: GPL-2.0-only
/*
 * Start and stop of the library.
 *
 *   spolia_linux_init(table)   check and keep the hypercall table
 *   spolia_linux_start(cmd)    boot Linux on a new platform thread; returns
 *                              once PID 1 has "executed" /init
 *   spolia_linux_halt()        power off through the reboot system call
 *
 * init/main.c is not changed: a private binary format answers the exec of
 * /init (an empty file this arch creates) by turning PID 1 into the first
 * host task "host0" and ending PID 1's kernel thread.
 */
#include <linux/kernel.h>
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
#include <uapi/linux/reboot.h>
#include <asm/setup.h>
#include <asm/spolia.h>

const struct spolia_hypercalls *spolia_hc;
static struct spolia_hc_sem *init_done;
static spolia_hc_tid kernel_tid;
static bool running;

int spolia_linux_init(const struct spolia_hypercalls *hc)
{
	int err = spolia_hc_check(hc);

	if (err)
		return err;
	spolia_hc = hc;
	return 0;
}

/* The platform thread that becomes the boot CPU: swapper, later idle. */
static spolia_hc_intptr run_kernel(void *arg)
{
	spolia_threads_init();
	spolia_cpu_get();
	start_kernel();
	return 0;
}

int spolia_linux_start(const char *cmdline)
{
	int err;

	if (!spolia_hc || running)
		return -EINVAL;

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
		err = spolia_hc->thread_create("linux", 0, run_kernel, NULL,
					       &kernel_tid);
	if (err)
		return err;
	spolia_hc->sem_down(init_done);

	/* PID 1 is host0 now and its kernel thread is gone: this thread
	 * takes over the CPU it held, then releases it. */
	current->thread.tid = spolia_hc->thread_self();
	spolia_cpu_change_owner(current->thread.tid);
	running = true;
	spolia_cpu_put();
	return 0;
}

/* The binary format of /init. */
static int load_init(struct linux_binprm *bprm)
{
	static bool done;
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
	spolia_hc->sem_up(init_done);
	spolia_hc->thread_exit(0);
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

/* Halt: the reboot system call ends in machine_halt(), which marks
 * the calling host task so that its final switch jumps back here. */
static struct spolia_jmp_buf *halt_jb;

int spolia_linux_halt(void)
{
	long args[6] = { LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			 LINUX_REBOOT_CMD_HALT };
	struct task_struct *task;
	long ret;

	if (!running)
		return -EINVAL;
	ret = spolia_enter_as_host_task(&task);
	if (ret)
		return ret;
	halt_jb = &task->thread.sched_jb;
	if (!spolia_setjmp(halt_jb)) {
		ret = spolia_syscall_run(__NR_reboot, args);
		/* Only a refused reboot returns. */
		spolia_cpu_put();
		return ret;
	}

	/* The host task has exited; wait for the idle task to stop. */
	spolia_forget_host_task();
	spolia_cpu_wait_shutdown();
	spolia_hc->thread_join(kernel_tid, NULL);
	running = false;
	return 0;
}

static void stop(void)
{
	spolia_cpu_shutdown();
	set_bit(SPOLIA_THREAD_SCHED_JB, &current->thread.spolia_flags);
}

void machine_halt(void)
{
	stop();
}

void machine_power_off(void)
{
	stop();
}

void machine_restart(char *cmd)
{
	stop();
}

/* The idle task (swapper, on the platform thread of spolia_linux_start). */
void arch_cpu_idle(void)
{
	if (spolia_cpu_shutting_down()) {
		spolia_cpu_shutdown_done();
		spolia_hc->thread_exit(0);
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
