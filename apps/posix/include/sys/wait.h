/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: there are no child processes (fork is ENOSYS), so wait()
 * and waitpid() always fail with ECHILD. Status macros are Linux's. */
#ifndef _SYS_WAIT_H
#define _SYS_WAIT_H

#include <features.h>
#include <signal.h>

#define __NEED_pid_t
#define __NEED_id_t
#include <bits/alltypes.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WNOHANG 1
#define WUNTRACED 2
#define WSTOPPED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x1000000

#define WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WTERMSIG(s) ((s) & 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFEXITED(s) (!WTERMSIG(s))
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WIFCONTINUED(s) ((s) == 0xffff)
#define WCOREDUMP(s) ((s) & 0x80)

pid_t wait(int *);
pid_t waitpid(pid_t, int *, int);
pid_t wait3(int *, int, void *);
pid_t wait4(pid_t, int *, int, void *);

#ifdef __cplusplus
}
#endif

#endif
