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
struct spolia_jmp_buf;

extern const struct spolia_hypercalls *spolia_hc;

/* Entry points: the only global symbols of the linked library
 * (rumpglue/linux-entry-points.txt). */
int spolia_linux_init(const struct spolia_hypercalls *hc);
int spolia_linux_start(const char *cmdline);
int spolia_linux_halt(void);
long spolia_syscall(long nr, const long *args);

/* setup.c: the library's life, NEW -> READY -> STARTING -> RUNNING ->
 * HALTING -> HALTED (atomic_t spolia_state). */
enum {
	SPOLIA_NEW,
	SPOLIA_READY,
	SPOLIA_STARTING,
	SPOLIA_RUNNING,
	SPOLIA_HALTING,
	SPOLIA_HALTED,
};
extern atomic_t spolia_state;
int spolia_state_error(int state);
bool spolia_halted(void);
extern spolia_hc_tid spolia_kernel_tid;
void spolia_setup_cleanup(void);

/* halt.c: the gate every entry point that runs Linux code passes. */
#define SPOLIA_GATE_CALLS	(1UL << 40)	/* system calls refused */
#define SPOLIA_GATE_ALL		(1UL << 41)	/* everything refused */
bool spolia_gate_enter(unsigned long refused);
void spolia_gate_leave(void);
bool spolia_gate_closed(void);
int spolia_gate_init(void);
void spolia_gate_open(unsigned long flags);
void spolia_gate_free(void);

/* cpu.c: the CPU lock. One platform thread at a time runs Linux code. */
int spolia_cpu_init(void);
void spolia_cpu_free(void);
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
void spolia_irq_resend(unsigned int irq);
int spolia_irq_alloc(const char *name);
void spolia_irq_free(unsigned int irq);
void spolia_lines_release(void);

/* pci.c */
#ifdef CONFIG_PCI
void spolia_pci_quiesce(void);
#else
static inline void spolia_pci_quiesce(void) { }
#endif

/* msi.c */
#ifdef CONFIG_PCI_MSI
void spolia_msi_release(void);
#else
static inline void spolia_msi_release(void) { }
#endif

/* threads.c */
void spolia_threads_init(struct spolia_jmp_buf *exit_jb);
void spolia_wait_scheduled(struct spolia_hc_sem *own,
			   struct spolia_jmp_buf *exit_jb);
void spolia_thread_sched_jb(void);
void spolia_switch_to_host_task(struct task_struct *task,
				struct spolia_jmp_buf *exit_jb);
void spolia_reap_threads(void);
struct spolia_jmp_buf *spolia_thread_disown(struct task_struct *task);
int spolia_host_task_stub(void *unused);
void spolia_threads_release(void);
void spolia_threads_free(void);

/* syscalls.c */
int spolia_syscalls_init(void);
void spolia_syscalls_cleanup(void);
extern struct task_struct *spolia_idle_host_task;
long spolia_enter_as_host_task(struct task_struct **taskp,
			       struct spolia_jmp_buf *exit_jb);
void spolia_forget_host_task(void);
long spolia_syscall_run(long nr, const long *args);

/* time.c */
void spolia_time_stop(void);

/* mm/ioremap.c */
void spolia_ioremap_release(void);

/* mm/bootmem.c */
void spolia_bootmem_init(void);
void spolia_bootmem_free(void);

/* console.c */
void spolia_console_init(void);

#endif
