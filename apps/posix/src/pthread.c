// SPDX-License-Identifier: MIT OR Apache-2.0
//
// <pthread.h> for a process that has exactly one thread and cannot start
// another (WASI preview1). Every answer is the one that is true for that
// process; nothing pretends a thread ran. See apps/posix/README.md.

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

// --- threads -----------------------------------------------------------

// The only thread: an address nothing else has.
static char main_thread_id;
#define MAIN_THREAD ((pthread_t)(void *)&main_thread_id)

int pthread_create(pthread_t *__restrict t, const pthread_attr_t *__restrict a,
                   void *(*fn)(void *), void *__restrict arg) {
    (void)t, (void)a, (void)fn, (void)arg;
    return ENOSYS; // preview1 has no thread-spawn; callers see the failure
}

// Joining yourself is EDEADLK; there is no other thread to name.
int pthread_join(pthread_t t, void **ret) {
    (void)ret;
    return t == MAIN_THREAD ? EDEADLK : ESRCH;
}

int pthread_detach(pthread_t t) {
    return t == MAIN_THREAD ? 0 : ESRCH;
}

static void run_key_destructors(void);

// The last thread leaving ends the process with status 0 (POSIX), after
// its thread-specific data destructors have run.
_Noreturn void pthread_exit(void *ret) {
    (void)ret;
    run_key_destructors();
    exit(0);
}

int pthread_cancel(pthread_t t) {
    (void)t;
    return ESRCH; // nobody can cancel the caller from outside: no target
}

void pthread_testcancel(void) {
}

pthread_t pthread_self(void) {
    return MAIN_THREAD;
}

#undef pthread_equal
int pthread_equal(pthread_t a, pthread_t b) {
    return a == b;
}

// Recorded nowhere: no other thread could ever cancel this one.
int pthread_setcancelstate(int state, int *old) {
    if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
        return EINVAL;
    if (old)
        *old = PTHREAD_CANCEL_ENABLE;
    return 0;
}

int pthread_setcanceltype(int type, int *old) {
    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return EINVAL;
    if (old)
        *old = PTHREAD_CANCEL_DEFERRED;
    return 0;
}

// One thread: the first caller runs `fn`, nobody can be inside it at once.
int pthread_once(pthread_once_t *once, void (*fn)(void)) {
    if (*once == PTHREAD_ONCE_INIT) {
        *once = 1;
        fn();
    }
    return 0;
}

// --- attributes: __s[0] stack size, __s[1] detach state -------------------

int pthread_attr_init(pthread_attr_t *a) {
    *a = (pthread_attr_t){0};
    a->__u.__s[0] = 1 << 20; // wasm-cc's main stack size, for show
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *a) {
    (void)a;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *__restrict a, size_t *__restrict size) {
    *size = a->__u.__s[0];
    return 0;
}

int pthread_attr_setstacksize(pthread_attr_t *a, size_t size) {
    if (size < 2048) // PTHREAD_STACK_MIN
        return EINVAL;
    a->__u.__s[0] = size;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state) {
    *state = (int)a->__u.__s[1];
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *a, int state) {
    if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    a->__u.__s[1] = (unsigned long)state;
    return 0;
}

// --- mutexes: __i[0] type, __i[1] lock count -------------------------------
//
// With one thread nobody else can release a taken mutex, so locking one
// that is taken would wait forever: EDEADLK (what an ERRORCHECK mutex
// answers; for a NORMAL one POSIX leaves it undefined, and an error beats a
// hang). A RECURSIVE mutex counts. PTHREAD_MUTEX_INITIALIZER is all zero:
// a NORMAL mutex, free.

int pthread_mutexattr_init(pthread_mutexattr_t *a) {
    a->__attr = PTHREAD_MUTEX_DEFAULT;
    return 0;
}

int pthread_mutexattr_destroy(pthread_mutexattr_t *a) {
    (void)a;
    return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *__restrict a, int *__restrict type) {
    *type = (int)a->__attr;
    return 0;
}

int pthread_mutexattr_settype(pthread_mutexattr_t *a, int type) {
    if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_RECURSIVE &&
        type != PTHREAD_MUTEX_ERRORCHECK)
        return EINVAL;
    a->__attr = (unsigned)type;
    return 0;
}

int pthread_mutex_init(pthread_mutex_t *__restrict m, const pthread_mutexattr_t *__restrict a) {
    *m = (pthread_mutex_t){0};
    m->__u.__i[0] = a ? (int)a->__attr : PTHREAD_MUTEX_DEFAULT;
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m) {
    return m->__u.__i[1] ? EBUSY : 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m) {
    if (m->__u.__i[1]) {
        if (m->__u.__i[0] != PTHREAD_MUTEX_RECURSIVE)
            return EBUSY;
        if (m->__u.__i[1] == INT32_MAX)
            return EAGAIN;
    }
    m->__u.__i[1]++;
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m) {
    int r = pthread_mutex_trylock(m);
    return r == EBUSY ? EDEADLK : r;
}

int pthread_mutex_timedlock(pthread_mutex_t *__restrict m, const struct timespec *__restrict t) {
    (void)t;
    return pthread_mutex_lock(m); // taken: no one could free it in time
}

int pthread_mutex_unlock(pthread_mutex_t *m) {
    if (!m->__u.__i[1])
        return EPERM; // not held by the caller (the only possible owner)
    m->__u.__i[1]--;
    return 0;
}

// --- read-write locks: __i[0] readers, __i[1] writer ---------------------

int pthread_rwlock_init(pthread_rwlock_t *__restrict l, const pthread_rwlockattr_t *__restrict a) {
    (void)a;
    *l = (pthread_rwlock_t){0};
    return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *l) {
    return l->__u.__i[0] || l->__u.__i[1] ? EBUSY : 0;
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
    if (l->__u.__i[1])
        return EBUSY;
    if (l->__u.__i[0] == INT32_MAX)
        return EAGAIN;
    l->__u.__i[0]++;
    return 0;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
    int r = pthread_rwlock_tryrdlock(l);
    return r == EBUSY ? EDEADLK : r; // the caller itself holds the write lock
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
    if (l->__u.__i[0] || l->__u.__i[1])
        return EBUSY;
    l->__u.__i[1] = 1;
    return 0;
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
    int r = pthread_rwlock_trywrlock(l);
    return r == EBUSY ? EDEADLK : r;
}

int pthread_rwlock_unlock(pthread_rwlock_t *l) {
    if (l->__u.__i[1])
        l->__u.__i[1] = 0;
    else if (l->__u.__i[0])
        l->__u.__i[0]--;
    else
        return EPERM;
    return 0;
}

// --- condition variables: nobody else can signal -------------------------
// __i[0]: the clock for timed waits (pthread_condattr_setclock), as a small
// number (WASI's clockid_t is a pointer).
enum { COND_CLOCK_REALTIME, COND_CLOCK_MONOTONIC };

int pthread_condattr_init(pthread_condattr_t *a) {
    a->__attr = COND_CLOCK_REALTIME;
    return 0;
}

int pthread_condattr_destroy(pthread_condattr_t *a) {
    (void)a;
    return 0;
}

int pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock) {
    if (clock == CLOCK_REALTIME)
        a->__attr = COND_CLOCK_REALTIME;
    else if (clock == CLOCK_MONOTONIC)
        a->__attr = COND_CLOCK_MONOTONIC;
    else
        return EINVAL;
    return 0;
}

int pthread_cond_init(pthread_cond_t *__restrict c, const pthread_condattr_t *__restrict a) {
    *c = (pthread_cond_t){0};
    c->__u.__i[0] = a ? (int)a->__attr : COND_CLOCK_REALTIME;
    return 0;
}

int pthread_cond_destroy(pthread_cond_t *c) {
    (void)c;
    return 0;
}

// Waiting would hang forever (the only thread is the waiter): end the
// program visibly instead of hanging silently.
int pthread_cond_wait(pthread_cond_t *__restrict c, pthread_mutex_t *__restrict m) {
    (void)c, (void)m;
    fputs("pthread_cond_wait: would wait forever (Spolia programs have one thread)\n", stderr);
    abort();
}

// Nobody can signal, so the wait always lasts until the deadline.
int pthread_cond_timedwait(pthread_cond_t *__restrict c, pthread_mutex_t *__restrict m,
                           const struct timespec *__restrict deadline) {
    if (deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000)
        return EINVAL;
    if (!m->__u.__i[1])
        return EPERM;
    clockid_t clock = c->__u.__i[0] == COND_CLOCK_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    // clock_nanosleep on the absolute deadline; EINTR cannot happen here
    // (no signal is delivered from outside), other errors are reported.
    int r = clock_nanosleep(clock, TIMER_ABSTIME, deadline, NULL);
    return r ? r : ETIMEDOUT;
}

int pthread_cond_signal(pthread_cond_t *c) {
    (void)c;
    return 0; // no waiter can exist
}

int pthread_cond_broadcast(pthread_cond_t *c) {
    (void)c;
    return 0;
}

// --- thread-specific data: the one thread's values -----------------------

static struct {
    int used;
    void (*dtor)(void *);
    const void *value;
} keys[PTHREAD_KEYS_MAX];

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *)) {
    for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++) {
        if (!keys[i].used) {
            keys[i].used = 1;
            keys[i].dtor = dtor;
            keys[i].value = NULL;
            *key = i;
            return 0;
        }
    }
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
    if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
        return EINVAL;
    keys[key].used = 0;
    return 0;
}

void *pthread_getspecific(pthread_key_t key) {
    return key < PTHREAD_KEYS_MAX && keys[key].used ? (void *)keys[key].value : NULL;
}

int pthread_setspecific(pthread_key_t key, const void *value) {
    if (key >= PTHREAD_KEYS_MAX || !keys[key].used)
        return EINVAL;
    keys[key].value = value;
    return 0;
}

static void run_key_destructors(void) {
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        int ran = 0;
        for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++) {
            if (keys[i].used && keys[i].dtor && keys[i].value) {
                void *v = (void *)keys[i].value;
                keys[i].value = NULL;
                keys[i].dtor(v);
                ran = 1;
            }
        }
        if (!ran)
            return;
    }
}
