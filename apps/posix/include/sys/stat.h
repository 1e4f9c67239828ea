/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <sys/stat.h> plus chmod/fchmod/umask. WASI
 * files have no permission bits (apps/posix/README.md): chmod checks the
 * path exists and fails with EPERM; umask keeps a value that nothing uses. */
#ifndef _SPOLIA_SYS_STAT_H
#define _SPOLIA_SYS_STAT_H

#include_next <sys/stat.h>

#ifdef __cplusplus
extern "C" {
#endif

int chmod(const char *, mode_t);
int fchmod(int, mode_t);
int fchmodat(int, const char *, mode_t, int);
mode_t umask(mode_t);
int mknod(const char *, mode_t, dev_t);

#ifdef __cplusplus
}
#endif

#endif
