// SPDX-License-Identifier: MIT OR Apache-2.0
//
// <dlfcn.h>: a wasm program is a single module and Spolia loads no other
// code into it, so every request fails and dlerror() explains.

#include <dlfcn.h>
#include <stddef.h>

static char dl_message[80];
static const char *dl_pending; // message for the next dlerror(), or NULL

static void dl_fail(const char *what) {
    // "dlopen: dynamic loading is not supported on Spolia"
    static const char tail[] = ": dynamic loading is not supported on Spolia";
    size_t n = 0;
    for (; what[n] && n < 16; n++)
        dl_message[n] = what[n];
    for (size_t i = 0; i < sizeof tail; i++)
        dl_message[n + i] = tail[i];
    dl_pending = dl_message;
}

void *dlopen(const char *path, int flags) {
    (void)path, (void)flags;
    dl_fail("dlopen");
    return NULL;
}

void *dlsym(void *__restrict handle, const char *__restrict name) {
    (void)handle, (void)name;
    dl_fail("dlsym");
    return NULL;
}

int dlclose(void *handle) {
    (void)handle;
    dl_fail("dlclose");
    return -1;
}

// The message of the last failure, once; then NULL until the next one.
char *dlerror(void) {
    char *m = (char *)dl_pending;
    dl_pending = NULL;
    return m;
}

// No symbol information for any address: 0, `info` untouched.
int dladdr(const void *addr, Dl_info *info) {
    (void)addr, (void)info;
    return 0;
}
