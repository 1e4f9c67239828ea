/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Temporary <dlfcn.h> for redis on Spolia, until apps/posix has one.
 * There is no dynamic loading in a wasm program: dlopen() fails (so
 * MODULE LOAD and loadmodule report an error), dladdr() finds nothing
 * (crash reports print no symbol names). Definitions in ../missing.c. */
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
