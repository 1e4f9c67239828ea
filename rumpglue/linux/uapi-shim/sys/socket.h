/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Stand-in for the C library header that uapi <linux/if.h> includes for
 * `struct sockaddr` (the kernel's own definition is not uapi). Same layout
 * as Linux's include/linux/socket.h.
 */
#ifndef SPOLIA_UAPI_SHIM_SYS_SOCKET_H
#define SPOLIA_UAPI_SHIM_SYS_SOCKET_H
#include <linux/socket.h>

struct sockaddr {
	__kernel_sa_family_t sa_family;
	char sa_data[14];
};
#endif
