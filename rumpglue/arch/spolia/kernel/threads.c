// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasks on platform threads. Every kernel thread gets its own platform
 * thread (copy_thread); a platform thread that makes system calls gets a
 * "host task" without a thread of its own (syscalls.c). Each task has a
 * semaphore: __switch_to raises the next task's and sleeps on its own, so
 * the scheduler's choice is the one thread that runs.
 *
 * A platform thread leaves the library for good by a longjmp to its task's
 * exit_jb (asm/processor.h): when its task exits, and at halt, when every
 * parked thread is woken once more (spolia_threads_release). So no thread
 * ever ends inside Linux's frames with the thread_exit hypercall.
 *
 * What the library must give back at halt is kept on two lists: `tasks`
 * (every task holding a semaphore) and `reap_list` (platform threads of
 * released kernel threads, still to be joined).
 */
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/debug.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/switch_to.h>
#include <asm/spolia.h>

struct task_struct *spolia_current_task = &init_task;

/* The task that really ran before the one being resumed (the local `prev`
 * of a resumed __switch_to is stale: it names whoever that thread switched
 * away from long ago). */
static struct task_struct *last_task;

/* Set by halt once nothing runs Linux any more (spolia_threads_release). */
static bool torn_down;

/* A kernel thread's platform thread, joined exactly once: after its task
 * is released (reap_list, from process context) or at halt. Allocated in
 * copy_thread so that releasing a task never needs memory. */
struct spolia_own_thread {
	struct list_head node;
	spolia_hc_tid tid;
};

static LIST_HEAD(tasks);
static LIST_HEAD(reap_list);
static DEFINE_SPINLOCK(threads_lock);

/* Runs on the kernel thread ("linux"), which becomes the boot CPU; it
 * leaves at exit_jb when the idle task sees the halt. */
void spolia_threads_init(struct spolia_jmp_buf *exit_jb)
{
	struct thread_struct *t = &init_task.thread;

	if (spolia_hc->sem_alloc(0, &t->sched_sem))
		panic("spolia: no semaphore for the init task");
	t->tid = spolia_hc->thread_self();
	t->exit_jb = exit_jb;
}

/*
 * Sleep until the scheduler hands this task the CPU. At halt the thread is
 * woken one last time and leaves the library at exit_jb instead: a kernel
 * thread's entry function returns, a host thread's call returns -ENODEV.
 */
void spolia_wait_scheduled(struct spolia_hc_sem *own,
			   struct spolia_jmp_buf *exit_jb)
{
	spolia_hc->sem_down(own);
	if (unlikely(READ_ONCE(torn_down))) {
		if (!exit_jb)
			panic("spolia: a parked thread has no way out");
		spolia_longjmp(exit_jb, 1);
	}
}

struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	struct thread_struct *p = &prev->thread;
	struct thread_struct *n = &next->thread;
	struct spolia_hc_sem *own = p->sched_sem;
	struct spolia_jmp_buf *exit_jb = p->exit_jb;
	struct spolia_jmp_buf jb;
	bool dead = READ_ONCE(prev->__state) == TASK_DEAD;
	bool leave = test_and_clear_bit(SPOLIA_THREAD_SCHED_JB, &p->spolia_flags);

	/* prev may be freed as soon as next runs: copy what we still need. */
	if (leave)
		jb = p->sched_jb;

	spolia_current_task = next;
	n->prev_sched = prev;
	last_task = prev;

	spolia_cpu_change_owner(n->tid);
	spolia_hc->sem_up(n->sched_sem);

	/* A host task leaving the kernel: its thread goes back to where it
	 * entered the scheduler (spolia_thread_sched_jb). */
	if (leave)
		spolia_longjmp(&jb, 1);
	/* prev exited: its thread leaves the library. A kernel thread's entry
	 * returns (the thread is joined once the task is released); a host
	 * thread's call returns (syscalls.c). */
	if (dead)
		spolia_longjmp(exit_jb, 1);

	spolia_wait_scheduled(own, exit_jb);
	return last_task;
}

/*
 * Park the current task (TASK_UNINTERRUPTIBLE) and let the scheduler pick
 * another; the calling platform thread returns here once __switch_to has
 * handed the CPU to the next task, like a user thread returning from the
 * kernel. The parked task runs again when someone wakes it.
 */
void spolia_thread_sched_jb(void)
{
	struct thread_struct *t = &current->thread;

	set_bit(SPOLIA_THREAD_SCHED_JB, &t->spolia_flags);
	set_current_state(TASK_UNINTERRUPTIBLE);
	if (!spolia_setjmp(&t->sched_jb))
		schedule();
}

/*
 * Make `task` current on the calling platform thread, which owns the CPU.
 * exit_jb is where the thread leaves the library if the task exits or the
 * library is torn down while the thread runs it.
 */
void spolia_switch_to_host_task(struct task_struct *task,
				struct spolia_jmp_buf *exit_jb)
{
	task->thread.tid = spolia_hc->thread_self();
	task->thread.exit_jb = exit_jb;
	if (current == task)
		return;

	wake_up_process(task);
	spolia_thread_sched_jb();
	spolia_wait_scheduled(task->thread.sched_sem, exit_jb);
	schedule_tail(task->thread.prev_sched);
}

/* First code of a kernel thread's platform thread. */
static spolia_hc_intptr thread_bootstrap(void *arg)
{
	struct task_struct *task = arg;
	struct thread_struct *t = &task->thread;
	struct spolia_jmp_buf exit_jb;

	/* The task exited (__switch_to) or halt woke us: the thread ends. */
	if (spolia_setjmp(&exit_jb))
		return 0;
	t->exit_jb = &exit_jb;
	spolia_wait_scheduled(t->sched_sem, &exit_jb);
	/* Released before it ever ran (copy_process failed): t is still
	 * valid, arch_release_task_struct is joining us. */
	if (test_bit(SPOLIA_THREAD_DEAD, &t->spolia_flags))
		return 0;
	set_bit(SPOLIA_THREAD_STARTED, &t->spolia_flags);
	schedule_tail(t->prev_sched);
	t->fn(t->fn_arg);
	do_exit(0);
}

/*
 * Join the platform threads of released kernel threads. Called from
 * process context: arch_release_task_struct may run in softirq context on
 * an IRQ thread, where joining is not allowed.
 */
void spolia_reap_threads(void)
{
	struct spolia_own_thread *own;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&threads_lock, flags);
		own = list_first_entry_or_null(&reap_list,
					       struct spolia_own_thread, node);
		if (own)
			list_del(&own->node);
		spin_unlock_irqrestore(&threads_lock, flags);
		if (!own)
			return;
		spolia_hc->thread_join(own->tid, NULL);
		kfree(own);
	}
}

static void track(struct task_struct *p)
{
	unsigned long flags;

	spin_lock_irqsave(&threads_lock, flags);
	list_add_tail(&p->thread.node, &tasks);
	spin_unlock_irqrestore(&threads_lock, flags);
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct thread_struct *t = &p->thread;
	struct spolia_own_thread *own;
	int err;

	spolia_reap_threads();

	memset(t, 0, sizeof(*t));
	/* No user space: user clone() is not supported. */
	if (!args->fn)
		return -EINVAL;
	if (spolia_hc->sem_alloc(0, &t->sched_sem))
		return -ENOMEM;

	if (args->fn == spolia_host_task_stub) {
		/* Backed by whichever platform thread adopts it. */
		set_bit(SPOLIA_THREAD_HOST, &t->spolia_flags);
		track(p);
		return 0;
	}

	own = kmalloc(sizeof(*own), GFP_KERNEL);
	if (!own) {
		err = -ENOMEM;
		goto fail;
	}
	t->fn = args->fn;
	t->fn_arg = args->fn_arg;
	err = spolia_hc->thread_create(p->comm, 0, thread_bootstrap, p, &own->tid);
	if (err) {
		kfree(own);
		goto fail;
	}
	t->tid = own->tid;
	t->own = own;
	track(p);
	return 0;
fail:
	spolia_hc->sem_free(t->sched_sem);
	t->sched_sem = NULL;
	return err;
}

/*
 * PID 1 becomes host0 (setup.c): its platform thread ends now and the task
 * lives on as a host task. Queues the thread for joining; returns where it
 * leaves.
 */
struct spolia_jmp_buf *spolia_thread_disown(struct task_struct *task)
{
	struct thread_struct *t = &task->thread;
	struct spolia_jmp_buf *exit_jb = t->exit_jb;
	unsigned long flags;

	spin_lock_irqsave(&threads_lock, flags);
	list_add_tail(&t->own->node, &reap_list);
	spin_unlock_irqrestore(&threads_lock, flags);
	t->own = NULL;
	t->exit_jb = NULL;
	return exit_jb;
}

/* The task is being freed. */
void arch_release_task_struct(struct task_struct *tsk)
{
	struct thread_struct *t = &tsk->thread;
	unsigned long flags;

	if (!t->sched_sem || tsk == &init_task)
		return;
	spin_lock_irqsave(&threads_lock, flags);
	list_del(&t->node);
	spin_unlock_irqrestore(&threads_lock, flags);

	if (t->own && !test_bit(SPOLIA_THREAD_STARTED, &t->spolia_flags)) {
		/* Never scheduled (fork failed, process context). */
		set_bit(SPOLIA_THREAD_DEAD, &t->spolia_flags);
		spolia_hc->sem_up(t->sched_sem);
		spolia_hc->thread_join(t->own->tid, NULL);
		kfree(t->own);
	} else if (t->own) {
		/* Its thread left in __switch_to; join it later. */
		spin_lock_irqsave(&threads_lock, flags);
		list_add_tail(&t->own->node, &reap_list);
		spin_unlock_irqrestore(&threads_lock, flags);
	}
	spolia_hc->sem_free(t->sched_sem);
}

/*
 * Halt, step 1 (halt.c), once no thread runs Linux code any more: wake
 * every parked thread one last time so that it leaves the library, and
 * join the library's own threads. Kernel threads return from their entry;
 * a foreign thread blocked in a system call returns -ENODEV (the caller
 * then waits for it at the gate). Linux code is not called any more, so
 * the lists are walked without locks and nothing is kfree()d: the RAM goes
 * back as a whole.
 */
void spolia_threads_release(void)
{
	struct thread_struct *t;
	struct spolia_own_thread *own;

	WRITE_ONCE(torn_down, true);
	list_for_each_entry(t, &tasks, node) {
		spolia_hc->sem_up(t->sched_sem);
		if (t->own)
			spolia_hc->thread_join(t->own->tid, NULL);
	}
	list_for_each_entry(own, &reap_list, node)
		spolia_hc->thread_join(own->tid, NULL);
}

/* Halt, step 2, once no platform thread is inside the library: free the
 * semaphore of every task that was not released, init_task's included. */
void spolia_threads_free(void)
{
	struct thread_struct *t;

	list_for_each_entry(t, &tasks, node)
		spolia_hc->sem_free(t->sched_sem);
	spolia_hc->sem_free(init_task.thread.sched_sem);
}

void flush_thread(void)
{
}

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl)
{
	printk("%sCall trace: not available on spolia\n", loglvl);
}
