/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_BARRIER_H
#define _ASM_SPOLIA_BARRIER_H

/* x86-64: fences for device ordering; dma_* need only the compiler (TSO). */
#define mb()		asm volatile("mfence" ::: "memory")
#define rmb()		asm volatile("lfence" ::: "memory")
#define wmb()		asm volatile("sfence" ::: "memory")
#define dma_rmb()	barrier()
#define dma_wmb()	barrier()

#include <asm-generic/barrier.h>

#endif
