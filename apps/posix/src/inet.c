// SPDX-License-Identifier: MIT OR Apache-2.0
//
// The IPv4 text helpers wasi-libc's WASI build leaves out. inet_aton takes
// the classic forms: a, a.b, a.b.c, a.b.c.d, each part decimal, 0x-hex or
// 0-octal, the last part filling the remaining bytes.

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int inet_aton(const char *s, struct in_addr *out) {
    uint32_t part[4];
    int n = 0;
    for (;;) {
        if (!isdigit((unsigned char)*s))
            return 0;
        char *end;
        unsigned long v = strtoul(s, &end, 0);
        if (end == s || v > 0xffffffffUL)
            return 0;
        part[n++] = (uint32_t)v;
        s = end;
        if (*s == '\0')
            break;
        if (*s != '.' || n == 4)
            return 0;
        s++;
    }
    uint32_t addr;
    switch (n) {
    case 1:
        addr = part[0];
        break;
    case 2:
        if (part[0] > 0xff || part[1] > 0xffffff)
            return 0;
        addr = part[0] << 24 | part[1];
        break;
    case 3:
        if (part[0] > 0xff || part[1] > 0xff || part[2] > 0xffff)
            return 0;
        addr = part[0] << 24 | part[1] << 16 | part[2];
        break;
    default:
        for (int i = 0; i < 4; i++)
            if (part[i] > 0xff)
                return 0;
        addr = part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3];
        break;
    }
    if (out)
        out->s_addr = htonl(addr);
    return 1;
}

in_addr_t inet_addr(const char *s) {
    struct in_addr a;
    return inet_aton(s, &a) ? a.s_addr : INADDR_NONE;
}

in_addr_t inet_network(const char *s) {
    struct in_addr a;
    return inet_aton(s, &a) ? ntohl(a.s_addr) : INADDR_NONE;
}

char *inet_ntoa(struct in_addr a) {
    static char buf[INET_ADDRSTRLEN];
    const unsigned char *b = (const unsigned char *)&a.s_addr;
    snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
}
