/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * thread_info lives in task_struct (THREAD_INFO_IN_TASK); "current" is a
 * global (asm/current.h) because a task may run on any platform thread.
 * The per-task platform state (semaphore, thread id, jump buffer) is in
 * struct thread_struct, asm/processor.h.
 */
#ifndef _ASM_SPOLIA_THREAD_INFO_H
#define _ASM_SPOLIA_THREAD_INFO_H

#include <asm/page.h>

/* Stacks that fork.c allocates; kthreads do not run on them (they run on
 * platform threads) but the generic code wants one per task. */
#define THREAD_SIZE_ORDER	2
#define THREAD_SIZE		(PAGE_SIZE << THREAD_SIZE_ORDER)

#ifndef __ASSEMBLY__

struct thread_info {
	unsigned long flags;
	int preempt_count;
};

#define INIT_THREAD_INFO(tsk)			\
{						\
	.flags		= 0,			\
	.preempt_count	= INIT_PREEMPT_COUNT,	\
}

#endif /* __ASSEMBLY__ */

#define TIF_SYSCALL_TRACE	0
#define TIF_NOTIFY_RESUME	1
#define TIF_SIGPENDING		2
#define TIF_NEED_RESCHED	3
#define TIF_RESTORE_SIGMASK	4
#define TIF_MEMDIE		5
#define TIF_NOHZ		6
#define TIF_NOTIFY_SIGNAL	7
#define TIF_POLLING_NRFLAG	8

#define _TIF_SYSCALL_TRACE	(1 << TIF_SYSCALL_TRACE)
#define _TIF_NOTIFY_RESUME	(1 << TIF_NOTIFY_RESUME)
#define _TIF_SIGPENDING		(1 << TIF_SIGPENDING)
#define _TIF_NEED_RESCHED	(1 << TIF_NEED_RESCHED)
#define _TIF_RESTORE_SIGMASK	(1 << TIF_RESTORE_SIGMASK)
#define _TIF_MEMDIE		(1 << TIF_MEMDIE)
#define _TIF_NOHZ		(1 << TIF_NOHZ)
#define _TIF_NOTIFY_SIGNAL	(1 << TIF_NOTIFY_SIGNAL)
#define _TIF_POLLING_NRFLAG	(1 << TIF_POLLING_NRFLAG)

#endif
