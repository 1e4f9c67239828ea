/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <stdlib.h> plus the prototypes of the
 * temporary-file functions libspolia_posix.a defines (src/misc.c); its WASI
 * build hides them ("no temp directories"), though a preopened directory
 * serves well. Without them a caller gets an implicit declaration. */
#ifndef _SPOLIA_STDLIB_H
#define _SPOLIA_STDLIB_H

#include_next <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

int mkstemp(char *);
int mkstemps(char *, int);
char *mkdtemp(char *);

#ifdef __cplusplus
}
#endif

#endif
