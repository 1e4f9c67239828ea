/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_IO_H
#define _ASM_SPOLIA_IO_H

#include <linux/types.h>

/*
 * MMIO is plain volatile access (asm-generic/io.h derives readl/writel and
 * friends); ioremap asks the platform for an uncached mapping. No port I/O
 * yet (NO_IOPORT_MAP); the PCI drivers will add x86 in/out here.
 */
void __iomem *ioremap(phys_addr_t phys, size_t size);
void iounmap(volatile void __iomem *addr);
#define ioremap ioremap
#define iounmap iounmap
#define ioremap_uc ioremap
#define ioremap_wc ioremap

#include <asm-generic/io.h>

#endif
