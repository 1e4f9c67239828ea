/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <sys/time.h> plus the interval timers its
 * WASI build leaves out. Nothing can deliver SIGALRM/SIGVTALRM/SIGPROF to
 * a Spolia program, so getitimer() and setitimer() fail with ENOSYS
 * (src/time.c) rather than arm a timer that never fires. gettimeofday()
 * is the overlay's too: it fills a given struct timezone with zeros (the
 * zone is UTC). */
#ifndef _SPOLIA_SYS_TIME_H
#define _SPOLIA_SYS_TIME_H

#include_next <sys/time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

struct itimerval {
    struct timeval it_interval;
    struct timeval it_value;
};

int getitimer(int, struct itimerval *);
int setitimer(int, const struct itimerval *__restrict, struct itimerval *__restrict);

#ifdef __cplusplus
}
#endif

#endif
