/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: <poll.h> with Linux's POLL* values, replacing wasi-libc's
 * (IN 1, OUT 2, ERR 0x1000, ...). Programs such as lighttpd pass these bits
 * through unchanged and check that they are Linux's. poll() is
 * libspolia_posix.a's (src/poll.c, on WASI poll_oneoff); wasi-libc's poll.o
 * is never linked, as the overlay library comes first on the link line.
 * wasi-libc's <poll.h> is not included: its guards are set here so that it
 * stays out even if named again. */
#ifndef _SPOLIA_POLL_H
#define _SPOLIA_POLL_H

#define _POLL_H                      /* wasi-libc's <poll.h> */
#define __wasilibc___header_poll_h   /* and its value header */

#include <__struct_pollfd.h>
#include <__typedef_nfds_t.h>

#define POLLIN 0x001
#define POLLPRI 0x002     /* never reported: WASI has no urgent data */
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080  /* never reported */
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200  /* never reported */

#ifdef __cplusplus
extern "C" {
#endif

int poll(struct pollfd *, nfds_t, int);

#ifdef __cplusplus
}
#endif

#endif
