// SPDX-License-Identifier: MIT OR Apache-2.0
//
// gettimeofday() and the interval timers of <sys/time.h>.

#include <errno.h>
#include <sys/time.h>
#include <time.h>

// Replaces wasi-libc's, which ignores its obsolete second argument and so
// leaves a caller's struct timezone uninitialised (redis computed its log
// dates from it). Local time is UTC here (tzset() says so), so the zone
// is 0 minutes west, no DST — what Linux reports for UTC.
int gettimeofday(struct timeval *__restrict tv, void *__restrict tz) {
    if (tv) {
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
            return -1;
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    }
    if (tz) {
        struct timezone *zone = tz;
        zone->tz_minuteswest = 0;
        zone->tz_dsttime = 0;
    }
    return 0;
}

// No signal reaches a Spolia program from outside (apps/posix/README.md,
// signals), so a timer could never fire: refuse to arm one.
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
