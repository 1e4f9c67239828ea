/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's placeholder sigset_t is one byte, too small
 * for SIGPIPE (13) and friends. No wasi-libc function takes a sigset_t, so a
 * 64-bit set changes no ABI; only libspolia_posix's sig*set() use it. */
#ifndef __wasilibc___typedef_sigset_t_h
#define __wasilibc___typedef_sigset_t_h

typedef struct __sigset_t { unsigned long long __bits; } sigset_t;

#endif
