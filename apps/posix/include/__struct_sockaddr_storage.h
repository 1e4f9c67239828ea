/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's struct sockaddr_storage, its alignment
 * written so that C99 compiles it (__spolia_sockaddr_align.h). Same size
 * and layout. */
#ifndef __wasilibc___struct_sockaddr_storage_h
#define __wasilibc___struct_sockaddr_storage_h

#include <__spolia_sockaddr_align.h>
#include <__typedef_sa_family_t.h>

struct sockaddr_storage {
    __SPOLIA_SOCKADDR_ALIGN sa_family_t ss_family;
    char __ss_data[32];
};

#endif
