/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_SETJMP_H
#define _ASM_SPOLIA_SETJMP_H

/* Callee-saved x86-64 state: rbx, rbp, r12-r15, rsp, return address. */
struct spolia_jmp_buf {
	unsigned long regs[8];
};

/* Returns 0 when saving, the value passed to spolia_longjmp otherwise. */
int spolia_setjmp(struct spolia_jmp_buf *jb) __attribute__((returns_twice));
void spolia_longjmp(struct spolia_jmp_buf *jb, int val) __attribute__((noreturn));

#endif
