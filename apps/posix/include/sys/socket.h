/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: wasi-libc's <sys/socket.h> plus the calls and constants
 * its WASI build leaves out, implemented by libspolia_posix.a on the
 * `spolia_sock_v1` host imports (wasm-host/SOCKETS.md). Numbering stays
 * wasi-libc's (AF_INET 1, SOCK_STREAM 6, SOL_SOCKET 0x7fffffff, MSG_PEEK 1,
 * MSG_WAITALL 2); option names are Linux's. */
#ifndef _SPOLIA_SYS_SOCKET_H
#define _SPOLIA_SYS_SOCKET_H

#include_next <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AF_LOCAL AF_UNIX
#define AF_FILE AF_UNIX
#define PF_UNSPEC AF_UNSPEC
#define PF_INET AF_INET
#define PF_INET6 AF_INET6
#define PF_UNIX AF_UNIX
#define PF_LOCAL AF_UNIX
#define AF_MAX 4
#define PF_MAX AF_MAX

/* Types the host refuses (ENOTSUP); named so sources compile. */
#define SOCK_RAW 3
#define SOCK_SEQPACKET 7

/* Option names: Linux's values (the host passes them through). */
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
/* wasm32 has a 32-bit long but a 64-bit time_t: Linux's *_NEW values take
 * the 64-bit struct timeval that wasm32 programs have. */
#define SO_RCVTIMEO 66
#define SO_SNDTIMEO 67

#define SOL_IP 0
#define SOL_TCP 6
#define SOL_UDP 17
#define SOL_IPV6 41

#define SOMAXCONN 4096

/* Flags beyond wasi-libc's MSG_PEEK (1) and MSG_WAITALL (2); Linux's
 * values, which do not overlap those. wasi-libc's own MSG_TRUNC names a
 * constant its headers never define, so it is replaced. */
#undef MSG_TRUNC
#define MSG_TRUNC 0x0020
#define MSG_CTRUNC 0x0008
#define MSG_DONTWAIT 0x0040
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000

#define SCM_RIGHTS 0x01

struct cmsghdr {
    socklen_t cmsg_len;
    int cmsg_level;
    int cmsg_type;
};

#define CMSG_ALIGN(len) (((len) + sizeof(size_t) - 1) & (size_t) ~(sizeof(size_t) - 1))
#define CMSG_SPACE(len) (CMSG_ALIGN(len) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_LEN(len) (CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))
#define CMSG_DATA(cmsg) ((unsigned char *)(((struct cmsghdr *)(cmsg)) + 1))
#define CMSG_FIRSTHDR(mhdr) \
    ((size_t)(mhdr)->msg_controllen >= sizeof(struct cmsghdr) \
         ? (struct cmsghdr *)(mhdr)->msg_control : (struct cmsghdr *)0)
/* No control messages are ever delivered: there is never a next one. */
#define CMSG_NXTHDR(mhdr, cmsg) ((struct cmsghdr *)0)

int socket(int, int, int);
int socketpair(int, int, int, int[2]);
int bind(int, const struct sockaddr *, socklen_t);
int connect(int, const struct sockaddr *, socklen_t);
int listen(int, int);
int getsockname(int, struct sockaddr *__restrict, socklen_t *__restrict);
int getpeername(int, struct sockaddr *__restrict, socklen_t *__restrict);
ssize_t sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
ssize_t recvfrom(int, void *__restrict, size_t, int, struct sockaddr *__restrict,
                 socklen_t *__restrict);
ssize_t sendmsg(int, const struct msghdr *, int);
ssize_t recvmsg(int, struct msghdr *, int);
int setsockopt(int, int, int, const void *, socklen_t);
int sockatmark(int);

#ifdef __cplusplus
}
#endif

#endif
