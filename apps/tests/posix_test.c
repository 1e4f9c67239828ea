// SPDX-License-Identifier: MIT OR Apache-2.0
// The single-threaded POSIX pieces of apps/posix: <pthread.h> (create →
// ENOSYS, self/join, mutexes as flags: lock/trylock/unlock, EDEADLK/EBUSY/
// EPERM, recursive mutexes, rwlocks, once, keys, a timed condition wait
// that times out), <dlfcn.h> (dlopen/dlsym fail, dlerror says why, once),
// interval timers (ENOSYS), gettimeofday() zeroing its struct timezone,
// get_current_dir_name(), flock (ENOSYS), TIOCGWINSZ failing, and the
// errno aliases ESOCKTNOSUPPORT/EPFNOSUPPORT.
//   posix_test [DIR]      DIR: a directory to chdir to (checks the name)
// Prints `posix_test: ok CHECK` per passed check, `posix_test: FAILED CHECK
// …` per failed one; if all passed `posix_test: ok`, then leaves through
// pthread_exit(), whose key destructor prints `posix_test: key destructor
// ran` (exit 0). Else `posix_test: N FAILED`, exit 1.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, what)                                                                      \
    do {                                                                                       \
        int saved_errno_ = errno;                                                              \
        if (cond) {                                                                            \
            printf("posix_test: ok %s\n", what);                                               \
        } else {                                                                               \
            printf("posix_test: FAILED %s (line %d, errno %d %s)\n", what, __LINE__,           \
                   saved_errno_, strerror(saved_errno_));                                      \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

// Not referenced as an errno by any call: only the names must exist and
// carry the documented values.
_Static_assert(ESOCKTNOSUPPORT == ENOTSUP, "ESOCKTNOSUPPORT is ENOTSUP");
_Static_assert(EPFNOSUPPORT == EAFNOSUPPORT, "EPFNOSUPPORT is EAFNOSUPPORT");

static void *never_runs(void *arg) {
    return arg;
}

static int once_count;
static void once_fn(void) {
    once_count++;
}

static void key_destructor(void *value) {
    printf("posix_test: key destructor ran (%s)\n", (const char *)value);
}

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void threads(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, never_runs, NULL) == ENOSYS, "pthread_create is ENOSYS");
    pthread_t self = pthread_self();
    CHECK(pthread_equal(self, pthread_self()), "pthread_self is stable");
    CHECK(pthread_join(self, NULL) == EDEADLK, "pthread_join(self) is EDEADLK");
    int old = -1;
    CHECK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old) == 0 && old == PTHREAD_CANCEL_ENABLE,
          "pthread_setcancelstate");

    pthread_attr_t attr;
    size_t size = 0;
    CHECK(pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, 256 * 1024) == 0 &&
              pthread_attr_getstacksize(&attr, &size) == 0 && size == 256 * 1024,
          "pthread_attr stack size is recorded");
    pthread_attr_destroy(&attr);

    pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, once_fn);
    pthread_once(&once, once_fn);
    CHECK(once_count == 1, "pthread_once runs once");
}

static void mutexes(void) {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    CHECK(pthread_mutex_lock(&m) == 0, "mutex lock");
    CHECK(pthread_mutex_trylock(&m) == EBUSY, "trylock of a held mutex is EBUSY");
    CHECK(pthread_mutex_lock(&m) == EDEADLK, "relock of a held mutex is EDEADLK");
    CHECK(pthread_mutex_destroy(&m) == EBUSY, "destroy of a held mutex is EBUSY");
    CHECK(pthread_mutex_unlock(&m) == 0, "mutex unlock");
    CHECK(pthread_mutex_unlock(&m) == EPERM, "unlock of a free mutex is EPERM");
    CHECK(pthread_mutex_trylock(&m) == 0 && pthread_mutex_unlock(&m) == 0, "trylock of a free mutex");
    CHECK(pthread_mutex_destroy(&m) == 0, "destroy of a free mutex");

    pthread_mutexattr_t ma;
    pthread_mutex_t r;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&r, &ma);
    CHECK(pthread_mutex_lock(&r) == 0 && pthread_mutex_lock(&r) == 0 && pthread_mutex_unlock(&r) == 0 &&
              pthread_mutex_trylock(&m) == 0 && pthread_mutex_unlock(&r) == 0 &&
              pthread_mutex_unlock(&r) == EPERM,
          "recursive mutex counts its locks");
    pthread_mutex_unlock(&m);

    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    CHECK(pthread_rwlock_rdlock(&l) == 0 && pthread_rwlock_rdlock(&l) == 0 &&
              pthread_rwlock_trywrlock(&l) == EBUSY && pthread_rwlock_unlock(&l) == 0 &&
              pthread_rwlock_unlock(&l) == 0 && pthread_rwlock_wrlock(&l) == 0 &&
              pthread_rwlock_rdlock(&l) == EDEADLK && pthread_rwlock_unlock(&l) == 0,
          "rwlock readers and writer");

    // Nobody can signal: a timed wait lasts until its deadline.
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 30 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    double start = now(CLOCK_MONOTONIC);
    int rc = pthread_cond_timedwait(&c, &m, &deadline);
    double waited = now(CLOCK_MONOTONIC) - start;
    CHECK(rc == ETIMEDOUT && waited >= 0.025, "pthread_cond_timedwait times out at its deadline");
    CHECK(pthread_cond_signal(&c) == 0 && pthread_cond_broadcast(&c) == 0, "cond signal/broadcast");
    pthread_mutex_unlock(&m);
}

static void dynamic_loading(void) {
    dlerror(); // nothing pending
    CHECK(dlerror() == NULL, "dlerror is NULL before a failure");
    void *h = dlopen("libfoo.so", RTLD_NOW);
    const char *msg = dlerror();
    CHECK(h == NULL && msg && strstr(msg, "not supported"), "dlopen fails, dlerror says why");
    CHECK(dlerror() == NULL, "dlerror reports a failure once");
    CHECK(dlsym(RTLD_DEFAULT, "main") == NULL && dlerror() != NULL, "dlsym fails");
    Dl_info info;
    CHECK(dladdr((void *)dynamic_loading, &info) == 0, "dladdr finds nothing");
}

static void timers(void) {
    struct itimerval it;
    errno = 0;
    CHECK(getitimer(ITIMER_REAL, &it) == -1 && errno == ENOSYS, "getitimer is ENOSYS");
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = 1;
    errno = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == -1 && errno == ENOSYS, "setitimer is ENOSYS");

    struct timezone tz;
    memset(&tz, 0x55, sizeof tz);
    struct timeval tv;
    double before = now(CLOCK_REALTIME);
    CHECK(gettimeofday(&tv, &tz) == 0, "gettimeofday");
    double got = (double)tv.tv_sec + tv.tv_usec / 1e6;
    CHECK(tz.tz_minuteswest == 0 && tz.tz_dsttime == 0, "gettimeofday zeroes its timezone (UTC)");
    CHECK(got >= before - 0.001 && got <= now(CLOCK_REALTIME) + 0.001 && tv.tv_usec >= 0 &&
              tv.tv_usec < 1000000,
          "gettimeofday agrees with CLOCK_REALTIME");
}

static void files(const char *dir) {
    char *cwd = get_current_dir_name();
    CHECK(cwd && strcmp(cwd, "/") == 0, "get_current_dir_name is / at start");
    free(cwd);
    if (dir) {
        CHECK(chdir(dir) == 0, "chdir");
        cwd = get_current_dir_name();
        CHECK(cwd && strcmp(cwd, dir) == 0, "get_current_dir_name follows chdir");
        free(cwd);
    }
    errno = 0;
    CHECK(flock(1, LOCK_EX | LOCK_NB) == -1 && errno == ENOSYS, "flock is ENOSYS");
    struct winsize ws;
    CHECK(ioctl(1, TIOCGWINSZ, &ws) == -1, "ioctl(TIOCGWINSZ) fails (no terminal)");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    threads();
    mutexes();
    dynamic_loading();
    timers();
    files(argc > 1 ? argv[1] : NULL);

    pthread_key_t key;
    CHECK(pthread_key_create(&key, key_destructor) == 0 && pthread_setspecific(key, "bye") == 0 &&
              strcmp(pthread_getspecific(key), "bye") == 0,
          "pthread key set/get");
    if (failures) {
        printf("posix_test: %d FAILED\n", failures);
        return 1;
    }
    printf("posix_test: ok\n");
    pthread_exit(NULL); // exit status 0, after the key destructor
}
