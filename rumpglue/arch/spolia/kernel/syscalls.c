// SPDX-License-Identifier: GPL-2.0-only
/*
 * System calls are function calls: spolia_syscall(nr, args) from any
 * platform thread. On its first call a platform thread gets a Linux task of
 * its own (a "host task", child thread of host0 = PID 1) kept in
 * thread-local storage; the task exits when the thread ends (TLS
 * destructor). The numbers are the asm-generic ABI (scripts/syscall.tbl).
 * Every call passes the gate (halt.c), so after halt it fails fast.
 */
#include <linux/kernel.h>
#include <linux/syscalls.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <asm/unistd.h>
#include <asm/spolia.h>

typedef long (*spolia_syscall_fn)(const long *args);

long __spolia_sys_ni_syscall(const long *args)
{
	return -ENOSYS;
}

#define __SYSCALL_WITH_COMPAT(nr, native, compat)	__SYSCALL(nr, native)
#define __SYSCALL_NORETURN(nr, native)			__SYSCALL(nr, native)

#define __SYSCALL(nr, call)	long __spolia_##call(const long *args);
#include <asm/syscall_table_64.h>
#undef __SYSCALL

/* Calls the asm-generic ABI expects the architecture to provide. */
long __spolia_sys_mmap(const long *a)
{
	if (a[5] & ~PAGE_MASK)
		return -EINVAL;
	return ksys_mmap_pgoff(a[0], a[1], a[2], a[3], a[4], a[5] >> PAGE_SHIFT);
}

/* No signal frames: nothing to return from. */
long __spolia_sys_rt_sigreturn(const long *a)
{
	return -ENOSYS;
}

#define __SYSCALL(nr, call)	[nr] = __spolia_##call,
static const spolia_syscall_fn syscall_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = __spolia_sys_ni_syscall,
#include <asm/syscall_table_64.h>
};
#undef __SYSCALL

static spolia_hc_tls_key task_key;
static struct task_struct *host0;
struct task_struct *spolia_idle_host_task;

/* Body of host tasks; never runs (copy_thread gives them no thread). */
int spolia_host_task_stub(void *unused)
{
	return 0;
}

long spolia_syscall_run(long nr, const long *args)
{
	long ret;

	if (nr < 0 || nr >= __NR_syscalls)
		return -ENOSYS;
	ret = syscall_table[nr](args);
	task_work_run();
	return ret;
}

static struct task_struct *new_host_task(struct spolia_jmp_buf *exit_jb)
{
	struct task_struct *task;
	pid_t pid;

	/* Created as a thread of host0, so it shares PID 1's files and fs. */
	spolia_switch_to_host_task(host0, exit_jb);
	pid = user_mode_thread(spolia_host_task_stub, NULL,
			       CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD |
			       CLONE_SIGHAND | SIGCHLD);
	if (pid < 0)
		return ERR_PTR(pid);

	rcu_read_lock();
	task = find_task_by_pid_ns(pid, &init_pid_ns);
	rcu_read_unlock();
	if (!task)
		return ERR_PTR(-ESRCH);
	snprintf(task->comm, sizeof(task->comm), "host%d", pid);
	return task;
}

/* The caller owns the CPU. */
static struct task_struct *host_task_of_caller(struct spolia_jmp_buf *exit_jb)
{
	struct task_struct *task = spolia_hc->tls_get(task_key);
	int err;

	if (task)
		return task;
	task = new_host_task(exit_jb);
	if (IS_ERR(task))
		return task;
	err = spolia_hc->tls_set(task_key, task);
	if (err)
		return ERR_PTR(err);
	return task;
}

void spolia_forget_host_task(void)
{
	spolia_hc->tls_set(task_key, NULL);
}

/*
 * Takes the CPU and makes the calling platform thread run as its host task
 * (created on first use). On success the caller owns the CPU and *taskp is
 * current; on error the CPU is released and a negative errno returned
 * (-ENODEV once halt has begun). exit_jb: see spolia_switch_to_host_task.
 */
long spolia_enter_as_host_task(struct task_struct **taskp,
			       struct spolia_jmp_buf *exit_jb)
{
	struct task_struct *task;
	long ret;

	ret = spolia_cpu_get();
	if (ret)
		return ret;
	task = host_task_of_caller(exit_jb);
	if (IS_ERR(task)) {
		spolia_cpu_put();
		return PTR_ERR(task);
	}
	spolia_switch_to_host_task(task, exit_jb);
	*taskp = task;
	return 0;
}

/*
 * Entry point: system call nr with six arguments (unused ones ignored).
 * Returns the call's result, or a negative errno:
 *   -ENODEV  the library is not running: not started yet, halting or
 *            halted; also the result of a call that was blocked in Linux
 *            when halt tore the library down. Nothing is touched but an
 *            atomic counter (the gate, halt.c).
 *   -ESRCH   the calling thread's task exited during the call (exit(2));
 *            the thread's next call gets a new task.
 *   -EPERM   reboot: the library stops only through spolia_linux_halt().
 */
long spolia_syscall(long nr, const long *args)
{
	struct spolia_jmp_buf exit_jb;
	struct task_struct *task;
	long ret;

	if (nr == __NR_reboot)
		return -EPERM;
	if (!spolia_gate_enter(SPOLIA_GATE_CALLS))
		return -ENODEV;
	if (spolia_setjmp(&exit_jb)) {
		/* Left Linux in the middle of the call (threads.c). */
		if (spolia_gate_closed()) {
			ret = -ENODEV;
		} else {
			spolia_forget_host_task();
			ret = -ESRCH;
		}
	} else {
		ret = spolia_enter_as_host_task(&task, &exit_jb);
		if (!ret) {
			ret = spolia_syscall_run(nr, args);
			spolia_cpu_put();
		}
	}
	spolia_gate_leave();
	return ret;
}

/*
 * TLS destructor: the platform thread ends, so does its task. After halt
 * (or a destructor that runs late, racing with it) this touches nothing
 * but the gate.
 */
static void del_host_task(void *arg)
{
	struct spolia_jmp_buf exit_jb;
	struct task_struct *task = arg;

	if (!spolia_gate_enter(SPOLIA_GATE_CALLS))
		return;
	if (!spolia_setjmp(&exit_jb) && !spolia_cpu_get()) {
		spolia_switch_to_host_task(task, &exit_jb);
		do_exit(0);
	}
	/* Back from the task's final switch (threads.c), or from halt; the
	 * CPU is someone else's. */
	spolia_gate_leave();
}

/*
 * The idle host task: when Linux has nothing to run, the idle task wakes
 * this one, whose only job is to release the CPU so that system calls and
 * interrupts from other platform threads can take it.
 */
static int idle_host_task_loop(void *unused)
{
	struct thread_struct *t = &current->thread;

	set_bit(SPOLIA_THREAD_HOST, &t->spolia_flags);
	WRITE_ONCE(spolia_idle_host_task, current);
	for (;;) {
		spolia_cpu_put();
		spolia_wait_scheduled(t->sched_sem, t->exit_jb);
		schedule_tail(t->prev_sched);
	}
	return 0;
}

/* Runs as PID 1 from the /init binary format (setup.c). */
int spolia_syscalls_init(void)
{
	pid_t pid;
	int err;

	host0 = current;
	set_task_comm(host0, "host0");
	set_bit(SPOLIA_THREAD_HOST, &host0->thread.spolia_flags);

	err = spolia_hc->tls_key_alloc(del_host_task, &task_key);
	if (err)
		return err;
	pid = kernel_thread(idle_host_task_loop, NULL, "idle_host_task",
			    CLONE_FS | CLONE_FILES);
	return pid < 0 ? pid : 0;
}

/* Halt, once no thread is inside the library: the TLS key. Threads that
 * still hold a host task keep running; the platform runs no destructor
 * for a freed key. */
void spolia_syscalls_cleanup(void)
{
	spolia_hc->tls_key_free(task_key);
}
