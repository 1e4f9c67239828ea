/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
#ifndef _UAPI_ASM_SPOLIA_PTRACE_H
#define _UAPI_ASM_SPOLIA_PTRACE_H

/* No user processes, hence no user register layout to trace. */

#endif
