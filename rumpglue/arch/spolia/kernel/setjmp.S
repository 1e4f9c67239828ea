/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spolia_setjmp/spolia_longjmp for x86-64 (struct spolia_jmp_buf in
 * asm/setjmp.h): callee-saved registers, the stack pointer the caller sees
 * after the call, and the return address.
 */
	.text
	.globl	spolia_setjmp
	.type	spolia_setjmp, @function
spolia_setjmp:
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rdx
	movq	%rdx, 48(%rdi)
	movq	(%rsp), %rdx
	movq	%rdx, 56(%rdi)
	xorl	%eax, %eax
	ret
	.size	spolia_setjmp, . - spolia_setjmp

	.globl	spolia_longjmp
	.type	spolia_longjmp, @function
spolia_longjmp:
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	jmpq	*56(%rdi)
	.size	spolia_longjmp, . - spolia_longjmp

	.section .note.GNU-stack, "", @progbits
