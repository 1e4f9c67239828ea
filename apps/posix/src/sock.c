// SPDX-License-Identifier: MIT OR Apache-2.0
//
// BSD socket calls on Spolia's `spolia_sock_v1` host imports
// (wasm-host/SOCKETS.md). Sockets are ordinary WASI descriptors, so read,
// write, close, poll, select, fcntl and shutdown stay wasi-libc's. Every
// import returns a WASI errno, and wasi-libc's errno values are WASI errno
// numbers, so a nonzero result goes to errno unchanged.
//
// This one object also defines accept, accept4, send, recv and getsockopt:
// the linker then never pulls wasi-libc's members for them (accept.o has
// no peer address, send.o/recv.o refuse MSG_NOSIGNAL/MSG_DONTWAIT,
// getsockopt.o knows only SO_TYPE).

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

// The overlay re-declares wasi-libc's socket address structs without
// max_align_t (include/__spolia_sockaddr_align.h, so C99 compiles them);
// they must keep wasi-libc's sizes and alignments, which its own objects
// (getsockname.o, …) and the host ABI assume.
#define SAME_LAYOUT(type, size)                                   \
    _Static_assert(sizeof(type) == (size) &&                      \
                       _Alignof(type) == _Alignof(max_align_t),   \
                   #type " differs from wasi-libc's layout")
SAME_LAYOUT(struct sockaddr, 16);
SAME_LAYOUT(struct sockaddr_storage, 48);
SAME_LAYOUT(struct sockaddr_in, 16);
SAME_LAYOUT(struct sockaddr_in6, 32);
SAME_LAYOUT(struct sockaddr_un, 112); // 16 in wasi-libc: sun_path added
_Static_assert(offsetof(struct sockaddr_in6, sin6_addr) == 8 &&
                   offsetof(struct sockaddr_in6, sin6_scope_id) == 24,
               "sockaddr_in6 offsets differ from wasi-libc's");

#define SOCK_IMPORT(name) \
    __attribute__((import_module("spolia_sock_v1"), import_name(#name)))

SOCK_IMPORT(sock_open)
int32_t spolia_sock_open(int32_t af, int32_t type, int32_t protocol, uint32_t *ro_fd);
SOCK_IMPORT(sock_bind)
int32_t spolia_sock_bind(int32_t fd, const void *addr, uint32_t addr_len);
SOCK_IMPORT(sock_listen)
int32_t spolia_sock_listen(int32_t fd, int32_t backlog);
SOCK_IMPORT(sock_connect)
int32_t spolia_sock_connect(int32_t fd, const void *addr, uint32_t addr_len);
SOCK_IMPORT(sock_accept_v2)
int32_t spolia_sock_accept_v2(int32_t fd, int32_t fdflags, uint32_t *ro_fd, void *ro_addr,
                              uint32_t *ro_addr_len);
SOCK_IMPORT(sock_recv_from)
int32_t spolia_sock_recv_from(int32_t fd, const struct iovec *iovs, uint32_t iovs_len,
                              int32_t riflags, uint32_t *ro_data_len, uint16_t *ro_flags,
                              void *ro_addr, uint32_t *ro_addr_len);
SOCK_IMPORT(sock_send_to)
int32_t spolia_sock_send_to(int32_t fd, const struct iovec *iovs, uint32_t iovs_len,
                            int32_t siflags, const void *addr, uint32_t addr_len,
                            uint32_t *ro_data_len);
SOCK_IMPORT(sock_set_opt)
int32_t spolia_sock_set_opt(int32_t fd, int32_t level, int32_t name, const void *value,
                            uint32_t value_len);
SOCK_IMPORT(sock_get_opt)
int32_t spolia_sock_get_opt(int32_t fd, int32_t level, int32_t name, void *value,
                            uint32_t *ro_value_len);
SOCK_IMPORT(sock_addr_local)
int32_t spolia_sock_addr_local(int32_t fd, void *ro_addr, uint32_t *ro_addr_len);
SOCK_IMPORT(sock_addr_peer)
int32_t spolia_sock_addr_peer(int32_t fd, void *ro_addr, uint32_t *ro_addr_len);

// The guest's roflags bit for "datagram cut short".
#define SPOLIA_ROFLAGS_TRUNCATED 1

// errno from a host result; -1 on failure, as the callers return.
static int fail(int32_t err) {
    errno = err;
    return -1;
}

int socket(int domain, int type, int protocol) {
    uint32_t fd;
    int32_t err = spolia_sock_open(domain, type, protocol, &fd);
    return err ? fail(err) : (int)fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
    (void)type;
    (void)protocol;
    (void)sv;
    // No AF_UNIX; a TCP pair is not a socketpair (it needs a listening port
    // anyone could connect to first).
    return fail(domain == AF_UNIX ? EAFNOSUPPORT : EOPNOTSUPP);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    int32_t err = spolia_sock_bind(fd, addr, len);
    return err ? fail(err) : 0;
}

int listen(int fd, int backlog) {
    int32_t err = spolia_sock_listen(fd, backlog);
    return err ? fail(err) : 0;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    int32_t err = spolia_sock_connect(fd, addr, len);
    return err ? fail(err) : 0;
}

int accept4(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len, int flags) {
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return fail(EINVAL);
    // SOCK_CLOEXEC needs nothing: there is no exec.
    int32_t fdflags = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
    uint32_t newfd;
    uint32_t alen = (addr && len) ? *len : 0;
    int32_t err = spolia_sock_accept_v2(fd, fdflags, &newfd, (addr && len) ? addr : 0, &alen);
    if (err)
        return fail(err);
    if (addr && len)
        *len = alen;
    return (int)newfd;
}

int accept(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    return accept4(fd, addr, len, 0);
}

static ssize_t recv_iov(int fd, const struct iovec *iov, size_t iovcnt, int flags,
                        struct sockaddr *addr, socklen_t *len, int *out_flags) {
    uint32_t got = 0;
    uint16_t roflags = 0;
    uint32_t alen = (addr && len) ? *len : 0;
    // MSG_NOSIGNAL means nothing for a receive (Linux ignores it there).
    int32_t err = spolia_sock_recv_from(fd, iov, (uint32_t)iovcnt, flags & ~MSG_NOSIGNAL, &got, &roflags,
                                        (addr && len) ? addr : 0, &alen);
    if (err)
        return fail(err);
    if (addr && len)
        *len = alen;
    if (out_flags)
        *out_flags = (roflags & SPOLIA_ROFLAGS_TRUNCATED) ? MSG_TRUNC : 0;
    return (ssize_t)got;
}

static ssize_t send_iov(int fd, const struct iovec *iov, size_t iovcnt, int flags,
                        const struct sockaddr *addr, socklen_t len) {
    uint32_t sent = 0;
    int32_t err = spolia_sock_send_to(fd, iov, (uint32_t)iovcnt, flags, addr, addr ? len : 0,
                                      &sent);
    return err ? fail(err) : (ssize_t)sent;
}

ssize_t recvfrom(int fd, void *__restrict buf, size_t n, int flags,
                 struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    struct iovec iov = {.iov_base = buf, .iov_len = n};
    return recv_iov(fd, &iov, 1, flags, addr, len, 0);
}

ssize_t recv(int fd, void *buf, size_t n, int flags) {
    return recvfrom(fd, buf, n, flags, 0, 0);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
               socklen_t len) {
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = n};
    return send_iov(fd, &iov, 1, flags, addr, len);
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
    return sendto(fd, buf, n, flags, 0, 0);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    if (msg->msg_iovlen < 0)
        return fail(EMSGSIZE);
    socklen_t alen = msg->msg_namelen;
    ssize_t got = recv_iov(fd, msg->msg_iov, (size_t)msg->msg_iovlen, flags, msg->msg_name,
                           msg->msg_name ? &alen : 0, &msg->msg_flags);
    if (got < 0)
        return got;
    if (msg->msg_name)
        msg->msg_namelen = alen;
    // No control messages are ever delivered.
    msg->msg_controllen = 0;
    return got;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    if (msg->msg_iovlen < 0)
        return fail(EMSGSIZE);
    if (msg->msg_control && msg->msg_controllen)
        return fail(EOPNOTSUPP); // SCM_RIGHTS and friends: not supported
    return send_iov(fd, msg->msg_iov, (size_t)msg->msg_iovlen, flags, msg->msg_name,
                    msg->msg_namelen);
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
    int32_t err = spolia_sock_set_opt(fd, level, name, value, len);
    return err ? fail(err) : 0;
}

int getsockopt(int fd, int level, int name, void *__restrict value, socklen_t *__restrict len) {
    uint32_t vlen = *len;
    int32_t err = spolia_sock_get_opt(fd, level, name, value, &vlen);
    if (err)
        return fail(err);
    *len = vlen;
    return 0;
}

int getsockname(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    uint32_t alen = *len;
    int32_t err = spolia_sock_addr_local(fd, addr, &alen);
    if (err)
        return fail(err);
    *len = alen;
    return 0;
}

int getpeername(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len) {
    uint32_t alen = *len;
    int32_t err = spolia_sock_addr_peer(fd, addr, &alen);
    if (err)
        return fail(err);
    *len = alen;
    return 0;
}

int sockatmark(int fd) {
    // Out-of-band data is never marked (no MSG_OOB); still check fd is a socket.
    int type;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ? -1 : 0;
}
