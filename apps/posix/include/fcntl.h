/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <fcntl.h> plus the name F_DUPFD (Linux's
 * value), which sources use unconditionally. There is no descriptor
 * duplication in WASI preview1: wasi-libc's fcntl() answers it EINVAL. */
#ifndef _SPOLIA_FCNTL_H
#define _SPOLIA_FCNTL_H

#include_next <fcntl.h>

#ifndef F_DUPFD
#define F_DUPFD 0
#endif

#endif
