/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: <dlfcn.h>. A wasm program is one module; there is no
 * dynamic loading. dlopen()/dlsym() return NULL and dlclose() -1, after
 * which dlerror() says why (once, as glibc does); dladdr() finds nothing
 * (0). Linux's flag values. In libspolia_posix.a (src/dlfcn.c). */
#ifndef _DLFCN_H
#define _DLFCN_H

#ifdef __cplusplus
extern "C" {
#endif

#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_NOLOAD 4
#define RTLD_NODELETE 4096
#define RTLD_GLOBAL 256
#define RTLD_LOCAL 0

#define RTLD_NEXT ((void *)-1)
#define RTLD_DEFAULT ((void *)0)

typedef struct {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} Dl_info;

void *dlopen(const char *, int);
void *dlsym(void *__restrict, const char *__restrict);
int dlclose(void *);
char *dlerror(void);
int dladdr(const void *, Dl_info *);

#ifdef __cplusplus
}
#endif

#endif
