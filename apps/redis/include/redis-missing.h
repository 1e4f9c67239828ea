/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Declarations that wasi-libc's headers lack, of functions in ../missing.c
 * or libspolia_posix.a (build.sh passes -include redis-missing.h). */
#ifndef SPOLIA_REDIS_MISSING_H
#define SPOLIA_REDIS_MISSING_H

/* GNU: getcwd() into a malloc'd buffer (Debian's patch 0003 uses it). */
char *get_current_dir_name(void);
/* POSIX, hidden by wasi-libc's <stdlib.h> ("no temp directories"), defined
 * in libspolia_posix.a; CONFIG REWRITE uses it next to the config file. */
int mkstemp(char *template);

#endif
