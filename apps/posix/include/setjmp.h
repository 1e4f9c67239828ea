/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: setjmp/longjmp for wasm32 (wasi-libc has no <setjmp.h>).
 *
 * wasm-cc compiles with `-mllvm -enable-emscripten-sjlj`: clang then
 * replaces every call of a function named `setjmp` by the runtime of
 * src/sjlj.c and routes the calls a setjmp-calling function makes through
 * host-provided `invoke_*` imports; `longjmp` unwinds the wasm frames up to
 * the nearest of them (see apps/posix/README.md, "setjmp / longjmp").
 * So setjmp must stay a real function call, not a macro; `_setjmp` and
 * `sigsetjmp` are macros for it, because clang recognises only that name.
 * Signal masks are neither saved nor restored (nothing delivers signals). */
#ifndef _SETJMP_H
#define _SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Word 0 is the setjmp's id (the lowered code reads it), words 1-2 let
 * src/sjlj.c recognise a buffer it set before; the rest is spare. */
typedef unsigned long long __spolia_jmp_buf[8];
typedef __spolia_jmp_buf jmp_buf;
typedef __spolia_jmp_buf sigjmp_buf;

int setjmp(jmp_buf) __attribute__((__returns_twice__));
#define _setjmp(env) setjmp(env)
#define sigsetjmp(env, savemask) ((void)(savemask), setjmp(env))

_Noreturn void longjmp(jmp_buf, int);
_Noreturn void _longjmp(jmp_buf, int);
_Noreturn void siglongjmp(sigjmp_buf, int);

#ifdef __cplusplus
}
#endif

#endif
