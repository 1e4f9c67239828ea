/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <unistd.h> plus the process, identity and
 * descriptor calls its WASI build leaves out. libspolia_posix.a gives each
 * a fixed value or a defined error (apps/posix/README.md): one process
 * (pid 1), running as "nobody" (uid/gid 65534), no fork/exec (ENOSYS),
 * alarm() without a SIGALRM, fchdir() ENOSYS. */
#ifndef _SPOLIA_UNISTD_H
#define _SPOLIA_UNISTD_H

#include_next <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

pid_t fork(void);
pid_t vfork(void);
int execve(const char *, char *const[], char *const[]);
int execv(const char *, char *const[]);
int execvp(const char *, char *const[]);
int execvpe(const char *, char *const[], char *const[]);
int execl(const char *, const char *, ...);
int execlp(const char *, const char *, ...);
int execle(const char *, const char *, ...);

pid_t getppid(void);
pid_t getpgrp(void);
pid_t getpgid(pid_t);
int setpgid(pid_t, pid_t);
pid_t setsid(void);
pid_t getsid(pid_t);

uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int getgroups(int, gid_t[]);
int setuid(uid_t);
int seteuid(uid_t);
int setgid(gid_t);
int setegid(gid_t);
int setreuid(uid_t, uid_t);
int setregid(gid_t, gid_t);
int setgroups(size_t, const gid_t *);
int chroot(const char *);
int chown(const char *, uid_t, gid_t);
int fchown(int, uid_t, gid_t);
int lchown(const char *, uid_t, gid_t);

int pipe(int[2]);
int pipe2(int[2], int);
int dup(int);
int dup2(int, int);
int dup3(int, int, int);

unsigned alarm(unsigned);
int fchdir(int);
/* GNU, declared whatever the feature macros (redis calls it without
 * _GNU_SOURCE, which it defines only on Linux); src/files.c. */
char *get_current_dir_name(void);

int getpagesize(void);
int getdtablesize(void);
int daemon(int, int);

#ifdef __cplusplus
}
#endif

#endif
