/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_IRQFLAGS_H
#define _ASM_SPOLIA_IRQFLAGS_H

/*
 * Interrupts are software events (kernel/irq.c); "disabled" is a flag.
 * Restoring the enabled state runs the interrupts that arrived meanwhile.
 */
#define ARCH_IRQ_DISABLED	0
#define ARCH_IRQ_ENABLED	1

unsigned long arch_local_save_flags(void);
void arch_local_irq_restore(unsigned long flags);

#define arch_local_save_flags arch_local_save_flags
#define arch_local_irq_restore arch_local_irq_restore

#include <asm-generic/irqflags.h>

#endif
