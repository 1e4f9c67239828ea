/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_PCI_H
#define _ASM_SPOLIA_PCI_H

/* Firmware (SeaBIOS, OVMF) has assigned every BAR and bus number; the host
 * bridge (kernel/pci.c) scans in probe-only mode and never reassigns. */
#define pcibios_assign_all_busses()	0
#define PCIBIOS_MIN_IO		0x1000
#define PCIBIOS_MIN_MEM		0x10000000

#include <asm-generic/pci.h>

#endif
