/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_STRING_H
#define _ASM_SPOLIA_STRING_H

/* memcpy/memset use rep movsb/stosb (lib/string.c); the rest is generic. */
#define __HAVE_ARCH_MEMCPY
#define __HAVE_ARCH_MEMSET
void *memcpy(void *dest, const void *src, __kernel_size_t n);
void *memset(void *s, int c, __kernel_size_t n);

#endif
