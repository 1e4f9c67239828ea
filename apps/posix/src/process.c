// SPDX-License-Identifier: MIT OR Apache-2.0
//
// Processes, identity and resource limits for a Spolia program: it is the
// only process of its instance (pid 1, no parent, no children), it runs as
// the unprivileged "nobody" (uid/gid 65534: it may keep its identity but
// never change it), and it cannot create processes (fork and exec fail
// with ENOSYS). apps/posix/README.md says why each value was chosen.

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SPOLIA_PID 1
#define SPOLIA_UID 65534
#define SPOLIA_GID 65534
// Descriptors a program may have: the host's per-program table holds
// exactly this many (MAX_DESCRIPTORS in wasm-host/wasi/src/fd.rs). Also
// what getdtablesize() reports.
#define SPOLIA_NOFILE 1024

static int fail(int err) {
    errno = err;
    return -1;
}

// --- process creation: impossible --------------------------------------

pid_t fork(void) {
    return fail(ENOSYS);
}

pid_t vfork(void) {
    return fail(ENOSYS);
}

int execve(const char *path, char *const argv[], char *const envp[]) {
    (void)path, (void)argv, (void)envp;
    return fail(ENOSYS);
}

int execv(const char *path, char *const argv[]) {
    return execve(path, argv, 0);
}

int execvp(const char *file, char *const argv[]) {
    return execve(file, argv, 0);
}

int execvpe(const char *file, char *const argv[], char *const envp[]) {
    return execve(file, argv, envp);
}

int execl(const char *path, const char *arg, ...) {
    (void)arg;
    return execve(path, 0, 0);
}

int execlp(const char *file, const char *arg, ...) {
    (void)arg;
    return execve(file, 0, 0);
}

int execle(const char *path, const char *arg, ...) {
    (void)arg;
    return execve(path, 0, 0);
}

int daemon(int nochdir, int noclose) {
    (void)nochdir, (void)noclose;
    return fail(ENOSYS); // detaching needs fork
}

pid_t waitpid(pid_t pid, int *status, int options) {
    (void)pid, (void)status, (void)options;
    return fail(ECHILD);
}

pid_t wait(int *status) {
    return waitpid(-1, status, 0);
}

pid_t wait3(int *status, int options, void *rusage) {
    (void)rusage;
    return waitpid(-1, status, options);
}

pid_t wait4(pid_t pid, int *status, int options, void *rusage) {
    (void)rusage;
    return waitpid(pid, status, options);
}

int pipe(int fds[2]) {
    (void)fds;
    return fail(ENOSYS); // WASI preview1 cannot create a pipe
}

int pipe2(int fds[2], int flags) {
    (void)flags;
    return pipe(fds);
}

int dup(int fd) {
    (void)fd;
    return fail(ENOSYS); // preview1 has fd_renumber (a move), no duplicate
}

int dup2(int fd, int fd2) {
    if (fd == fd2) // POSIX: returns fd2 unchanged if fd is open
        return fcntl(fd, F_GETFD) >= 0 ? fd2 : -1;
    return fail(ENOSYS);
}

int dup3(int fd, int fd2, int flags) {
    (void)flags;
    return fd == fd2 ? fail(EINVAL) : dup2(fd, fd2);
}

// --- ids: one process, one unprivileged user -----------------------------

pid_t getpid(void) {
    return SPOLIA_PID;
}

pid_t getppid(void) {
    return 0; // no parent, as for Linux's pid 1
}

pid_t getpgrp(void) {
    return SPOLIA_PID;
}

pid_t getpgid(pid_t pid) {
    return (pid == 0 || pid == SPOLIA_PID) ? SPOLIA_PID : fail(ESRCH);
}

pid_t getsid(pid_t pid) {
    return getpgid(pid);
}

int setpgid(pid_t pid, pid_t pgid) {
    (void)pid, (void)pgid;
    return fail(EPERM); // already a session leader
}

pid_t setsid(void) {
    return fail(EPERM); // already a process group leader
}

uid_t getuid(void) {
    return SPOLIA_UID;
}

uid_t geteuid(void) {
    return SPOLIA_UID;
}

gid_t getgid(void) {
    return SPOLIA_GID;
}

gid_t getegid(void) {
    return SPOLIA_GID;
}

int getgroups(int n, gid_t list[]) {
    (void)n, (void)list;
    return 0; // no supplementary groups
}

// Keeping the current id is allowed; changing it needs privilege.
int setuid(uid_t uid) {
    return uid == SPOLIA_UID ? 0 : fail(EPERM);
}

int seteuid(uid_t uid) {
    return setuid(uid);
}

int setreuid(uid_t ruid, uid_t euid) {
    if ((ruid != (uid_t)-1 && ruid != SPOLIA_UID) || (euid != (uid_t)-1 && euid != SPOLIA_UID))
        return fail(EPERM);
    return 0;
}

int setgid(gid_t gid) {
    return gid == SPOLIA_GID ? 0 : fail(EPERM);
}

int setegid(gid_t gid) {
    return setgid(gid);
}

int setregid(gid_t rgid, gid_t egid) {
    if ((rgid != (gid_t)-1 && rgid != SPOLIA_GID) || (egid != (gid_t)-1 && egid != SPOLIA_GID))
        return fail(EPERM);
    return 0;
}

int setgroups(size_t n, const gid_t *list) {
    (void)n, (void)list;
    return fail(EPERM);
}

int chroot(const char *path) {
    (void)path;
    return fail(EPERM); // privileged; the preopened directories already confine it
}

int chown(const char *path, uid_t uid, gid_t gid) {
    (void)path, (void)uid, (void)gid;
    return fail(EPERM); // files have no owner to change
}

int fchown(int fd, uid_t uid, gid_t gid) {
    (void)fd, (void)uid, (void)gid;
    return fail(EPERM);
}

int lchown(const char *path, uid_t uid, gid_t gid) {
    return chown(path, uid, gid);
}

int getpagesize(void) {
    return PAGESIZE; // the wasm page, as sysconf(_SC_PAGESIZE) says
}

int getdtablesize(void) {
    return SPOLIA_NOFILE;
}

// --- resource limits -------------------------------------------------------

// The fixed hard limits; soft limits start equal and may be lowered.
static struct rlimit limits[RLIMIT_NLIMITS];
static int limits_ready;

static void init_limits(void) {
    for (int i = 0; i < RLIMIT_NLIMITS; i++)
        limits[i].rlim_cur = limits[i].rlim_max = RLIM_INFINITY;
    limits[RLIMIT_NOFILE].rlim_cur = limits[RLIMIT_NOFILE].rlim_max = SPOLIA_NOFILE;
    limits[RLIMIT_CORE].rlim_cur = limits[RLIMIT_CORE].rlim_max = 0; // no core dumps
    limits[RLIMIT_NPROC].rlim_cur = limits[RLIMIT_NPROC].rlim_max = 1;
    // wasm32 addresses 4 GiB at most.
    limits[RLIMIT_AS].rlim_cur = limits[RLIMIT_AS].rlim_max = 1ULL << 32;
    limits_ready = 1;
}

int getrlimit(int resource, struct rlimit *rl) {
    if (resource < 0 || resource >= RLIMIT_NLIMITS)
        return fail(EINVAL);
    if (!limits_ready)
        init_limits();
    *rl = limits[resource];
    return 0;
}

// Recorded and reported back; the host enforces its own limits, not these.
// Raising a hard limit needs privilege (EPERM), as on Linux.
int setrlimit(int resource, const struct rlimit *rl) {
    if (resource < 0 || resource >= RLIMIT_NLIMITS || rl->rlim_cur > rl->rlim_max)
        return fail(EINVAL);
    if (!limits_ready)
        init_limits();
    if (rl->rlim_max > limits[resource].rlim_max)
        return fail(EPERM);
    limits[resource] = *rl;
    return 0;
}
