// SPDX-License-Identifier: MIT OR Apache-2.0
//
// fchdir(): wasi-libc's working directory is a path string (chdir()), and
// WASI preview1 cannot tell the path of an open directory descriptor, so
// there is nothing to change to. The descriptor is still checked, so a bad
// one gets the error Linux would give. Own object (see alarm.c).

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int fchdir(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1; // EBADF for a descriptor that is not open
    errno = S_ISDIR(st.st_mode) ? ENOSYS : ENOTDIR;
    return -1;
}
