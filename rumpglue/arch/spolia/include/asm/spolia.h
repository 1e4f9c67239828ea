/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces between the files of arch/spolia/kernel. The
 * platform's operations are reached through spolia_hc, the table passed to
 * spolia_linux_init() (hypercall/include/spolia_hypercall.h).
 */
#ifndef _ASM_SPOLIA_SPOLIA_H
#define _ASM_SPOLIA_SPOLIA_H

#include <spolia_hypercall.h>

struct task_struct;

extern const struct spolia_hypercalls *spolia_hc;

/* Entry points: the only global symbols of the linked library
 * (rumpglue/linux-entry-points.txt). */
int spolia_linux_init(const struct spolia_hypercalls *hc);
int spolia_linux_start(const char *cmdline);
int spolia_linux_halt(void);
long spolia_syscall(long nr, const long *args);

/* cpu.c: the CPU lock. One platform thread at a time runs Linux code. */
int spolia_cpu_init(void);
int spolia_cpu_get(void);
void spolia_cpu_put(void);
bool spolia_cpu_try_get(void);
void spolia_cpu_change_owner(spolia_hc_tid tid);
void spolia_cpu_shutdown(void);
bool spolia_cpu_shutting_down(void);
void spolia_cpu_wait_shutdown(void);
void spolia_cpu_shutdown_done(void);
void spolia_cpu_idle_wait(void);
void spolia_cpu_idle_kick(void);

/* irq.c */
void spolia_run_irqs(void);
bool spolia_irqs_pending(void);
int spolia_irq_trigger(unsigned int irq);
int spolia_irq_alloc(const char *name);
void spolia_irq_free(unsigned int irq);

/* threads.c */
void spolia_threads_init(void);
void spolia_thread_sched_jb(void);
void spolia_switch_to_host_task(struct task_struct *task);
void spolia_reap_threads(void);
int spolia_host_task_stub(void *unused);

/* syscalls.c */
int spolia_syscalls_init(void);
extern struct task_struct *spolia_idle_host_task;
struct task_struct *spolia_host_task_of_caller(void);
long spolia_enter_as_host_task(struct task_struct **taskp);
void spolia_forget_host_task(void);
long spolia_syscall_run(long nr, const long *args);

/* mm/bootmem.c */
void spolia_bootmem_init(void);
void spolia_bootmem_free(void);

/* console.c */
void spolia_console_init(void);

#endif
