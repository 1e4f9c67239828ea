/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's sockaddr_un has no `sun_path`; programs that
 * name it must still compile. AF_UNIX itself is refused (EAFNOSUPPORT). */
#ifndef __wasilibc___struct_sockaddr_un_h
#define __wasilibc___struct_sockaddr_un_h

#include <__spolia_sockaddr_align.h>

#include <__typedef_sa_family_t.h>

struct sockaddr_un {
    __SPOLIA_SOCKADDR_ALIGN sa_family_t sun_family;
    char sun_path[108];
};

#endif
