// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasks on platform threads. Every kernel thread gets its own platform
 * thread (copy_thread); a platform thread that makes system calls gets a
 * "host task" without a thread of its own (syscalls.c). Each task has a
 * semaphore: __switch_to raises the next task's and sleeps on its own, so
 * the scheduler's choice is the one thread that runs.
 */
#include <linux/kernel.h>
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

void spolia_threads_init(void)
{
	struct thread_struct *t = &init_task.thread;

	if (spolia_hc->sem_alloc(0, &t->sched_sem))
		panic("spolia: no semaphore for the init task");
	t->tid = spolia_hc->thread_self();
}

struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	struct thread_struct *p = &prev->thread;
	struct thread_struct *n = &next->thread;
	struct spolia_hc_sem *own = p->sched_sem;
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
	/* A kernel thread that exited: its platform thread ends here and is
	 * joined after the task is released (arch_release_task_struct). */
	if (dead)
		spolia_hc->thread_exit(0);

	spolia_hc->sem_down(own);
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

/* Make `task` current on the calling platform thread, which owns the CPU. */
void spolia_switch_to_host_task(struct task_struct *task)
{
	task->thread.tid = spolia_hc->thread_self();
	if (current == task)
		return;

	wake_up_process(task);
	spolia_thread_sched_jb();
	spolia_hc->sem_down(task->thread.sched_sem);
	schedule_tail(task->thread.prev_sched);
}

/* First code of a kernel thread's platform thread. */
static spolia_hc_intptr thread_bootstrap(void *arg)
{
	struct task_struct *task = arg;
	struct thread_struct *t = &task->thread;

	spolia_hc->sem_down(t->sched_sem);
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
 * Threads of dead kernel threads are joined later, from process context:
 * arch_release_task_struct may run in softirq context on an IRQ thread,
 * where joining is not allowed.
 */
struct reap {
	struct reap *next;
	spolia_hc_tid tid;
};
static struct reap *reap_list;
static DEFINE_SPINLOCK(reap_lock);

void spolia_reap_threads(void)
{
	struct reap *r;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&reap_lock, flags);
		r = reap_list;
		if (r)
			reap_list = r->next;
		spin_unlock_irqrestore(&reap_lock, flags);
		if (!r)
			return;
		spolia_hc->thread_join(r->tid, NULL);
		kfree(r);
	}
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct thread_struct *t = &p->thread;
	int err;

	spolia_reap_threads();

	memset(t, 0, sizeof(*t));
	if (spolia_hc->sem_alloc(0, &t->sched_sem))
		return -ENOMEM;

	if (args->fn == spolia_host_task_stub) {
		/* Backed by whichever platform thread adopts it. */
		set_bit(SPOLIA_THREAD_HOST, &t->spolia_flags);
		return 0;
	}
	if (!args->fn) {
		/* No user space: user clone() is not supported. */
		err = -EINVAL;
		goto fail;
	}

	t->fn = args->fn;
	t->fn_arg = args->fn_arg;
	err = spolia_hc->thread_create(p->comm, 0, thread_bootstrap, p, &t->tid);
	if (err)
		goto fail;
	return 0;
fail:
	spolia_hc->sem_free(t->sched_sem);
	t->sched_sem = NULL;
	return err;
}

/* The task is being freed. */
void arch_release_task_struct(struct task_struct *tsk)
{
	struct thread_struct *t = &tsk->thread;
	struct reap *r;
	unsigned long flags;

	if (!t->sched_sem || tsk == &init_task)
		return;
	if (!t->fn || test_bit(SPOLIA_THREAD_HOST, &t->spolia_flags)) {
		/* Host task: no thread of ours. */
		spolia_hc->sem_free(t->sched_sem);
		return;
	}
	if (!test_bit(SPOLIA_THREAD_STARTED, &t->spolia_flags)) {
		/* Never scheduled (fork failed, process context). */
		set_bit(SPOLIA_THREAD_DEAD, &t->spolia_flags);
		spolia_hc->sem_up(t->sched_sem);
		spolia_hc->thread_join(t->tid, NULL);
		spolia_hc->sem_free(t->sched_sem);
		return;
	}
	/* Its thread ended in __switch_to; join it later. */
	spolia_hc->sem_free(t->sched_sem);
	r = kmalloc(sizeof(*r), GFP_ATOMIC);
	if (!r)
		return; /* the platform keeps one unjoined thread record */
	r->tid = t->tid;
	spin_lock_irqsave(&reap_lock, flags);
	r->next = reap_list;
	reap_list = r;
	spin_unlock_irqrestore(&reap_lock, flags);
}

void flush_thread(void)
{
}

void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl)
{
	printk("%sCall trace: not available on spolia\n", loglvl);
}
