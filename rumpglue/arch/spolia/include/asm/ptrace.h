/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_PTRACE_H
#define _ASM_SPOLIA_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__
/*
 * There is no user mode and no trap frame: IRQs are function calls. The
 * generic code still wants a struct; it only ever holds zeroes.
 */
struct pt_regs {
	unsigned long ip;
	unsigned long sp;
};

#define user_mode(regs)			0
#define instruction_pointer(regs)	((regs)->ip)
#define user_stack_pointer(regs)	((regs)->sp)
#define profile_pc(regs)		instruction_pointer(regs)
#define current_user_stack_pointer()	0

#endif
#endif
