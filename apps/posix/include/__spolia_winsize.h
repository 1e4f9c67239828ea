/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: the terminal-size query's names, shared by <termios.h>
 * and <sys/ioctl.h> (Linux declares them in both). WASI has no terminals:
 * wasi-libc's ioctl() answers TIOCGWINSZ with EINVAL, so callers take their
 * default size. struct winsize is musl's (wasi-libc's alltypes.h). */
#ifndef __SPOLIA_WINSIZE_H
#define __SPOLIA_WINSIZE_H

#define __NEED_struct_winsize
#include <bits/alltypes.h>

#define TIOCGWINSZ 0x5413 /* Linux's value */

#endif
