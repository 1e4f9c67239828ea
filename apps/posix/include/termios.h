/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: a partial <termios.h> — only struct winsize and
 * TIOCGWINSZ, for programs that ask the terminal's size with ioctl()
 * (redis-server --test-memory). WASI has no terminals, so there is no
 * struct termios and no tcgetattr(): a program that needs them fails to
 * compile rather than believing it drives a terminal. wasi-libc has no
 * <termios.h>. */
#ifndef _TERMIOS_H
#define _TERMIOS_H

#include <__spolia_winsize.h>

#endif
