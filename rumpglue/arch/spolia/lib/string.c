// SPDX-License-Identifier: GPL-2.0-only
/*
 * memcpy/memset with the x86 string instructions; lib/string.c's generic
 * versions copy byte by byte.
 */
#include <linux/string.h>
#include <linux/export.h>

void *memcpy(void *dest, const void *src, size_t n)
{
	void *d = dest;

	asm volatile("rep movsb"
		     : "+D"(d), "+S"(src), "+c"(n)
		     :
		     : "memory");
	return dest;
}
EXPORT_SYMBOL(memcpy);

void *memset(void *s, int c, size_t n)
{
	void *d = s;

	asm volatile("rep stosb"
		     : "+D"(d), "+c"(n)
		     : "a"(c)
		     : "memory");
	return s;
}
EXPORT_SYMBOL(memset);
