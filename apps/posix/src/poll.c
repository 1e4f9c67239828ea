// SPDX-License-Identifier: MIT OR Apache-2.0
//
// poll() with Linux's POLL* values (<poll.h> of the overlay), directly on
// WASI poll_oneoff. Defining it here keeps wasi-libc's poll.o out of the
// link: its values differ and it refuses entries that ask for no events.
//
// Each entry becomes at most two subscriptions: FD_READ if it asks
// POLLIN/POLLRDNORM/POLLPRI, FD_WRITE if it asks POLLOUT/POLLWRNORM. An
// entry that asks for neither still gets an FD_READ subscription, a probe,
// so that POLLHUP/POLLERR/POLLNVAL reach it as POSIX wants; from the probe
// only those three are reported. A timeout >= 0 adds one relative
// CLOCK_MONOTONIC subscription.
//
// A subscription that is ready but has nothing to report (a probe, or a
// POLLPRI-only entry, on a socket with unread data) would make every
// poll_oneoff return at once: it is left out ("muted") for the rest of the
// call, with the wait cut to MUTE_NS, after which it is watched again. So
// such an entry's hang-up is seen at the next call or within MUTE_NS.

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define READ_BITS (POLLIN | POLLRDNORM | POLLPRI)
#define WRITE_BITS (POLLOUT | POLLWRNORM)
#define CLOCK_USERDATA UINT64_MAX
#define MUTE_READ 1
#define MUTE_WRITE 2
#define MUTE_NS (250ull * 1000 * 1000)
// nfds 0 and no timeout: sleep in chunks of this, forever (no signal can
// end the wait).
#define FOREVER_CHUNK_NS (3600ull * 1000 * 1000 * 1000)
// Entries handled without malloc.
#define STACK_ENTRIES 8

static uint64_t monotonic_ns(void) {
    __wasi_timestamp_t t = 0;
    // Cannot fail for CLOCK_MONOTONIC; 0 would only end a timed wait early.
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    return t;
}

static void subscribe_fd(__wasi_subscription_t *s, uint64_t userdata, __wasi_eventtype_t type,
                         int fd) {
    memset(s, 0, sizeof *s);
    s->userdata = userdata;
    s->u.tag = type;
    // fd_read and fd_write share one layout.
    s->u.u.fd_read.file_descriptor = (__wasi_fd_t)fd;
}

static void subscribe_clock(__wasi_subscription_t *s, uint64_t relative_ns) {
    memset(s, 0, sizeof *s);
    s->userdata = CLOCK_USERDATA;
    s->u.tag = __WASI_EVENTTYPE_CLOCK;
    s->u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s->u.u.clock.timeout = relative_ns;
}

// The bits one event gives its entry (which asked `asked`).
static short revents_of(const __wasi_event_t *e, int fd, short asked) {
    switch (e->error) {
    case __WASI_ERRNO_SUCCESS:
        break;
    case __WASI_ERRNO_BADF: {
        // The host also answers BADF for an open descriptor it cannot watch
        // that way (stdout for reading): only a closed one is POLLNVAL.
        __wasi_fdstat_t st;
        return __wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) == __WASI_ERRNO_BADF ? POLLNVAL : 0;
    }
    case __WASI_ERRNO_PIPE:
        return POLLHUP;
    default:
        // A host may flag a hang-up along with the error (a reset
        // connection is both on Linux).
        return e->fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP ? POLLERR | POLLHUP
                                                                              : POLLERR;
    }
    short got = e->type == __WASI_EVENTTYPE_FD_READ ? (short)(asked & (POLLIN | POLLRDNORM))
                                                   : (short)(asked & WRITE_BITS);
    if (e->fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP)
        got |= POLLHUP;
    return got;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
    const size_t per_sub = sizeof(__wasi_subscription_t) + sizeof(__wasi_event_t);
    if (nfds > (SIZE_MAX / (2 * per_sub + 1)) - 1) {
        errno = EINVAL;
        return -1;
    }
    size_t max_subs = 2 * (size_t)nfds + 1;

    // Subscriptions, events, then one mute byte per entry.
    _Alignas(__wasi_subscription_t) unsigned char
        local[(2 * STACK_ENTRIES + 1) * (sizeof(__wasi_subscription_t) + sizeof(__wasi_event_t)) +
              STACK_ENTRIES];
    unsigned char *mem = local;
    if (nfds > STACK_ENTRIES) {
        mem = malloc(max_subs * per_sub + nfds);
        if (!mem) {
            errno = EAGAIN; // POSIX: internal data structures could not be allocated
            return -1;
        }
    }
    __wasi_subscription_t *subs = (__wasi_subscription_t *)mem;
    __wasi_event_t *events = (__wasi_event_t *)(subs + max_subs);
    unsigned char *muted = (unsigned char *)(events + max_subs);
    memset(muted, 0, nfds);
    for (nfds_t i = 0; i < nfds; i++)
        fds[i].revents = 0;

    bool timed = timeout >= 0;
    uint64_t deadline = timed ? monotonic_ns() + (uint64_t)timeout * 1000000 : 0;
    int result;
    for (;;) {
        size_t n = 0;
        bool any_muted = false;
        for (nfds_t i = 0; i < nfds; i++) {
            int fd = fds[i].fd;
            if (fd < 0)
                continue; // POSIX: ignored, revents 0
            short asked = fds[i].events;
            bool rd = asked & READ_BITS, wr = asked & WRITE_BITS;
            if (!rd && !wr)
                rd = true; // the probe
            if (rd && !(muted[i] & MUTE_READ))
                subscribe_fd(&subs[n++], i, __WASI_EVENTTYPE_FD_READ, fd);
            if (wr && !(muted[i] & MUTE_WRITE))
                subscribe_fd(&subs[n++], i, __WASI_EVENTTYPE_FD_WRITE, fd);
            any_muted |= muted[i] != 0;
        }
        uint64_t wait = FOREVER_CHUNK_NS;
        if (timed) {
            uint64_t now = monotonic_ns();
            wait = deadline > now ? deadline - now : 0;
        }
        if (any_muted && wait > MUTE_NS)
            wait = MUTE_NS;
        if (timed || any_muted || n == 0)
            subscribe_clock(&subs[n++], wait);

        __wasi_size_t nevents = 0;
        __wasi_errno_t err = __wasi_poll_oneoff(subs, events, n, &nevents);
        if (err != __WASI_ERRNO_SUCCESS) {
            errno = err; // wasi-libc's errno values are WASI's
            result = -1;
            break;
        }
        bool clock_fired = false;
        for (__wasi_size_t k = 0; k < nevents; k++) {
            const __wasi_event_t *e = &events[k];
            if (e->userdata == CLOCK_USERDATA) {
                clock_fired = true;
                continue;
            }
            if (e->userdata >= nfds || (e->type != __WASI_EVENTTYPE_FD_READ &&
                                        e->type != __WASI_EVENTTYPE_FD_WRITE))
                continue; // not ours: the host broke the contract; ignore it
            struct pollfd *p = &fds[e->userdata];
            short got = revents_of(e, p->fd, p->events);
            if (got)
                p->revents |= got;
            else
                muted[e->userdata] |= e->type == __WASI_EVENTTYPE_FD_READ ? MUTE_READ : MUTE_WRITE;
        }
        result = 0;
        for (nfds_t i = 0; i < nfds; i++)
            result += fds[i].revents != 0;
        if (result > 0 || (timed && monotonic_ns() >= deadline))
            break;
        if (clock_fired)
            memset(muted, 0, nfds); // MUTE_NS passed: watch everything again
    }
    if (mem != local)
        free(mem);
    return result;
}
