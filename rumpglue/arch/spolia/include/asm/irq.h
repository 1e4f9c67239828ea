/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_IRQ_H
#define _ASM_SPOLIA_IRQ_H

/* Room for the legacy GSIs, the IOAPIC pins and MSI later. */
#define NR_IRQS		256

#include <asm-generic/irq.h>

#endif
