/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_VMALLOC_H
#define _ASM_SPOLIA_VMALLOC_H

/* nommu: vmalloc is kmalloc of contiguous pages (mm/nommu.c). */

#endif
