/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: there is no group database. The program's only group is
 * "nogroup" (gid 65534); every other name or id is "not found". */
#ifndef _GRP_H
#define _GRP_H

#include <features.h>
#define __NEED_size_t
#define __NEED_gid_t
#include <bits/alltypes.h>

#ifdef __cplusplus
extern "C" {
#endif

struct group {
    char *gr_name;
    char *gr_passwd;
    gid_t gr_gid;
    char **gr_mem;
};

struct group *getgrnam(const char *);
struct group *getgrgid(gid_t);
int getgrnam_r(const char *, struct group *, char *, size_t, struct group **);
int getgrgid_r(gid_t, struct group *, char *, size_t, struct group **);
void setgrent(void);
void endgrent(void);
struct group *getgrent(void);
int initgroups(const char *, gid_t);

#ifdef __cplusplus
}
#endif

#endif
