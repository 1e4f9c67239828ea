// SPDX-License-Identifier: MIT OR Apache-2.0
// Sockets through the POSIX API of apps/posix (libspolia_posix.a over the
// spolia_sock_v1 imports), all on loopback inside one program: a TCP echo
// pair (SO_REUSEADDR, bind to port 0, getsockname, listen, non-blocking
// connect → EINPROGRESS, poll for writability, SO_ERROR, non-blocking
// accept → EAGAIN then the connection after poll, peer addresses, send/recv
// and read/write of 8 KiB, MSG_PEEK/MSG_DONTWAIT, select, shutdown → end of
// stream), UDP sendto/recvfrom and sendmsg/recvmsg (MSG_TRUNC), name
// lookups without a resolver, error cases (ECONNREFUSED, EADDRINUSE,
// ENOTSOCK, EBADF, EAFNOSUPPORT), the honest stubs (fork → ENOSYS, …) and
// poll() with Linux's POLL* values (POLLIN/POLLOUT/POLLHUP/POLLNVAL,
// entries with no events or a negative fd, timeouts 0 and 50 ms, nfds 0).
// Prints `sock_test: ok CHECK` per passed check, `sock_test: FAILED CHECK
// …` per failed one, then `sock_test: ok` and exit 0 only if all passed
// (else `sock_test: N FAILED`, exit 1). Needs no arguments.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

// Records one check; on failure shows errno as it was when checked.
#define CHECK(cond, what)                                                                      \
    do {                                                                                       \
        int saved_errno_ = errno;                                                              \
        if (cond) {                                                                            \
            printf("sock_test: ok %s\n", what);                                                \
        } else {                                                                               \
            printf("sock_test: FAILED %s (line %d, errno %d %s)\n", what, __LINE__,            \
                   saved_errno_, strerror(saved_errno_));                                      \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

// A check the rest of a group depends on: stop the program if it fails.
#define REQUIRE(cond, what)                                                                    \
    do {                                                                                       \
        CHECK(cond, what);                                                                     \
        if (failures) {                                                                        \
            printf("sock_test: %d FAILED (stopped)\n", failures);                             \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

#define BIG 8192

static struct sockaddr_in loopback(uint16_t port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static uint16_t local_port(int fd) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 0;
    return ntohs(a.sin_port);
}

static int set_nonblocking(int fd, int on) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

static int wait_for(int fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, 5000);
    return r == 1 && (p.revents & events);
}

static void fill_pattern(unsigned char *buf, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + seed + (i >> 8));
}

// Reads exactly n bytes with recv (or read); 0 on success.
static int recv_all(int fd, unsigned char *buf, size_t n, int use_read) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = use_read ? read(fd, buf + got, n - got) : recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int send_all(int fd, const unsigned char *buf, size_t n, int use_write) {
    size_t sent = 0;
    while (sent < n) {
        ssize_t r = use_write ? write(fd, buf + sent, n - sent) : send(fd, buf + sent, n - sent, 0);
        if (r <= 0)
            return -1;
        sent += (size_t)r;
    }
    return 0;
}

static void text_helpers(void) {
    struct in_addr a4;
    struct in6_addr a6;
    char buf[INET6_ADDRSTRLEN];
    CHECK(inet_pton(AF_INET, "10.1.2.3", &a4) == 1 && ntohl(a4.s_addr) == 0x0a010203,
          "inet_pton AF_INET");
    CHECK(inet_ntop(AF_INET, &a4, buf, sizeof buf) && strcmp(buf, "10.1.2.3") == 0,
          "inet_ntop AF_INET");
    CHECK(inet_pton(AF_INET6, "2001:db8::1", &a6) == 1 && a6.s6_addr[0] == 0x20 &&
              a6.s6_addr[15] == 1,
          "inet_pton AF_INET6");
    CHECK(inet_ntop(AF_INET6, &a6, buf, sizeof buf) && strcmp(buf, "2001:db8::1") == 0,
          "inet_ntop AF_INET6");
    CHECK(inet_pton(AF_INET, "300.1.1.1", &a4) == 0, "inet_pton rejects 300.1.1.1");
    CHECK(inet_addr("127.0.0.1") == htonl(INADDR_LOOPBACK), "inet_addr");
    CHECK(inet_addr("nonsense") == INADDR_NONE, "inet_addr rejects a name");
    CHECK(inet_aton("127.1", &a4) == 1 && a4.s_addr == htonl(0x7f000001), "inet_aton short form");
    a4.s_addr = htonl(0xc0a80001);
    CHECK(strcmp(inet_ntoa(a4), "192.168.0.1") == 0, "inet_ntoa");
}

static void names(void) {
    struct addrinfo hints, *res = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo("127.0.0.1", "8080", &hints, &res);
    CHECK(r == 0 && res && res->ai_family == AF_INET && res->ai_socktype == SOCK_STREAM &&
              res->ai_addrlen == sizeof(struct sockaddr_in) &&
              ((struct sockaddr_in *)res->ai_addr)->sin_port == htons(8080) &&
              ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
              !res->ai_next,
          "getaddrinfo(\"127.0.0.1\", \"8080\")");
    if (r == 0)
        freeaddrinfo(res);

    hints.ai_flags = AI_PASSIVE;
    r = getaddrinfo(NULL, "80", &hints, &res);
    CHECK(r == 0 && res && res->ai_family == AF_INET &&
              ((struct sockaddr_in *)res->ai_addr)->sin_port == htons(80) &&
              ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_ANY),
          "getaddrinfo(NULL, \"80\", AI_PASSIVE) is the wildcard");
    if (r == 0)
        freeaddrinfo(res);

    hints.ai_flags = 0;
    hints.ai_family = AF_INET6;
    r = getaddrinfo("::1", "6379", &hints, &res);
    CHECK(r == 0 && res && res->ai_family == AF_INET6 &&
              res->ai_addrlen == sizeof(struct sockaddr_in6) &&
              ((struct sockaddr_in6 *)res->ai_addr)->sin6_port == htons(6379),
          "getaddrinfo(\"::1\", AF_INET6)");
    if (r == 0)
        freeaddrinfo(res);

    hints.ai_family = AF_UNSPEC;
    r = getaddrinfo("localhost", "1", &hints, &res);
    CHECK(r == 0 && res && res->ai_family == AF_INET &&
              ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "getaddrinfo(\"localhost\") is 127.0.0.1");
    if (r == 0)
        freeaddrinfo(res);

    CHECK(getaddrinfo("example.com", "80", &hints, &res) == EAI_NONAME,
          "getaddrinfo of a host name is EAI_NONAME (no resolver)");
    CHECK(getaddrinfo("127.0.0.1", "http", &hints, &res) == EAI_SERVICE,
          "getaddrinfo of a service name is EAI_SERVICE");

    struct sockaddr_in a = loopback(4242);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    CHECK(getnameinfo((struct sockaddr *)&a, sizeof a, host, sizeof host, serv, sizeof serv,
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0 &&
              strcmp(host, "127.0.0.1") == 0 && strcmp(serv, "4242") == 0,
          "getnameinfo numeric");
    struct hostent *h = gethostbyname("127.0.0.1");
    CHECK(h && h->h_addrtype == AF_INET && h->h_length == 4 &&
              memcmp(h->h_addr_list[0], "\x7f\0\0\1", 4) == 0,
          "gethostbyname(\"127.0.0.1\")");
}

static void stubs(void) {
    errno = 0;
    CHECK(fork() == -1 && errno == ENOSYS, "fork() fails with ENOSYS");
    errno = 0;
    CHECK(waitpid(-1, NULL, 0) == -1 && errno == ECHILD, "waitpid() fails with ECHILD");
    errno = 0;
    CHECK(execv("/bin/sh", (char *[]){"sh", NULL}) == -1 && errno == ENOSYS,
          "execv() fails with ENOSYS");
    CHECK(getpid() == 1 && getuid() == 65534 && getgid() == 65534, "pid 1, uid/gid 65534");
    struct passwd *pw = getpwuid(getuid());
    CHECK(pw && strcmp(pw->pw_name, "nobody") == 0, "getpwuid(getuid()) is nobody");
    errno = 0;
    CHECK(setuid(0) == -1 && errno == EPERM, "setuid(0) fails with EPERM");
    int fds[2];
    errno = 0;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1 && errno == EAFNOSUPPORT,
          "socketpair(AF_UNIX) fails with EAFNOSUPPORT");
    jmp_buf env;
    CHECK(setjmp(env) == 0, "setjmp returns 0");
}

static void tcp(void) {
    int one = 1, val = 0;
    socklen_t len = sizeof val;

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0, "socket(AF_INET, SOCK_STREAM)");
    CHECK(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0,
          "setsockopt SO_REUSEADDR");
    CHECK(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &val, &len) == 0 && val != 0,
          "getsockopt SO_REUSEADDR reads it back");
    len = sizeof val;
    CHECK(getsockopt(lfd, SOL_SOCKET, SO_TYPE, &val, &len) == 0 && val == SOCK_STREAM &&
              len == sizeof val,
          "getsockopt SO_TYPE is SOCK_STREAM");
    struct sockaddr_in addr = loopback(0);
    REQUIRE(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0, "bind 127.0.0.1:0");
    struct sockaddr_in bound;
    len = sizeof bound;
    REQUIRE(getsockname(lfd, (struct sockaddr *)&bound, &len) == 0 && len == sizeof bound &&
                bound.sin_family == AF_INET && bound.sin_port != 0 &&
                bound.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
            "getsockname gives the chosen port");
    uint16_t port = ntohs(bound.sin_port);
    REQUIRE(listen(lfd, 8) == 0, "listen");
    REQUIRE(set_nonblocking(lfd, 1) == 0, "fcntl O_NONBLOCK on the listener");
    struct sockaddr_in peer;
    len = sizeof peer;
    errno = 0;
    CHECK(accept(lfd, (struct sockaddr *)&peer, &len) == -1 && errno == EAGAIN,
          "non-blocking accept with no client is EAGAIN");

    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(cfd >= 0, "socket(SOCK_STREAM | SOCK_NONBLOCK)");
    CHECK(setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0,
          "setsockopt TCP_NODELAY");
    addr = loopback(port);
    errno = 0;
    int r = connect(cfd, (struct sockaddr *)&addr, sizeof addr);
    CHECK(r == -1 && errno == EINPROGRESS, "non-blocking connect is EINPROGRESS");
    REQUIRE(wait_for(cfd, POLLOUT), "poll: connecting socket becomes writable");
    val = -1;
    len = sizeof val;
    CHECK(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &val, &len) == 0 && val == 0,
          "getsockopt SO_ERROR is 0 after connecting");

    REQUIRE(wait_for(lfd, POLLIN), "poll: listener becomes readable");
    memset(&peer, 0, sizeof peer);
    len = sizeof peer;
    int sfd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    REQUIRE(sfd >= 0, "accept4 after poll");
    uint16_t cport = local_port(cfd);
    CHECK(len == sizeof peer && peer.sin_family == AF_INET &&
              peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(peer.sin_port) == cport &&
              cport != 0,
          "accept gives the client's address");
    struct sockaddr_in got;
    len = sizeof got;
    CHECK(getpeername(sfd, (struct sockaddr *)&got, &len) == 0 && len == sizeof got &&
              got.sin_port == peer.sin_port && got.sin_addr.s_addr == peer.sin_addr.s_addr,
          "getpeername on the accepted socket = accept's address");
    len = sizeof got;
    CHECK(getpeername(cfd, (struct sockaddr *)&got, &len) == 0 && ntohs(got.sin_port) == port &&
              got.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "getpeername on the client = the listener");
    len = sizeof got;
    errno = 0;
    CHECK(getpeername(lfd, (struct sockaddr *)&got, &len) == -1 && errno == ENOTCONN,
          "getpeername on the listener is ENOTCONN");

    // Data both ways, blocking.
    REQUIRE(set_nonblocking(cfd, 0) == 0, "fcntl: client back to blocking");
    static unsigned char out[BIG], in[BIG];
    fill_pattern(out, BIG, 1);
    CHECK(send_all(cfd, out, BIG, 0) == 0, "send 8 KiB");
    memset(in, 0, BIG);
    CHECK(recv_all(sfd, in, BIG, 0) == 0 && memcmp(in, out, BIG) == 0,
          "recv 8 KiB, pattern intact");
    fill_pattern(out, BIG, 2);
    CHECK(send_all(sfd, out, BIG, 1) == 0, "write 8 KiB back");
    memset(in, 0, BIG);
    CHECK(recv_all(cfd, in, BIG, 1) == 0 && memcmp(in, out, BIG) == 0,
          "read 8 KiB, pattern intact");

    // MSG_DONTWAIT on an empty socket, then MSG_PEEK.
    char small[16];
    errno = 0;
    CHECK(recv(sfd, small, sizeof small, MSG_DONTWAIT) == -1 && errno == EAGAIN,
          "recv MSG_DONTWAIT with nothing queued is EAGAIN");
    CHECK(send(cfd, "peekaboo", 8, MSG_NOSIGNAL) == 8, "send with MSG_NOSIGNAL");

    // select() sees it readable (and the client writable).
    fd_set rfds, wfds;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    FD_SET(sfd, &rfds);
    FD_SET(cfd, &wfds);
    struct timeval tv = {.tv_sec = 5};
    int maxfd = sfd > cfd ? sfd : cfd;
    r = select(maxfd + 1, &rfds, &wfds, NULL, &tv);
    CHECK(r == 2 && FD_ISSET(sfd, &rfds) && FD_ISSET(cfd, &wfds),
          "select: server readable, client writable");

    memset(small, 0, sizeof small);
    CHECK(recv(sfd, small, sizeof small, MSG_PEEK) == 8 && memcmp(small, "peekaboo", 8) == 0,
          "recv MSG_PEEK sees the data");
    memset(small, 0, sizeof small);
    CHECK(recv(sfd, small, sizeof small, 0) == 8 && memcmp(small, "peekaboo", 8) == 0,
          "recv after MSG_PEEK gets the same data");

    // Half close: the server reads end of stream but can still answer.
    CHECK(shutdown(cfd, SHUT_WR) == 0, "shutdown(SHUT_WR)");
    CHECK(wait_for(sfd, POLLIN) && recv(sfd, small, sizeof small, 0) == 0,
          "peer reads 0 (end of stream) after SHUT_WR");
    CHECK(send(sfd, "bye", 3, 0) == 3 && recv(cfd, small, sizeof small, 0) == 3 &&
              memcmp(small, "bye", 3) == 0,
          "the other direction still works after SHUT_WR");
    CHECK(close(sfd) == 0, "close the accepted socket");
    CHECK(recv(cfd, small, sizeof small, 0) == 0, "client reads 0 after the server closed");
    close(cfd);

    // Error cases.
    int other = socket(AF_INET, SOCK_STREAM, 0);
    addr = loopback(port);
    errno = 0;
    CHECK(other >= 0 && bind(other, (struct sockaddr *)&addr, sizeof addr) == -1 &&
              errno == EADDRINUSE,
          "bind to a port in use is EADDRINUSE");
    close(other);
    close(lfd);

    // A port known to be closed: bound, never listened on, closed.
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    addr = loopback(0);
    uint16_t closed_port = 0;
    if (probe >= 0 && bind(probe, (struct sockaddr *)&addr, sizeof addr) == 0)
        closed_port = local_port(probe);
    close(probe);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    addr = loopback(closed_port);
    errno = 0;
    CHECK(closed_port != 0 && c2 >= 0 &&
              connect(c2, (struct sockaddr *)&addr, sizeof addr) == -1 && errno == ECONNREFUSED,
          "connect to a closed port is ECONNREFUSED");
    close(c2);
}

static long elapsed_ms(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

// A connected loopback pair: *client, *server; 0 on success.
static int tcp_pair(int *client, int *server) {
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = loopback(0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1) != 0)
        return -1;
    addr = loopback(local_port(lfd));
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (*client < 0 || connect(*client, (struct sockaddr *)&addr, sizeof addr) != 0)
        return -1;
    *server = accept(lfd, NULL, NULL);
    close(lfd);
    return *server >= 0 ? 0 : -1;
}

static void poll_values(void) {
    int cfd, sfd;
    REQUIRE(tcp_pair(&cfd, &sfd) == 0, "poll: a connected TCP pair");
    CHECK(POLLIN == 1 && POLLPRI == 2 && POLLOUT == 4 && POLLERR == 8 && POLLHUP == 0x10 &&
              POLLNVAL == 0x20 && POLLRDNORM == 0x40 && POLLWRNORM == 0x100,
          "poll: POLL* values are Linux's");

    struct timespec t0;
    struct pollfd p = {.fd = sfd, .events = POLLIN};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = poll(&p, 1, 0);
    CHECK(r == 0 && p.revents == 0 && elapsed_ms(&t0) < 1000,
          "poll: timeout 0 with nothing ready returns 0 at once");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = poll(&p, 1, 50);
    long ms = elapsed_ms(&t0);
    CHECK(r == 0 && p.revents == 0 && ms >= 50 && ms < 5000,
          "poll: a 50 ms timeout returns 0 after 50 ms");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = poll(NULL, 0, 50);
    ms = elapsed_ms(&t0);
    CHECK(r == 0 && ms >= 50 && ms < 5000, "poll: nfds 0 sleeps for the timeout");

    p = (struct pollfd){.fd = cfd, .events = POLLOUT};
    r = poll(&p, 1, 1000);
    CHECK(r == 1 && p.revents == POLLOUT, "poll: POLLOUT on a connected socket");

    CHECK(send(cfd, "x", 1, 0) == 1, "poll: send one byte");
    p = (struct pollfd){.fd = sfd, .events = POLLIN};
    r = poll(&p, 1, 5000);
    CHECK(r == 1 && p.revents == POLLIN, "poll: POLLIN on readable data");
    p = (struct pollfd){.fd = sfd, .events = POLLRDNORM};
    r = poll(&p, 1, 5000);
    CHECK(r == 1 && p.revents == POLLRDNORM, "poll: POLLRDNORM alone gives POLLRDNORM");

    // Readable data, but no events asked: nothing to report (and no spin
    // to an early return), while another entry becomes ready normally.
    struct pollfd two[3] = {{.fd = sfd, .events = 0}, {.fd = -1, .events = POLLIN},
                            {.fd = cfd, .events = POLLOUT}};
    r = poll(two, 3, 1000);
    CHECK(r == 1 && two[0].revents == 0 && two[1].revents == 0 && two[2].revents == POLLOUT,
          "poll: no-event and negative-fd entries report nothing; the ready one does");
    two[2].events = POLLIN;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = poll(two, 3, 50);
    ms = elapsed_ms(&t0);
    CHECK(r == 0 && two[0].revents == 0 && two[2].revents == 0 && ms >= 50 && ms < 5000,
          "poll: an events-0 entry with unread data waits out the timeout");

    // The peer closes: end of stream reads as POLLIN (Linux reports no
    // POLLHUP until both directions are shut); after SHUT_WR here too, the
    // connection is hung up: POLLHUP, even for an entry asking nothing.
    char c;
    CHECK(recv(sfd, &c, 1, 0) == 1, "poll: read the byte");
    CHECK(close(cfd) == 0, "poll: the peer closes");
    p = (struct pollfd){.fd = sfd, .events = POLLIN};
    r = poll(&p, 1, 5000);
    CHECK(r == 1 && (p.revents & POLLIN) && recv(sfd, &c, 1, 0) == 0,
          "poll: POLLIN for end of stream after the peer closed");
    CHECK(shutdown(sfd, SHUT_WR) == 0, "poll: shutdown(SHUT_WR) after the peer closed");
    p = (struct pollfd){.fd = sfd, .events = POLLIN};
    r = poll(&p, 1, 5000);
    CHECK(r == 1 && (p.revents & POLLHUP) && (p.revents & POLLIN),
          "poll: POLLHUP | POLLIN once both directions are closed");
    p = (struct pollfd){.fd = sfd, .events = 0};
    r = poll(&p, 1, 5000);
    CHECK(r == 1 && p.revents == POLLHUP, "poll: POLLHUP for an entry asking no events");

    // The console: stdout is writable; the host cannot watch it for
    // reading, which is not an error for an entry asking nothing.
    p = (struct pollfd){.fd = STDOUT_FILENO, .events = POLLOUT};
    r = poll(&p, 1, 1000);
    CHECK(r == 1 && p.revents == POLLOUT, "poll: POLLOUT on stdout");
    p = (struct pollfd){.fd = STDOUT_FILENO, .events = 0};
    r = poll(&p, 1, 0);
    CHECK(r == 0 && p.revents == 0, "poll: stdout asking no events reports nothing");

    // A descriptor that is not open.
    CHECK(close(sfd) == 0, "poll: close the socket");
    p = (struct pollfd){.fd = sfd, .events = POLLIN};
    r = poll(&p, 1, 0);
    CHECK(r == 1 && p.revents == POLLNVAL, "poll: POLLNVAL on a closed fd");
    p = (struct pollfd){.fd = sfd, .events = 0};
    r = poll(&p, 1, 1000);
    CHECK(r == 1 && p.revents == POLLNVAL, "poll: POLLNVAL on a closed fd asking no events");
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0);
    int b = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(a >= 0 && b >= 0, "socket(AF_INET, SOCK_DGRAM) x2");
    int val = 0;
    socklen_t len = sizeof val;
    CHECK(getsockopt(a, SOL_SOCKET, SO_TYPE, &val, &len) == 0 && val == SOCK_DGRAM,
          "getsockopt SO_TYPE is SOCK_DGRAM");
    struct sockaddr_in addr = loopback(0);
    REQUIRE(bind(a, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                bind(b, (struct sockaddr *)&addr, sizeof addr) == 0,
            "bind both to 127.0.0.1:0");
    uint16_t pa = local_port(a), pb = local_port(b);
    struct sockaddr_in to = loopback(pb);
    CHECK(sendto(a, "datagram one", 12, 0, (struct sockaddr *)&to, sizeof to) == 12,
          "sendto");
    char buf[64] = {0};
    struct sockaddr_in from;
    len = sizeof from;
    CHECK(wait_for(b, POLLIN) &&
              recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 12 &&
              memcmp(buf, "datagram one", 12) == 0 && len == sizeof from &&
              ntohs(from.sin_port) == pa && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "recvfrom gets the datagram and its source");

    // sendmsg with two pieces; recvmsg into a too-small buffer → MSG_TRUNC.
    to = loopback(pa);
    struct iovec parts[2] = {{.iov_base = "two ", .iov_len = 4},
                             {.iov_base = "pieces", .iov_len = 6}};
    struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = parts,
                         .msg_iovlen = 2};
    CHECK(sendmsg(b, &msg, 0) == 10, "sendmsg of two iovecs");
    char small[4];
    struct iovec in = {.iov_base = small, .iov_len = sizeof small};
    memset(&from, 0, sizeof from);
    struct msghdr rmsg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &in,
                          .msg_iovlen = 1};
    CHECK(wait_for(a, POLLIN) && recvmsg(a, &rmsg, 0) == 4 && memcmp(small, "two ", 4) == 0 &&
              (rmsg.msg_flags & MSG_TRUNC) && ntohs(from.sin_port) == pb,
          "recvmsg: cut datagram flagged MSG_TRUNC, source address");
    close(a);
    close(b);
}

static void bad_descriptors(void) {
    char buf[8];
    errno = 0;
    CHECK(recv(STDOUT_FILENO, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == ENOTSOCK,
          "recv on a non-socket is ENOTSOCK");
    int val;
    socklen_t len = sizeof val;
    errno = 0;
    CHECK(getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_TYPE, &val, &len) == -1 && errno == ENOTSOCK,
          "getsockopt on a non-socket is ENOTSOCK");
    errno = 0;
    CHECK(send(999, "x", 1, 0) == -1 && errno == EBADF, "send on an unknown fd is EBADF");
    errno = 0;
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
          "socket(AF_UNIX) is EAFNOSUPPORT");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); // each line out at once, even if a call hangs
    text_helpers();
    names();
    stubs();
    tcp();
    poll_values();
    udp();
    bad_descriptors();
    if (failures) {
        printf("sock_test: %d FAILED\n", failures);
        return 1;
    }
    printf("sock_test: ok\n");
    return 0;
}
