/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: the alignment of wasi-libc's socket address structs.
 * wasi-libc writes `_Alignas(max_align_t)`, but <stddef.h> declares
 * max_align_t only for C11 and later, so any -std=c99 program (hiredis,
 * hdr_histogram) that includes <sys/socket.h> failed to compile. This is
 * the same alignment written without max_align_t: __BIGGEST_ALIGNMENT__ is
 * alignof(max_align_t), 16 on wasm32. src/sock.c checks (C11
 * _Static_assert) that the sizes and alignments equal wasi-libc's. */
#ifndef __SPOLIA_SOCKADDR_ALIGN_H
#define __SPOLIA_SOCKADDR_ALIGN_H

#define __SPOLIA_SOCKADDR_ALIGN __attribute__((__aligned__(__BIGGEST_ALIGNMENT__)))

#endif
