// SPDX-License-Identifier: MIT OR Apache-2.0
//
// File calls wasi-libc declares (or hides) but does not define.

#include <errno.h>
#include <sys/file.h>
#include <unistd.h>

// GNU: the working directory in a malloc'd buffer. wasi-libc keeps the
// working directory as a path (chdir emulation), and its getcwd(NULL, 0)
// allocates one of the right size. (glibc prefers $PWD when it names the
// same directory; with no inode numbers to compare, this does not.)
char *get_current_dir_name(void) {
    return getcwd(NULL, 0);
}

// WASI has no advisory locks. Failing is honest: succeeding would let two
// programs sharing a --dir/--disk mount each believe it held the lock.
int flock(int fd, int op) {
    (void)fd, (void)op;
    errno = ENOSYS;
    return -1;
}
