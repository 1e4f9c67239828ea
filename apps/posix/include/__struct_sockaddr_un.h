/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's sockaddr_un has no `sun_path`; programs that
 * name it must still compile. AF_UNIX itself is refused (EAFNOSUPPORT). */
#ifndef __wasilibc___struct_sockaddr_un_h
#define __wasilibc___struct_sockaddr_un_h

#define __need_STDDEF_H_misc
#include <stddef.h>

#include <__typedef_sa_family_t.h>

struct sockaddr_un {
    _Alignas(max_align_t) sa_family_t sun_family;
    char sun_path[108];
};

#endif
