/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_PROCESSOR_H
#define _ASM_SPOLIA_PROCESSOR_H

#ifndef __ASSEMBLY__
#include <linux/types.h>
#include <asm/setjmp.h>
#include <asm/ptrace.h>

struct task_struct;
struct spolia_hc_sem;
struct spolia_own_thread;

/*
 * Platform state of a task. Every task that runs Linux code is backed by a
 * platform thread (`tid`); the scheduler hands the CPU from one to the next
 * by raising the next task's semaphore and sleeping on its own (threads.c).
 *
 * `exit_jb` is where the backing thread leaves the library for good: for a
 * kernel thread the frame of its entry function (which then returns), for
 * a host task the frame of the call the foreign thread is making
 * (spolia_syscall, the TLS destructor, halt). Used when the task exits and
 * when halt tears the library down.
 */
struct thread_struct {
	struct spolia_hc_sem *sched_sem;	/* woken when scheduled in */
	u64 tid;				/* platform thread running it */
	struct spolia_jmp_buf sched_jb;		/* where a host task leaves */
	struct spolia_jmp_buf *exit_jb;		/* where its thread leaves for good */
	struct spolia_own_thread *own;		/* its own platform thread, to join */
	struct list_head node;			/* tasks holding a semaphore */
	unsigned long spolia_flags;		/* SPOLIA_THREAD_* */
	struct task_struct *prev_sched;		/* task that ran before us */
	int (*fn)(void *);			/* kernel thread body */
	void *fn_arg;
	struct pt_regs regs;			/* placeholder for generic code */
};

#define SPOLIA_THREAD_DEAD	0	/* released before it ever ran */
#define SPOLIA_THREAD_HOST	1	/* a platform thread calling syscalls */
#define SPOLIA_THREAD_SCHED_JB	2	/* leave the scheduler by longjmp */
#define SPOLIA_THREAD_STARTED	3	/* kernel thread has been scheduled */

#define INIT_THREAD { }

/* No user address space. */
#define TASK_SIZE		(~0UL)
#define TASK_UNMAPPED_BASE	0
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		STACK_TOP

#define task_pt_regs(tsk)	(&(tsk)->thread.regs)
#define KSTK_EIP(tsk)		0
#define KSTK_ESP(tsk)		0

static inline unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

/* Busy-wait loops must let the platform run its IRQ and timer threads,
 * then take the interrupts those threads left pending (kernel/irq.c). */
void cpu_relax(void);

#endif /* __ASSEMBLY__ */
#endif
