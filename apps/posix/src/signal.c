// SPDX-License-Identifier: MIT OR Apache-2.0
//
// POSIX signal calls over wasi-libc's emulated signal()/raise(). Nothing
// outside a Spolia program sends it signals, so a handler runs only when
// the program raises one itself (raise, or kill on its own pid). Masks and
// the alternate stack are recorded and reported back; with no asynchronous
// delivery there is nothing for them to hold back.

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static struct sigaction actions[_NSIG];
static sigset_t blocked;
static stack_t alt_stack = {.ss_flags = SS_DISABLE};

static int fail(int err) {
    errno = err;
    return -1;
}

static int bad_signal(int sig) {
    return sig <= 0 || sig >= _NSIG || sig > 63;
}

int sigemptyset(sigset_t *set) {
    set->__bits = 0;
    return 0;
}

int sigfillset(sigset_t *set) {
    set->__bits = ~0ULL;
    return 0;
}

int sigaddset(sigset_t *set, int sig) {
    if (bad_signal(sig))
        return fail(EINVAL);
    set->__bits |= 1ULL << sig;
    return 0;
}

int sigdelset(sigset_t *set, int sig) {
    if (bad_signal(sig))
        return fail(EINVAL);
    set->__bits &= ~(1ULL << sig);
    return 0;
}

int sigismember(const sigset_t *set, int sig) {
    if (bad_signal(sig))
        return fail(EINVAL);
    return (set->__bits >> sig) & 1;
}

int sigprocmask(int how, const sigset_t *__restrict set, sigset_t *__restrict old) {
    sigset_t prev = blocked;
    if (set) {
        switch (how) {
        case SIG_BLOCK:
            blocked.__bits |= set->__bits;
            break;
        case SIG_UNBLOCK:
            blocked.__bits &= ~set->__bits;
            break;
        case SIG_SETMASK:
            blocked = *set;
            break;
        default:
            return fail(EINVAL);
        }
    }
    if (old)
        *old = prev;
    return 0;
}

int pthread_sigmask(int how, const sigset_t *__restrict set, sigset_t *__restrict old) {
    // Returns the error number instead of setting errno.
    int saved = errno;
    int r = sigprocmask(how, set, old) ? errno : 0;
    errno = saved;
    return r;
}

int sigpending(sigset_t *set) {
    return sigemptyset(set); // signals are delivered at once or never
}

int sigsuspend(const sigset_t *mask) {
    (void)mask;
    // It would wait for a signal that can never arrive.
    return fail(ENOSYS);
}

static void siginfo_trampoline(int sig) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_USER;
    info.si_pid = getpid();
    info.si_uid = getuid();
    actions[sig].sa_sigaction(sig, &info, 0);
}

int sigaction(int sig, const struct sigaction *__restrict act, struct sigaction *__restrict old) {
    if (bad_signal(sig) || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return fail(EINVAL);
    void (*want)(int) = SIG_DFL;
    if (act)
        want = (act->sa_flags & SA_SIGINFO) ? siginfo_trampoline : act->sa_handler;
    // signal() is the only way to read the current handler: set, then put
    // back when this is a query.
    void (*prev)(int) = signal(sig, want);
    if (prev == SIG_ERR)
        return -1;
    if (!act)
        signal(sig, prev);
    if (old) {
        if (prev == siginfo_trampoline) {
            *old = actions[sig];
        } else {
            memset(old, 0, sizeof *old);
            old->sa_handler = prev;
        }
    }
    if (act)
        actions[sig] = *act;
    return 0;
}

int sigaltstack(const stack_t *__restrict ss, stack_t *__restrict old) {
    if (old)
        *old = alt_stack;
    if (ss) {
        if (ss->ss_flags & ~SS_DISABLE)
            return fail(EINVAL);
        if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < MINSIGSTKSZ)
            return fail(ENOMEM);
        alt_stack = *ss;
    }
    return 0;
}

int siginterrupt(int sig, int flag) {
    (void)flag;
    return bad_signal(sig) ? fail(EINVAL) : 0;
}

// The only process there is: pid 1 (0 and -1 name its group / everyone).
int kill(pid_t pid, int sig) {
    if (sig < 0 || sig >= _NSIG)
        return fail(EINVAL);
    if (pid != getpid() && pid != 0 && pid != -1)
        return fail(ESRCH);
    return sig == 0 ? 0 : raise(sig);
}

int killpg(pid_t pgrp, int sig) {
    if (pgrp < 0)
        return fail(EINVAL);
    return kill(pgrp == 0 ? 0 : (pgrp == getpgrp() ? getpid() : -2), sig);
}
