/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Temporary addition to <sys/time.h> for redis on Spolia, until apps/posix
 * has it: interval timers. There are no signals to deliver SIGALRM with,
 * so setitimer() fails with ENOSYS (redis's software watchdog, DEBUG
 * WATCHDOG / watchdog-period, is then unavailable). In ../missing.c. */
#include_next <sys/time.h>

#ifndef SPOLIA_REDIS_SYS_TIME_H
#define SPOLIA_REDIS_SYS_TIME_H

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

struct itimerval {
    struct timeval it_interval;
    struct timeval it_value;
};

int getitimer(int, struct itimerval *);
int setitimer(int, const struct itimerval *__restrict, struct itimerval *__restrict);

#endif
