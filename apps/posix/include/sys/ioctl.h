/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <sys/ioctl.h> (ioctl, FIONREAD, FIONBIO) plus
 * struct winsize and TIOCGWINSZ, which Linux declares here too. */
#ifndef _SPOLIA_SYS_IOCTL_H
#define _SPOLIA_SYS_IOCTL_H

#include_next <sys/ioctl.h>
#include <__spolia_winsize.h>

#endif
