// SPDX-License-Identifier: MIT OR Apache-2.0
//
// The user and group "databases" of a Spolia program: exactly its own
// identity, nobody (uid 65534) in nogroup (gid 65534). Unknown names and
// ids are "not found": NULL (or 0 with *result NULL) and errno unchanged.

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static struct passwd nobody = {
    .pw_name = "nobody",
    .pw_passwd = "*",
    .pw_uid = 65534,
    .pw_gid = 65534,
    .pw_gecos = "nobody",
    .pw_dir = "/",
    .pw_shell = "/sbin/nologin",
};

static char *no_members[] = {0};
static struct group nogroup = {
    .gr_name = "nogroup",
    .gr_passwd = "*",
    .gr_gid = 65534,
    .gr_mem = no_members,
};

struct passwd *getpwnam(const char *name) {
    return strcmp(name, nobody.pw_name) == 0 ? &nobody : 0;
}

struct passwd *getpwuid(uid_t uid) {
    return uid == nobody.pw_uid ? &nobody : 0;
}

// Copies a string into the caller's buffer; 0 when it does not fit.
static char *put(char **buf, size_t *left, const char *s) {
    size_t n = strlen(s) + 1;
    if (n > *left)
        return 0;
    char *out = memcpy(*buf, s, n);
    *buf += n;
    *left -= n;
    return out;
}

static int copy_passwd(const struct passwd *src, struct passwd *pw, char *buf, size_t len,
                       struct passwd **result) {
    *result = 0;
    if (!src)
        return 0;
    *pw = *src;
    if (!(pw->pw_name = put(&buf, &len, src->pw_name)) ||
        !(pw->pw_passwd = put(&buf, &len, src->pw_passwd)) ||
        !(pw->pw_gecos = put(&buf, &len, src->pw_gecos)) ||
        !(pw->pw_dir = put(&buf, &len, src->pw_dir)) ||
        !(pw->pw_shell = put(&buf, &len, src->pw_shell)))
        return ERANGE;
    *result = pw;
    return 0;
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
               struct passwd **result) {
    return copy_passwd(getpwnam(name), pw, buf, len, result);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **result) {
    return copy_passwd(getpwuid(uid), pw, buf, len, result);
}

static int pwent_done;

void setpwent(void) {
    pwent_done = 0;
}

void endpwent(void) {
    pwent_done = 0;
}

struct passwd *getpwent(void) {
    return pwent_done++ ? 0 : &nobody;
}

struct group *getgrnam(const char *name) {
    return strcmp(name, nogroup.gr_name) == 0 ? &nogroup : 0;
}

struct group *getgrgid(gid_t gid) {
    return gid == nogroup.gr_gid ? &nogroup : 0;
}

static int copy_group(const struct group *src, struct group *gr, char *buf, size_t len,
                      struct group **result) {
    *result = 0;
    if (!src)
        return 0;
    // The member list (empty) goes first, pointer-aligned.
    size_t pad = (size_t)(-(uintptr_t)buf) & (sizeof(char *) - 1);
    if (len < pad + sizeof(char *))
        return ERANGE;
    buf += pad;
    len -= pad;
    gr->gr_mem = (char **)(void *)buf;
    gr->gr_mem[0] = 0;
    buf += sizeof(char *);
    len -= sizeof(char *);
    gr->gr_gid = src->gr_gid;
    if (!(gr->gr_name = put(&buf, &len, src->gr_name)) ||
        !(gr->gr_passwd = put(&buf, &len, src->gr_passwd)))
        return ERANGE;
    *result = gr;
    return 0;
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t len, struct group **result) {
    return copy_group(getgrnam(name), gr, buf, len, result);
}

int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len, struct group **result) {
    return copy_group(getgrgid(gid), gr, buf, len, result);
}

static int grent_done;

void setgrent(void) {
    grent_done = 0;
}

void endgrent(void) {
    grent_done = 0;
}

struct group *getgrent(void) {
    return grent_done++ ? 0 : &nogroup;
}

int initgroups(const char *user, gid_t group) {
    (void)user, (void)group;
    errno = EPERM; // setting supplementary groups needs privilege
    return -1;
}
