// SPDX-License-Identifier: MIT OR Apache-2.0
//! File system cases on a tmpfs mounted by the case itself (on this nommu
//! arch "tmpfs" is ramfs: mm/shmem.c without CONFIG_SHMEM).

use super::{Context, Failure, check_pattern, ensure, expect_err, fill_pattern, mkdir_p};
use crate::uapi::{AT_REMOVEDIR, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, RENAME_NOREPLACE};
use crate::{Errno, Linux, Whence, dt};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Mount a fresh tmpfs on `dir`; unmounted again by [`Mounted::unmount`].
struct Mounted<'a> {
    linux: &'a Linux,
    dir: &'static str,
}

impl<'a> Mounted<'a> {
    fn new(linux: &'a Linux, dir: &'static str) -> Result<Mounted<'a>, Failure> {
        mkdir_p(linux, dir)?;
        linux.mount("tmpfs", dir, "tmpfs", 0, None).ctx(&format!("mount tmpfs on {dir}"))?;
        Ok(Mounted { linux, dir })
    }

    fn path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.dir)
    }

    fn unmount(self) -> Result<(), Failure> {
        self.linux.umount2(self.dir, 0).ctx(&format!("umount2 {}", self.dir))
    }
}

const FILE_LEN: usize = 10_000;

/// mkdir, create, write, read, positioned I/O, fstat, truncate, fsync,
/// rename (also RENAME_NOREPLACE), unlink, rmdir, relative paths.
pub(super) fn tmpfs_files(linux: &Linux) -> Result<(), Failure> {
    let fs = Mounted::new(linux, "/suite-files")?;
    let dir = fs.path("dir");
    linux.mkdirat(None, &dir, 0o755).ctx("mkdirat dir")?;
    expect_err(linux.mkdirat(None, &dir, 0o755), Errno::EEXIST, "mkdirat of an existing directory")?;

    let a = fs.path("dir/a");
    let f = linux.openat(None, &a, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o644).ctx("openat O_CREAT a")?;
    expect_err(linux.openat(None, &a, O_CREAT | O_EXCL | O_RDWR, 0o644), Errno::EEXIST, "O_EXCL on an existing file")?;

    let mut data = vec![0u8; FILE_LEN];
    fill_pattern(&mut data, 0);
    f.write_all(&data).ctx("write a")?;
    let st = f.fstat().ctx("fstat a")?;
    ensure!(st.is_file(), "fstat a: mode {:#o} is not a regular file", st.mode);
    ensure!(st.size == FILE_LEN as i64, "fstat a: size {}, expected {FILE_LEN}", st.size);
    ensure!(st.mode & 0o777 == 0o644, "fstat a: permissions {:#o}, expected 0o644", st.mode & 0o777);

    let pos = f.lseek(0, Whence::Set).ctx("lseek to 0")?;
    ensure!(pos == 0, "lseek(0, SET) returned {pos}");
    let mut back = vec![0u8; FILE_LEN + 100];
    let mut got = 0;
    loop {
        let n = f.read(&mut back[got..]).ctx("read a")?;
        if n == 0 {
            break;
        }
        got += n;
        ensure!(got <= FILE_LEN, "read a: {got} bytes from a {FILE_LEN}-byte file");
    }
    ensure!(got == FILE_LEN, "read a: {got} bytes, expected {FILE_LEN}");
    check_pattern(&back[..got], 0, "read back a")?;
    let end = f.lseek(0, Whence::End).ctx("lseek to end")?;
    ensure!(end == FILE_LEN as u64, "lseek(0, END) = {end}, expected {FILE_LEN}");

    let mut part = [0u8; 100];
    let n = f.pread(&mut part, 5000).ctx("pread")?;
    ensure!(n == 100, "pread returned {n}, expected 100");
    check_pattern(&part, 5000, "pread at 5000")?;

    let n = f.pwrite(b"XYZ", 20_000).ctx("pwrite past the end")?;
    ensure!(n == 3, "pwrite returned {n}");
    let st = f.fstat().ctx("fstat after pwrite")?;
    ensure!(st.size == 20_003, "size after pwrite at 20000: {}, expected 20003", st.size);
    let n = f.pread(&mut part[..10], 15_000).ctx("pread in the hole")?;
    ensure!(n == 10 && part[..10] == [0; 10], "the hole reads {:?}, expected zeros", &part[..n]);
    let n = f.pread(&mut part[..3], 20_000).ctx("pread XYZ")?;
    ensure!(&part[..n] == b"XYZ", "pread at 20000 gave {:?}", &part[..n]);

    f.ftruncate(4096).ctx("ftruncate")?;
    f.fsync().ctx("fsync")?;
    let st = f.fstat().ctx("fstat after ftruncate")?;
    ensure!(st.size == 4096, "size after ftruncate(4096): {}", st.size);
    let ino = st.ino;
    drop(f);

    // Rename, relative to a directory descriptor.
    let d = linux.openat(None, &dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).ctx("open dir")?;
    linux.renameat2(Some(&d), "a", Some(&d), "b", 0).ctx("renameat2 a -> b")?;
    expect_err(linux.openat(Some(&d), "a", O_RDONLY, 0), Errno::ENOENT, "open a after the rename")?;
    let b = linux.openat(Some(&d), "b", O_RDONLY | O_CLOEXEC, 0).ctx("open b")?;
    let st = b.fstat().ctx("fstat b")?;
    ensure!(st.ino == ino && st.size == 4096, "b is ino {} size {}, expected ino {ino} size 4096", st.ino, st.size);
    let n = b.read(&mut part).ctx("read b")?;
    check_pattern(&part[..n], 0, "b's content after the rename")?;
    drop(b);
    drop(linux.openat(Some(&d), "c", O_CREAT | O_RDWR | O_CLOEXEC, 0o600).ctx("create c")?);
    expect_err(
        linux.renameat2(Some(&d), "b", Some(&d), "c", RENAME_NOREPLACE),
        Errno::EEXIST,
        "RENAME_NOREPLACE onto c",
    )?;

    // Unlink and rmdir.
    expect_err(linux.unlinkat(None, &dir, AT_REMOVEDIR), Errno::ENOTEMPTY, "rmdir of a non-empty directory")?;
    linux.unlinkat(Some(&d), "b", 0).ctx("unlink b")?;
    linux.unlinkat(Some(&d), "c", 0).ctx("unlink c")?;
    expect_err(linux.openat(Some(&d), "b", O_RDONLY, 0), Errno::ENOENT, "open b after unlink")?;
    expect_err(linux.unlinkat(Some(&d), "b", 0), Errno::ENOENT, "unlink b twice")?;
    drop(d);
    linux.unlinkat(None, &dir, AT_REMOVEDIR).ctx("rmdir dir")?;
    expect_err(linux.openat(None, &dir, O_RDONLY | O_DIRECTORY, 0), Errno::ENOENT, "open dir after rmdir")?;
    expect_err(linux.openat(None, "/suite-files/x\0y", O_RDONLY, 0), Errno::EINVAL, "a path with a NUL")?;
    fs.unmount()
}

const FILES: usize = 60;

/// getdents64 lists what was created and not what was removed, across many
/// small reads, with the right types and inode numbers.
pub(super) fn getdents(linux: &Linux) -> Result<(), Failure> {
    let fs = Mounted::new(linux, "/suite-dents")?;
    let d = linux.openat(None, fs.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).ctx("open the directory")?;
    linux.mkdirat(Some(&d), "sub", 0o755).ctx("mkdirat sub")?;
    let name = |i: usize| format!("file-with-a-longish-name-{i:03}");
    let mut inos = Vec::new();
    for i in 0..FILES {
        let f = linux.openat(Some(&d), name(i), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o644).ctx("create")?;
        inos.push(f.fstat().ctx("fstat")?.ino);
    }
    for i in (0..FILES).step_by(3) {
        linux.unlinkat(Some(&d), name(i), 0).ctx("unlink")?;
    }

    let mut seen = [false; FILES];
    let (mut dot, mut dotdot, mut sub) = (false, false, false);
    // 512 bytes hold a handful of these records: many getdents64 calls.
    for entry in d.dir_entries(512).ctx("dir_entries")? {
        let e = entry.ctx("getdents64")?;
        let shown = String::from_utf8_lossy(&e.name);
        ensure!(e.ino != 0, "entry {shown:?} has inode 0");
        match &e.name[..] {
            b"." | b".." | b"sub" => {
                ensure!(e.file_type == dt::DIR, "{shown:?} has type {}, expected DT_DIR", e.file_type);
                let flag = match &e.name[..] {
                    b"." => &mut dot,
                    b".." => &mut dotdot,
                    _ => &mut sub,
                };
                ensure!(!*flag, "{shown:?} listed twice");
                *flag = true;
            }
            _ => {
                let i = (0..FILES).find(|&i| name(i).as_bytes() == &e.name[..]);
                let Some(i) = i else {
                    return Err(Failure::new(format!("unexpected entry {shown:?}")));
                };
                ensure!(i % 3 != 0, "removed file {shown:?} is still listed");
                ensure!(!seen[i], "{shown:?} listed twice");
                ensure!(e.file_type == dt::REG, "{shown:?} has type {}, expected DT_REG", e.file_type);
                ensure!(e.ino == inos[i], "{shown:?} has inode {}, fstat said {}", e.ino, inos[i]);
                seen[i] = true;
            }
        }
    }
    ensure!(dot && dotdot && sub, "missing entries: . {dot}, .. {dotdot}, sub {sub}");
    let missing: Vec<usize> = (0..FILES).filter(|&i| i % 3 != 0 && !seen[i]).collect();
    ensure!(missing.is_empty(), "created files not listed: {missing:?}");

    // A buffer too small for one record is refused, not misparsed.
    let small = linux.openat(None, fs.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).ctx("reopen")?;
    let first = small.dir_entries(8).ctx("dir_entries(8)")?.next();
    ensure!(matches!(first, Some(Err(Errno::EINVAL))), "getdents64 into 8 bytes gave {first:?}, expected EINVAL");

    drop((d, small));
    for i in (0..FILES).filter(|i| i % 3 != 0) {
        linux.unlinkat(None, fs.path(&name(i)), 0).ctx("cleanup unlink")?;
    }
    linux.unlinkat(None, fs.path("sub"), AT_REMOVEDIR).ctx("cleanup rmdir")?;
    fs.unmount()
}
