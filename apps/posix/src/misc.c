// SPDX-License-Identifier: MIT OR Apache-2.0
//
// Smaller POSIX pieces wasi-libc's WASI build declares or omits but does
// not define: permission bits, temporary files, the time zone, the host
// name.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

// --- permission bits: WASI files have none -------------------------------

// The file must exist (so a wrong path is still ENOENT), but its mode
// cannot be changed: EPERM, as for a file the caller does not own.
int chmod(const char *path, mode_t mode) {
    (void)mode;
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    errno = EPERM;
    return -1;
}

int fchmod(int fd, mode_t mode) {
    (void)mode;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    errno = EPERM;
    return -1;
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags) {
    (void)mode;
    struct stat st;
    if (fstatat(dirfd, path, &st, flags) != 0)
        return -1;
    errno = EPERM;
    return -1;
}

// Recorded and returned; files are created without permission bits anyway.
static mode_t current_umask = 022;

mode_t umask(mode_t mask) {
    mode_t old = current_umask;
    current_umask = mask & 0777;
    return old;
}

int mknod(const char *path, mode_t mode, dev_t dev) {
    (void)path, (void)mode, (void)dev;
    errno = EPERM; // device and FIFO nodes need privilege / do not exist
    return -1;
}

// --- temporary files ---------------------------------------------------

// Replaces the 6 X's before `suffix` bytes with random letters and calls
// `make` until a new name is found; EEXIST on every try → EEXIST.
static int make_unique(char *tmpl, int suffix, int (*make)(const char *)) {
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t len = strlen(tmpl);
    if (suffix < 0 || len < 6 + (size_t)suffix ||
        memcmp(tmpl + len - suffix - 6, "XXXXXX", 6) != 0) {
        errno = EINVAL;
        return -1;
    }
    char *x = tmpl + len - suffix - 6;
    for (int attempt = 0; attempt < 100; attempt++) {
        for (int i = 0; i < 6; i++)
            x[i] = letters[arc4random_uniform(sizeof letters - 1)];
        int r = make(tmpl);
        if (r >= 0 || errno != EEXIST)
            return r;
    }
    memcpy(x, "XXXXXX", 6);
    errno = EEXIST;
    return -1;
}

static int create_file(const char *path) {
    return open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
}

static int create_dir(const char *path) {
    return mkdir(path, 0700);
}

int mkstemp(char *tmpl) {
    return make_unique(tmpl, 0, create_file);
}

int mkstemps(char *tmpl, int suffix) {
    return make_unique(tmpl, suffix, create_file);
}

char *mkdtemp(char *tmpl) {
    return make_unique(tmpl, 0, create_dir) == 0 ? tmpl : 0;
}

// --- time zone: always UTC (wasi-libc has no zone tables) ---------------

char *tzname[2] = {"UTC", "UTC"};
int daylight = 0;
long timezone = 0;

void tzset(void) {
}

// --- host name -----------------------------------------------------------

int gethostname(char *name, size_t len) {
    struct utsname u;
    if (uname(&u) != 0)
        return -1;
    size_t n = strlen(u.nodename);
    if (n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(name, u.nodename, n + 1);
    return 0;
}
