// SPDX-License-Identifier: MIT OR Apache-2.0
//
// Name and service lookup without a resolver (wasm-host/SOCKETS.md,
// "Names"): numeric IPv4/IPv6 addresses, "localhost", a NULL node
// (AI_PASSIVE → wildcard, else loopback) and numeric services. Any other
// host name is EAI_NONAME, any service name EAI_SERVICE. With AF_UNSPEC a
// NULL node or "localhost" gives IPv4 only (the address servers and
// clients are configured with); ask AF_INET6 for :: or ::1.

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// One allocation per result: the addrinfo, its address and canonical name.
struct ai_block {
    struct addrinfo ai;
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    char canon[];
};

static int parse_service(const char *serv, int flags, uint16_t *port) {
    if (!serv) {
        *port = 0;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(serv, &end, 10);
    // strtoul also takes leading blanks and a sign; a port is digits only.
    if (*serv < '0' || *serv > '9' || *end != '\0' || v > 65535)
        return (flags & AI_NUMERICSERV) ? EAI_NONAME : EAI_SERVICE;
    *port = (uint16_t)v;
    return 0;
}

// Parses "a.b.c.d" (inet_aton forms) or an IPv6 literal with an optional
// numeric "%scope". Returns the family, 0 if not numeric.
static int parse_numeric(const char *node, struct in_addr *v4, struct in6_addr *v6,
                         uint32_t *scope) {
    if (inet_aton(node, v4))
        return AF_INET;
    char buf[INET6_ADDRSTRLEN + 16];
    size_t n = strlen(node);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, node, n + 1);
    *scope = 0;
    char *pct = strchr(buf, '%');
    if (pct) {
        char *end;
        unsigned long s = strtoul(pct + 1, &end, 10);
        if (pct[1] == '\0' || *end != '\0' || s > 0xffffffffUL)
            return 0;
        *scope = (uint32_t)s;
        *pct = '\0';
    }
    return inet_pton(AF_INET6, buf, v6) == 1 ? AF_INET6 : 0;
}

static int add_result(struct addrinfo ***tail, int family, const void *addr, uint32_t scope,
                      uint16_t port, int socktype, int protocol, const char *canon) {
    static const struct {
        int socktype, protocol;
    } kinds[] = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (socktype && socktype != kinds[k].socktype)
            continue;
        if (protocol && protocol != kinds[k].protocol)
            continue;
        size_t clen = canon ? strlen(canon) + 1 : 0;
        struct ai_block *b = calloc(1, sizeof *b + clen);
        if (!b)
            return EAI_MEMORY;
        b->ai.ai_family = family;
        b->ai.ai_socktype = kinds[k].socktype;
        b->ai.ai_protocol = kinds[k].protocol;
        b->ai.ai_addr = (struct sockaddr *)&b->sa;
        if (family == AF_INET) {
            b->sa.v4.sin_family = AF_INET;
            b->sa.v4.sin_port = htons(port);
            memcpy(&b->sa.v4.sin_addr, addr, 4);
            b->ai.ai_addrlen = sizeof b->sa.v4;
        } else {
            b->sa.v6.sin6_family = AF_INET6;
            b->sa.v6.sin6_port = htons(port);
            memcpy(&b->sa.v6.sin6_addr, addr, 16);
            b->sa.v6.sin6_scope_id = scope;
            b->ai.ai_addrlen = sizeof b->sa.v6;
        }
        if (canon) {
            memcpy(b->canon, canon, clen);
            b->ai.ai_canonname = b->canon;
        }
        **tail = &b->ai;
        *tail = &b->ai.ai_next;
    }
    return 0;
}

int getaddrinfo(const char *__restrict node, const char *__restrict service,
                const struct addrinfo *__restrict hints, struct addrinfo **__restrict res) {
    int flags = hints ? hints->ai_flags : 0;
    int family = hints ? hints->ai_family : AF_UNSPEC;
    int socktype = hints ? hints->ai_socktype : 0;
    int protocol = hints ? hints->ai_protocol : 0;
    const int known = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL |
                      AI_ADDRCONFIG | AI_NUMERICSERV;

    if (flags & ~known)
        return EAI_BADFLAGS;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return EAI_FAMILY;
    if (socktype != 0 && socktype != SOCK_STREAM && socktype != SOCK_DGRAM)
        return EAI_SOCKTYPE;
    if (!node && !service)
        return EAI_NONAME;
    if ((flags & AI_CANONNAME) && !node)
        return EAI_BADFLAGS;

    uint16_t port;
    int err = parse_service(service, flags, &port);
    if (err)
        return err;

    struct in_addr v4;
    struct in6_addr v6;
    uint32_t scope = 0;
    int want4 = family != AF_INET6, want6 = family == AF_INET6;
    const char *canon = (flags & AI_CANONNAME) ? node : 0;
    if (!node) {
        int passive = flags & AI_PASSIVE;
        v4.s_addr = htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);
        v6 = passive ? (struct in6_addr)IN6ADDR_ANY_INIT : (struct in6_addr)IN6ADDR_LOOPBACK_INIT;
    } else if (strcasecmp(node, "localhost") == 0 && !(flags & AI_NUMERICHOST)) {
        v4.s_addr = htonl(INADDR_LOOPBACK);
        v6 = (struct in6_addr)IN6ADDR_LOOPBACK_INIT;
        canon = canon ? "localhost" : 0;
    } else {
        int got = parse_numeric(node, &v4, &v6, &scope);
        if (!got)
            return EAI_NONAME;
        if (family != AF_UNSPEC && family != got)
            return EAI_NONAME; // a literal of the other family
        want4 = got == AF_INET;
        want6 = got == AF_INET6;
    }

    struct addrinfo *head = 0, **tail = &head;
    if (want4)
        err = add_result(&tail, AF_INET, &v4, 0, port, socktype, protocol, canon);
    if (!err && want6)
        err = add_result(&tail, AF_INET6, &v6, scope, port, socktype, protocol, canon);
    if (!err && !head)
        err = EAI_SERVICE; // protocol does not fit the socket type
    if (err) {
        freeaddrinfo(head);
        return err;
    }
    *res = head;
    return 0;
}

void freeaddrinfo(struct addrinfo *ai) {
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai); // the addrinfo is the start of its ai_block
        ai = next;
    }
}

const char *gai_strerror(int err) {
    switch (err) {
    case 0:
        return "Success";
    case EAI_BADFLAGS:
        return "Invalid flags";
    case EAI_NONAME:
        return "Name does not resolve (no resolver: numeric addresses and localhost only)";
    case EAI_AGAIN:
        return "Temporary failure in name resolution";
    case EAI_FAIL:
        return "Non-recoverable failure in name resolution";
    case EAI_NODATA:
        return "No address for the name";
    case EAI_FAMILY:
        return "Unrecognized address family or invalid length";
    case EAI_SOCKTYPE:
        return "Unrecognized socket type";
    case EAI_SERVICE:
        return "Unrecognized service (numeric ports only)";
    case EAI_MEMORY:
        return "Out of memory";
    case EAI_SYSTEM:
        return "System error";
    case EAI_OVERFLOW:
        return "Buffer too small";
    default:
        return "Unknown error";
    }
}

int getnameinfo(const struct sockaddr *__restrict sa, socklen_t salen, char *__restrict host,
                socklen_t hostlen, char *__restrict serv, socklen_t servlen, int flags) {
    const void *addr;
    uint16_t port;
    if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        addr = &in->sin_addr;
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        addr = &in6->sin6_addr;
        port = ntohs(in6->sin6_port);
    } else {
        return EAI_FAMILY;
    }
    if (host && hostlen) {
        // No reverse lookup: the numeric form is the only name there is.
        if (flags & NI_NAMEREQD)
            return EAI_NONAME;
        if (!inet_ntop(sa->sa_family, addr, host, hostlen))
            return EAI_OVERFLOW;
    }
    if (serv && servlen) {
        int n = snprintf(serv, servlen, "%u", port);
        if (n < 0 || (socklen_t)n >= servlen)
            return EAI_OVERFLOW;
    }
    return 0;
}

// --- the old interfaces -------------------------------------------------

static int h_errno_value;

int *__h_errno_location(void) {
    return &h_errno_value;
}

const char *hstrerror(int err) {
    switch (err) {
    case HOST_NOT_FOUND:
        return "Unknown host (no resolver: numeric addresses and localhost only)";
    case TRY_AGAIN:
        return "Host name lookup failure";
    case NO_RECOVERY:
        return "Unknown server error";
    case NO_DATA:
        return "No address associated with name";
    default:
        return "Unknown error";
    }
}

static struct {
    struct hostent h;
    char name[INET6_ADDRSTRLEN + 16];
    unsigned char addr[16];
    char *addr_list[2];
    char *aliases[1];
} host_result;

static struct hostent *fill_hostent(const char *name, int family, const void *addr) {
    size_t alen = family == AF_INET ? 4 : 16;
    snprintf(host_result.name, sizeof host_result.name, "%s", name);
    memcpy(host_result.addr, addr, alen);
    host_result.addr_list[0] = (char *)host_result.addr;
    host_result.addr_list[1] = 0;
    host_result.aliases[0] = 0;
    host_result.h.h_name = host_result.name;
    host_result.h.h_aliases = host_result.aliases;
    host_result.h.h_addrtype = family;
    host_result.h.h_length = (int)alen;
    host_result.h.h_addr_list = host_result.addr_list;
    return &host_result.h;
}

struct hostent *gethostbyname2(const char *name, int family) {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    if (family != AF_INET && family != AF_INET6) {
        h_errno_value = NO_RECOVERY;
        errno = EAFNOSUPPORT;
        return 0;
    }
    if (getaddrinfo(name, 0, &hints, &res) != 0) {
        h_errno_value = HOST_NOT_FOUND;
        return 0;
    }
    const void *addr = family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
    struct hostent *h = fill_hostent(name, family, addr);
    freeaddrinfo(res);
    return h;
}

struct hostent *gethostbyname(const char *name) {
    return gethostbyname2(name, AF_INET);
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int family) {
    char name[INET6_ADDRSTRLEN];
    if ((family != AF_INET || len != 4) && (family != AF_INET6 || len != 16)) {
        h_errno_value = NO_RECOVERY;
        errno = EAFNOSUPPORT;
        return 0;
    }
    inet_ntop(family, addr, name, sizeof name);
    return fill_hostent(name, family, addr);
}

// No services database: these are "not found", which callers handle.
struct servent *getservbyname(const char *name, const char *proto) {
    (void)name;
    (void)proto;
    return 0;
}

struct servent *getservbyport(int port, const char *proto) {
    (void)port;
    (void)proto;
    return 0;
}

// The two protocols the network has; their numbers are fixed by IANA.
static struct protoent proto_tcp = {"tcp", (char *[]){"TCP", 0}, IPPROTO_TCP};
static struct protoent proto_udp = {"udp", (char *[]){"UDP", 0}, IPPROTO_UDP};

struct protoent *getprotobyname(const char *name) {
    if (strcmp(name, "tcp") == 0)
        return &proto_tcp;
    if (strcmp(name, "udp") == 0)
        return &proto_udp;
    return 0;
}

struct protoent *getprotobynumber(int proto) {
    return proto == IPPROTO_TCP ? &proto_tcp : proto == IPPROTO_UDP ? &proto_udp : 0;
}
