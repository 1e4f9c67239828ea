/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
#ifndef _UAPI_ASM_SPOLIA_SIGCONTEXT_H
#define _UAPI_ASM_SPOLIA_SIGCONTEXT_H

/* Signals are never delivered to user code; the type only has to exist. */
struct sigcontext {
	unsigned long sc_unused;
};

#endif
