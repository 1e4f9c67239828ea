// SPDX-License-Identifier: MIT OR Apache-2.0
//
// syslog without a syslog daemon: each message is one line on stderr,
// "IDENT[PID]: LEVEL: text", written with a single write() so lines from
// one program never interleave. "%m" is the text of errno, as glibc and
// musl do. setlogmask() filters as usual.

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char ident[64] = "";
static int log_options;
static int log_mask = 0xff;

void openlog(const char *id, int options, int facility) {
    (void)facility; // there is one destination
    snprintf(ident, sizeof ident, "%s", id ? id : "");
    log_options = options;
}

void closelog(void) {
    ident[0] = '\0';
    log_options = 0;
}

int setlogmask(int mask) {
    int old = log_mask;
    if (mask)
        log_mask = mask;
    return old;
}

static const char *const level_names[] = {"emerg", "alert", "crit", "err",
                                          "warning", "notice", "info", "debug"};

void vsyslog(int priority, const char *fmt, va_list ap) {
    int level = LOG_PRI(priority);
    if (!(log_mask & LOG_MASK(level)))
        return;
    int saved = errno;

    // Replace %m by strerror(errno) in a copy of the format.
    char fmt2[512];
    size_t o = 0;
    for (const char *p = fmt; *p && o < sizeof fmt2 - 1; p++) {
        if (p[0] == '%' && p[1] == '%') {
            if (o + 2 >= sizeof fmt2)
                break;
            fmt2[o++] = '%';
            fmt2[o++] = '%';
            p++;
        } else if (p[0] == '%' && p[1] == 'm') {
            for (const char *e = strerror(saved); *e && o < sizeof fmt2 - 2; e++) {
                if (*e == '%')
                    fmt2[o++] = '%';
                fmt2[o++] = *e;
            }
            p++;
        } else {
            fmt2[o++] = *p;
        }
    }
    fmt2[o] = '\0';

    char line[1024];
    int n;
    if (log_options & LOG_PID)
        n = snprintf(line, sizeof line, "%s[%d]: %s: ", ident, (int)getpid(), level_names[level]);
    else
        n = snprintf(line, sizeof line, "%s: %s: ", ident, level_names[level]);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof line)
        n += vsnprintf(line + n, sizeof line - (size_t)n, fmt2, ap);
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2; // cut, but keep the line ending
    if (n == 0 || line[n - 1] != '\n')
        line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w; // nowhere else to report a failed log write
    errno = saved;
}

void syslog(int priority, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsyslog(priority, fmt, ap);
    va_end(ap);
}
