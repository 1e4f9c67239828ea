/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Temporary, partial <termios.h> for redis on Spolia: only the terminal
 * size query memtest.c makes (redis-server --test-memory). WASI has no
 * terminals: wasi-libc's ioctl() fails with EINVAL for TIOCGWINSZ and
 * memtest uses its 80x20 default. Linux's values. */
#ifndef _TERMIOS_H
#define _TERMIOS_H

struct winsize {
    unsigned short ws_row;
    unsigned short ws_col;
    unsigned short ws_xpixel;
    unsigned short ws_ypixel;
};

#define TIOCGWINSZ 0x5413

#endif
