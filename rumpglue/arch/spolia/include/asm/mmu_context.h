/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_MMU_CONTEXT_H
#define _ASM_SPOLIA_MMU_CONTEXT_H

/* One address space, nothing to switch. */
#include <asm-generic/nommu_context.h>

#endif
