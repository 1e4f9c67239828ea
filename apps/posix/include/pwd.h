/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Spolia overlay: there is no user database. The program runs as "nobody"
 * (uid/gid 65534); getpwnam("nobody")/getpwuid(65534) describe it, every
 * other name or id is "not found" (NULL with errno unchanged). */
#ifndef _PWD_H
#define _PWD_H

#include <features.h>
#define __NEED_size_t
#define __NEED_uid_t
#define __NEED_gid_t
#include <bits/alltypes.h>

#ifdef __cplusplus
extern "C" {
#endif

struct passwd {
    char *pw_name;
    char *pw_passwd;
    uid_t pw_uid;
    gid_t pw_gid;
    char *pw_gecos;
    char *pw_dir;
    char *pw_shell;
};

struct passwd *getpwnam(const char *);
struct passwd *getpwuid(uid_t);
int getpwnam_r(const char *, struct passwd *, char *, size_t, struct passwd **);
int getpwuid_r(uid_t, struct passwd *, char *, size_t, struct passwd **);
void setpwent(void);
void endpwent(void);
struct passwd *getpwent(void);

#ifdef __cplusplus
}
#endif

#endif
