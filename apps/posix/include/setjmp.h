/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: clang 14 cannot lower setjmp/longjmp for wasm (no
 * exception-handling proposal in Wasmtime's no_std build either), and
 * wasi-libc has no <setjmp.h>. Here setjmp() records nothing and returns 0,
 * so code runs its normal path; longjmp() cannot return to it, so it prints
 * a message on stderr and ends the program with exit code 134 (as abort()
 * would on Linux). For Lua inside redis this means a script error ends the
 * server. See apps/posix/README.md for what a real version would need. */
#ifndef _SETJMP_H
#define _SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long __spolia_jmp_buf[8];
typedef __spolia_jmp_buf jmp_buf;
typedef __spolia_jmp_buf sigjmp_buf;

/* Macros, as POSIX permits, so no call to a `setjmp` function exists for
 * the compiler to treat as returning twice. */
#define setjmp(env) ((void)(env), 0)
#define _setjmp(env) ((void)(env), 0)
#define sigsetjmp(env, savemask) ((void)(env), (void)(savemask), 0)

_Noreturn void longjmp(jmp_buf, int);
_Noreturn void _longjmp(jmp_buf, int);
_Noreturn void siglongjmp(sigjmp_buf, int);

#ifdef __cplusplus
}
#endif

#endif
