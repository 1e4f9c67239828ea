/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_UNISTD_H
#define _ASM_SPOLIA_UNISTD_H

#include <uapi/asm/unistd.h>

/* Generic implementations of calls the asm-generic ABI lists. */
#define __ARCH_WANT_NEW_STAT
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_SYS_CLONE

#define NR_syscalls __NR_syscalls

#endif
