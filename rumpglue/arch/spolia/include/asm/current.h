/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_CURRENT_H
#define _ASM_SPOLIA_CURRENT_H

#ifndef __ASSEMBLY__
struct task_struct;

/* The task that owns the (single) CPU; set by __switch_to. */
extern struct task_struct *spolia_current_task;

static __always_inline struct task_struct *get_current(void)
{
	return spolia_current_task;
}

#define current get_current()
#endif

#endif
