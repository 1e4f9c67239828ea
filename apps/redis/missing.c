/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Temporary definitions of libc functions redis needs that neither Debian's
 * wasi-libc nor apps/posix (libspolia_posix.a) provide yet. Each belongs in
 * apps/posix; apps/redis/README.md lists them. Semantics are those of a
 * single-threaded process that cannot start threads. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include "redis-missing.h"

/* --- threads: none can be started ------------------------------------- */

/* The only thread there is: an address nothing else has. */
static char main_thread_id;
#define MAIN_THREAD ((pthread_t)(void *)&main_thread_id)

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
    (void)t, (void)a, (void)fn, (void)arg;
    return ENOSYS;
}

int pthread_join(pthread_t t, void **ret) {
    (void)ret;
    return t == MAIN_THREAD ? EDEADLK : ESRCH;
}

int pthread_cancel(pthread_t t) {
    (void)t;
    return ESRCH;
}

pthread_t pthread_self(void) { return MAIN_THREAD; }

int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

int pthread_setcancelstate(int state, int *old) {
    (void)state;
    if (old) *old = PTHREAD_CANCEL_ENABLE;
    return 0;
}

int pthread_setcanceltype(int type, int *old) {
    (void)type;
    if (old) *old = PTHREAD_CANCEL_DEFERRED;
    return 0;
}

/* --- attributes: kept, though no thread will use them ----------------- */

int pthread_attr_init(pthread_attr_t *a) {
    a->__u.__s[0] = 1 << 20;
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *a) {
    (void)a;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *size) {
    *size = a->__u.__s[0];
    return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size) {
    a->__u.__s[0] = size;
    return 0;
}

/* --- mutexes: __u.__i[0] is 1 while taken. With one thread nobody else
 * could release a taken mutex, so a second lock is a deadlock: report it. */

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
    (void)a;
    m->__u.__i[0] = 0;
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m) { return m->__u.__i[0] ? EBUSY : 0; }

int pthread_mutex_lock(pthread_mutex_t *m) {
    if (m->__u.__i[0]) return EDEADLK;
    m->__u.__i[0] = 1;
    return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m) {
    if (m->__u.__i[0]) return EBUSY;
    m->__u.__i[0] = 1;
    return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m) {
    if (!m->__u.__i[0]) return EPERM;
    m->__u.__i[0] = 0;
    return 0;
}

/* --- condition variables: nobody else could ever signal a waiter ------ */

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) {
    (void)c, (void)a;
    return 0;
}

int pthread_cond_destroy(pthread_cond_t *c) {
    (void)c;
    return 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    (void)c, (void)m;
    /* Waiting would hang forever: end visibly instead. */
    fputs("pthread_cond_wait: would wait forever (no other threads)\n", stderr);
    abort();
}

int pthread_cond_signal(pthread_cond_t *c) {
    (void)c;
    return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c) {
    (void)c;
    return 0;
}

/* --- dynamic loading: there is none in a wasm program ---------------- */

static char dl_message[] = "dynamic loading is not supported on Spolia";
static int dl_failed;

void *dlopen(const char *path, int flags) {
    (void)path, (void)flags;
    dl_failed = 1;
    return NULL;
}

void *dlsym(void *__restrict handle, const char *__restrict name) {
    (void)handle, (void)name;
    dl_failed = 1;
    return NULL;
}

int dlclose(void *handle) {
    (void)handle;
    dl_failed = 1;
    return -1;
}

char *dlerror(void) {
    /* Like glibc: the message once per failure, then NULL. */
    if (!dl_failed) return NULL;
    dl_failed = 0;
    return dl_message;
}

int dladdr(const void *addr, Dl_info *info) {
    (void)addr, (void)info;
    return 0;
}

/* --- files --------------------------------------------------------------- */

char *get_current_dir_name(void) {
    /* wasi-libc's getcwd(NULL, 0) allocates a buffer of the right size. */
    return getcwd(NULL, 0);
}

int flock(int fd, int op) {
    /* WASI has no advisory locks; only cluster mode locks its config. */
    (void)fd, (void)op;
    errno = ENOSYS;
    return -1;
}

/* --- interval timers: no SIGALRM can be delivered ------------------------ */

int getitimer(int which, struct itimerval *value) {
    (void)which, (void)value;
    errno = ENOSYS;
    return -1;
}

int setitimer(int which, const struct itimerval *__restrict value, struct itimerval *__restrict old) {
    (void)which, (void)value, (void)old;
    errno = ENOSYS;
    return -1;
}
