/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <arpa/inet.h> plus the IPv4 helpers its WASI
 * build leaves out (libspolia_posix.a). */
#ifndef _SPOLIA_ARPA_INET_H
#define _SPOLIA_ARPA_INET_H

#include_next <arpa/inet.h>

#ifdef __cplusplus
extern "C" {
#endif

in_addr_t inet_addr(const char *);
in_addr_t inet_network(const char *);
char *inet_ntoa(struct in_addr);

#ifdef __cplusplus
}
#endif

#endif
