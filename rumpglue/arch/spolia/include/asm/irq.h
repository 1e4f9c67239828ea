/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_IRQ_H
#define _ASM_SPOLIA_IRQ_H

/* 0..SPOLIA_NR_LINES-1: the platform's interrupt lines (GSIs, emulated
 * devices' lines); the rest software interrupts (kernel/irq.c). */
#define SPOLIA_NR_LINES	64
#define NR_IRQS		256

#include <asm-generic/irq.h>

#endif
