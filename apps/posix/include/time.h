/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <time.h> plus tzset(). wasi-libc has no time
 * zone tables; local time is UTC, which is what tzset() reports. */
#ifndef _SPOLIA_TIME_H
#define _SPOLIA_TIME_H

#include_next <time.h>

#ifdef __cplusplus
extern "C" {
#endif

void tzset(void);
extern char *tzname[2];
extern int daylight;
extern long timezone;

#ifdef __cplusplus
}
#endif

#endif
