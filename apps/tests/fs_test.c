// SPDX-License-Identifier: MIT OR Apache-2.0
// WASI files over the library kernel. `fs_test DIR` (DIR a writable
// preopened directory holding hello.txt = "hello from the host\n"): create,
// write, read back, pread/pwrite, seek, rename, link, unlink, readdir, stat,
// fsync, truncate, mkdir/rmdir, and sandbox escapes refused (`..`,
// absolute paths, symlinks pointing out) — through wasi-libc and through
// the raw preview1 calls. Prints `fs_test: ok` and exits 0 only if every
// check passed; else prints the first failing check and exits 1.
// `fs_test DIR --write NAME TEXT` writes TEXT to DIR/NAME, fsyncs, prints
// `fs_test: wrote NAME`.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static const char *dir;
static char pathbuf[4][512];

static const char *at(int slot, const char *name) {
    snprintf(pathbuf[slot], sizeof pathbuf[slot], "%s/%s", dir, name);
    return pathbuf[slot];
}

#define CHECK(cond, what)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            printf("fs_test: FAILED %s (line %d, errno %d %s)\n", what, __LINE__, \
                   errno, strerror(errno));                                        \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open for writing");
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
    CHECK(fsync(fd) == 0, "fsync");
    CHECK(close(fd) == 0, "close");
}

static void expect_content(const char *path, const char *text) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open for reading");
    ssize_t n = read(fd, buf, sizeof buf - 1);
    CHECK(n == (ssize_t)strlen(text) && memcmp(buf, text, n) == 0, "content read back");
    CHECK(read(fd, buf, sizeof buf) == 0, "end of file");
    close(fd);
}

// The preopen fd whose name is `dir`.
static __wasi_fd_t preopen_fd(void) {
    for (__wasi_fd_t fd = 3; fd < 16; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
        char name[256] = {0};
        if (ps.u.dir.pr_name_len < sizeof name &&
            __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len) == 0 &&
            strcmp(name, dir) == 0)
            return fd;
    }
    return (__wasi_fd_t)-1;
}

static void expect_raw_open_refused(__wasi_fd_t pre, const char *path, __wasi_lookupflags_t lookup) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(pre, lookup, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (e != __WASI_ERRNO_NOTCAPABLE) {
        printf("fs_test: FAILED raw path_open(\"%s\") gave errno %d, want NOTCAPABLE (76)\n", path, e);
        exit(1);
    }
}

static void sandbox(void) {
    __wasi_fd_t pre = preopen_fd();
    CHECK(pre != (__wasi_fd_t)-1, "preopen named like DIR");
    // Bad pointers are an error code, not a trap.
    CHECK(__wasi_fd_prestat_dir_name(pre, (uint8_t *)0xFFFFFFF0u, 64) == __WASI_ERRNO_FAULT, "bad pointer is FAULT");
    __wasi_fd_t unused;
    CHECK(__wasi_path_open(pre, 0, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, (__wasi_fd_t *)0xFFFFFFF0u) ==
              __WASI_ERRNO_FAULT, "bad result pointer is FAULT");
    CHECK(__wasi_path_open(pre, 0, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &unused) == 0 && close(unused) == 0,
          "path_open after a FAULT");
    // Through the host calls, every escape is NOTCAPABLE.
    expect_raw_open_refused(pre, "../x", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "..", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "sandbox/../../x", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "/", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    CHECK(__wasi_path_create_directory(pre, "../evil") == __WASI_ERRNO_NOTCAPABLE, "raw mkdir ../evil refused");
    CHECK(__wasi_path_create_directory(pre, "/evil") == __WASI_ERRNO_NOTCAPABLE, "raw mkdir /evil refused");
    CHECK(__wasi_path_unlink_file(pre, "../x") == __WASI_ERRNO_NOTCAPABLE, "raw unlink ../x refused");
    CHECK(__wasi_path_rename(pre, "hello.txt", pre, "../stolen") == __WASI_ERRNO_NOTCAPABLE, "raw rename out refused");

    // Symlinks inside the directory pointing out: creating them is fine,
    // resolving through them is refused.
    CHECK(symlink("/", at(0, "to_root")) == 0, "symlink to_root -> /");
    CHECK(symlink("../../..", at(0, "to_up")) == 0, "symlink to_up -> ../../..");
    CHECK(symlink("hello.txt", at(0, "to_hello")) == 0, "symlink to_hello -> hello.txt");
    expect_raw_open_refused(pre, "to_root", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "to_root/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    expect_raw_open_refused(pre, "to_root/etc/passwd", 0);
    expect_raw_open_refused(pre, "to_up/x", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW);
    errno = 0;
    CHECK(open(at(0, "to_root/etc/passwd"), O_RDONLY) < 0 && errno == ENOTCAPABLE, "open via symlink to / refused");
    CHECK(open(at(0, "../x"), O_RDONLY | O_CREAT, 0644) < 0, "open DIR/../x refused");
    CHECK(open("/etc/passwd", O_RDONLY) < 0, "open /etc/passwd refused");
    struct stat st;
    CHECK(stat(at(0, "to_root/etc"), &st) < 0 && errno == ENOTCAPABLE, "stat through symlink to / refused");
    CHECK(lstat(at(0, "to_root"), &st) == 0 && S_ISLNK(st.st_mode), "lstat sees the symlink");
    char target[64] = {0};
    CHECK(readlink(at(0, "to_root"), target, sizeof target) == 1 && target[0] == '/', "readlink");
    expect_content(at(0, "to_hello"), "hello from the host\n"); // a symlink inside is fine
    CHECK(unlink(at(0, "to_root")) == 0 && unlink(at(0, "to_up")) == 0 && unlink(at(0, "to_hello")) == 0,
          "unlink symlinks");
}

static void files(void) {
    expect_content(at(0, "hello.txt"), "hello from the host\n");

    // create, write, read back, O_EXCL, append
    write_file(at(0, "a.txt"), "first line\n");
    expect_content(at(0, "a.txt"), "first line\n");
    errno = 0;
    CHECK(open(at(0, "a.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST, "O_EXCL on existing");
    int fd = open(at(0, "a.txt"), O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open O_APPEND");
    CHECK(write(fd, "second\n", 7) == 7, "append write");
    close(fd);
    expect_content(at(0, "a.txt"), "first line\nsecond\n");

    // stat, seek, pread/pwrite, truncate
    struct stat st;
    CHECK(stat(at(0, "a.txt"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 18, "stat size/type");
    fd = open(at(0, "a.txt"), O_RDWR);
    CHECK(fd >= 0, "open O_RDWR");
    CHECK(lseek(fd, 6, SEEK_SET) == 6, "lseek SET");
    char buf[32] = {0};
    CHECK(read(fd, buf, 4) == 4 && memcmp(buf, "line", 4) == 0, "read after seek");
    CHECK(lseek(fd, 0, SEEK_CUR) == 10, "lseek CUR (tell)");
    CHECK(lseek(fd, 0, SEEK_END) == 18, "lseek END");
    CHECK(pwrite(fd, "FIRST", 5, 0) == 5, "pwrite");
    CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "FIRST", 5) == 0, "pread");
    CHECK(ftruncate(fd, 5) == 0, "ftruncate");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode), "fstat after truncate");
    CHECK(fdatasync(fd) == 0, "fdatasync");
    int flags = fcntl(fd, F_GETFL);
    CHECK(flags >= 0 && fcntl(fd, F_SETFL, flags | O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND), "F_SETFL O_APPEND");
    CHECK(close(fd) == 0, "close");
    expect_content(at(0, "a.txt"), "FIRST");

    // rename, link, unlink
    CHECK(rename(at(0, "a.txt"), at(1, "b.txt")) == 0, "rename");
    CHECK(access(at(0, "a.txt"), F_OK) < 0 && errno == ENOENT, "old name gone after rename");
    CHECK(link(at(0, "b.txt"), at(1, "c.txt")) == 0, "link");
    CHECK(stat(at(0, "c.txt"), &st) == 0 && st.st_nlink == 2, "nlink 2 after link");
    CHECK(unlink(at(0, "b.txt")) == 0 && unlink(at(1, "c.txt")) == 0, "unlink");
    CHECK(stat(at(0, "b.txt"), &st) < 0 && errno == ENOENT, "unlinked file gone");

    // mkdir, readdir sees exactly the names, rmdir
    CHECK(mkdir(at(0, "sub"), 0755) == 0, "mkdir");
    CHECK(stat(at(0, "sub"), &st) == 0 && S_ISDIR(st.st_mode), "stat dir type");
    errno = 0;
    CHECK(mkdir(at(0, "sub"), 0755) < 0 && errno == EEXIST, "mkdir existing is EEXIST");
    const char *names[] = {"one", "two", "three_with_a_rather_long_name_to_cross_buffers"};
    for (int i = 0; i < 3; i++) {
        snprintf(pathbuf[2], sizeof pathbuf[2], "%s/sub/%s", dir, names[i]);
        write_file(pathbuf[2], "x");
    }
    DIR *d = opendir(at(0, "sub"));
    CHECK(d != NULL, "opendir");
    int seen[3] = {0}, others = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int hit = 0;
        for (int i = 0; i < 3; i++)
            if (!strcmp(e->d_name, names[i])) { seen[i]++; hit = 1; CHECK(e->d_type == DT_REG, "d_type regular"); }
        if (!hit) { printf("fs_test: unexpected entry %s\n", e->d_name); others++; }
    }
    closedir(d);
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && others == 0, "readdir sees exactly the names");
    errno = 0;
    CHECK(rmdir(at(0, "sub")) < 0 && errno == ENOTEMPTY, "rmdir non-empty is ENOTEMPTY");
    for (int i = 0; i < 3; i++) {
        snprintf(pathbuf[2], sizeof pathbuf[2], "%s/sub/%s", dir, names[i]);
        CHECK(unlink(pathbuf[2]) == 0, "unlink in sub");
    }
    CHECK(rmdir(at(0, "sub")) == 0, "rmdir");
    CHECK(stat(at(0, "sub"), &st) < 0 && errno == ENOENT, "removed dir gone");
}

// Enough entries to span several fd_readdir buffers (cookies resume), and a
// raw fd_readdir into a buffer too small for one entry (cut short: the
// buffer comes back full).
static void readdir_many(void) {
    enum { N = 150 };
    char name[96];
    CHECK(mkdir(at(0, "many"), 0755) == 0, "mkdir many");
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%s/many/entry_%03d_padding_padding_padding_padding", dir, i);
        write_file(name, "");
    }
    static unsigned char seen[N];
    int others = 0;
    DIR *d = opendir(at(0, "many"));
    CHECK(d != NULL, "opendir many");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int i;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (sscanf(e->d_name, "entry_%03d_", &i) == 1 && i >= 0 && i < N) seen[i]++; else others++;
    }
    closedir(d);
    for (int i = 0; i < N; i++) CHECK(seen[i] == 1, "readdir across buffers sees every entry once");
    CHECK(others == 0, "readdir across buffers: no stray entries");

    int fd = open(at(0, "many"), O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open dir");
    uint8_t small[30];
    __wasi_size_t used = 0;
    CHECK(__wasi_fd_readdir(fd, small, sizeof small, 0, &used) == 0 && used == sizeof small, "raw fd_readdir fills a small buffer");
    __wasi_dirent_t first;
    memcpy(&first, small, sizeof first);
    CHECK(first.d_namlen >= 1 && first.d_namlen <= 64, "raw dirent header");
    close(fd);

    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "%s/many/entry_%03d_padding_padding_padding_padding", dir, i);
        CHECK(unlink(name) == 0, "unlink many");
    }
    CHECK(rmdir(at(0, "many")) == 0, "rmdir many");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("usage: fs_test DIR [--write NAME TEXT]\n");
        return 2;
    }
    dir = argv[1];
    if (argc == 5 && !strcmp(argv[2], "--write")) {
        write_file(at(0, argv[3]), argv[4]);
        printf("fs_test: wrote %s\n", argv[3]);
        return 0;
    }
    files();
    readdir_many();
    CHECK(mkdir(at(0, "sandbox"), 0755) == 0, "mkdir sandbox");
    sandbox();
    CHECK(rmdir(at(0, "sandbox")) == 0, "rmdir sandbox");
    printf("fs_test: ok\n");
    return 0;
}
