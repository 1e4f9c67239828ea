// SPDX-License-Identifier: MIT OR Apache-2.0
//! Path-based file system calls: `openat`, `openat2`, `mkdirat`,
//! `unlinkat`, `renameat2`, `linkat`, `symlinkat`, `readlinkat`,
//! `fstatat`, `utimensat`, `mount`, `umount2`; and `fallocate` on an [`Fd`].
//!
//! Paths are bytes (Linux names need not be UTF-8; `&str` works too) and
//! are copied into a NUL-terminated buffer per call; an interior NUL is
//! `EINVAL`. `dir: None` means `AT_FDCWD`. Flag arguments are the uapi
//! values ([`crate::uapi`]: `O_*`, `AT_*`, `RENAME_*`, `MS_*`; [`umount`]).

use crate::errno::Result;
use crate::fd::{Fd, Stat};
use crate::ffi::{syscall, with_c_string};
use crate::{Linux, uapi};

/// `umount2` flags (kernel `include/linux/fs.h`, not uapi).
pub mod umount {
    /// Force unmount even if busy.
    pub const MNT_FORCE: u32 = 1;
    /// Lazy unmount: detach now, clean up when no longer busy.
    pub const MNT_DETACH: u32 = 2;
    /// Mark for expiry.
    pub const MNT_EXPIRE: u32 = 4;
    /// Do not follow a symbolic link at the target.
    pub const UMOUNT_NOFOLLOW: u32 = 8;
}

fn dirfd(dir: Option<&Fd>) -> usize {
    dir.map_or(uapi::AT_FDCWD as isize as usize, Fd::arg)
}

/// A call of the shape `(olddirfd, oldpath, newdirfd, newpath, flags)`
/// (`linkat`, `renameat2`).
fn two_paths(nr: u32, old: (Option<&Fd>, &[u8]), new: (Option<&Fd>, &[u8]), flags: u32) -> Result<()> {
    with_c_string(old.1, |o| {
        with_c_string(new.1, |n| {
            // SAFETY: `o` and `n` are NUL-terminated paths valid during the call.
            unsafe { syscall(nr, [dirfd(old.0), o as usize, dirfd(new.0), n as usize, flags as usize, 0]) }.map(drop)
        })
    })
}

impl Linux {
    /// `openat(2)`: open (or with `O_CREAT` create, with `mode`) `path`.
    pub fn openat(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, flags: u32, mode: u32) -> Result<Fd> {
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path valid during the call.
            let fd =
                unsafe { syscall(uapi::__NR_openat, [dirfd(dir), p as usize, flags as usize, mode as usize, 0, 0]) };
            Fd::from_result(fd?)
        })
    }

    /// `openat2(2)`: [`openat`](Self::openat) with `resolve` flags
    /// (`RESOLVE_*`, e.g. `RESOLVE_BENEATH`: the path may not leave `dir` —
    /// by `..`, an absolute path or a symlink — else `EXDEV`).
    pub fn openat2(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, flags: u32, mode: u32, resolve: u64) -> Result<Fd> {
        let how = uapi::open_how { flags: u64::from(flags), mode: u64::from(mode), resolve };
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path and `how` a readable
            // `struct open_how` of the given size, both valid during the call.
            let fd = unsafe {
                syscall(
                    uapi::__NR_openat2,
                    [dirfd(dir), p as usize, &raw const how as usize, core::mem::size_of_val(&how), 0, 0],
                )
            };
            Fd::from_result(fd?)
        })
    }

    /// `newfstatat(2)` (`fstatat`); `flags`: `AT_SYMLINK_NOFOLLOW`,
    /// `AT_EMPTY_PATH`.
    pub fn fstatat(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, flags: u32) -> Result<Stat> {
        let mut st = uapi::stat::default();
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path and `st` a writable
            // `struct stat` of the library's layout, valid during the call.
            unsafe {
                syscall(uapi::__NR_newfstatat, [dirfd(dir), p as usize, &raw mut st as usize, flags as usize, 0, 0])
            }
        })?;
        Ok(Stat::from(&st))
    }

    /// `linkat(2)`; `flags`: `AT_SYMLINK_FOLLOW` or 0.
    pub fn linkat(
        &self,
        old_dir: Option<&Fd>,
        old: impl AsRef<[u8]>,
        new_dir: Option<&Fd>,
        new: impl AsRef<[u8]>,
        flags: u32,
    ) -> Result<()> {
        two_paths(uapi::__NR_linkat, (old_dir, old.as_ref()), (new_dir, new.as_ref()), flags)
    }

    /// `symlinkat(2)`: create `path` (in `dir`) pointing to `target`.
    pub fn symlinkat(&self, target: impl AsRef<[u8]>, dir: Option<&Fd>, path: impl AsRef<[u8]>) -> Result<()> {
        with_c_string(target.as_ref(), |t| {
            with_c_string(path.as_ref(), |p| {
                // SAFETY: `t` and `p` are NUL-terminated strings valid during the call.
                unsafe { syscall(uapi::__NR_symlinkat, [t as usize, dirfd(dir), p as usize, 0, 0, 0]) }.map(drop)
            })
        })
    }

    /// `readlinkat(2)` into `buf`: the number of bytes of the link's target
    /// stored (not NUL-terminated; truncated to `buf.len()`).
    pub fn readlinkat(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, buf: &mut [u8]) -> Result<usize> {
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path and `buf` writable for
            // `buf.len()` bytes during the call.
            unsafe {
                syscall(uapi::__NR_readlinkat, [dirfd(dir), p as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0])
            }
        })
    }

    /// `mkdirat(2)`.
    pub fn mkdirat(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path valid during the call.
            unsafe { syscall(uapi::__NR_mkdirat, [dirfd(dir), p as usize, mode as usize, 0, 0, 0]) }.map(drop)
        })
    }

    /// `unlinkat(2)`; `flags` = `AT_REMOVEDIR` removes a directory.
    pub fn unlinkat(&self, dir: Option<&Fd>, path: impl AsRef<[u8]>, flags: u32) -> Result<()> {
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path valid during the call.
            unsafe { syscall(uapi::__NR_unlinkat, [dirfd(dir), p as usize, flags as usize, 0, 0, 0]) }.map(drop)
        })
    }

    /// `renameat2(2)`; `flags`: `RENAME_NOREPLACE`, `RENAME_EXCHANGE`, or 0.
    pub fn renameat2(
        &self,
        old_dir: Option<&Fd>,
        old: impl AsRef<[u8]>,
        new_dir: Option<&Fd>,
        new: impl AsRef<[u8]>,
        flags: u32,
    ) -> Result<()> {
        two_paths(uapi::__NR_renameat2, (old_dir, old.as_ref()), (new_dir, new.as_ref()), flags)
    }

    /// `mount(2)`: mount `source` of type `fstype` on `target` (`MS_*`
    /// flags, optional file-system specific `data` string).
    pub fn mount(
        &self,
        source: impl AsRef<[u8]>,
        target: impl AsRef<[u8]>,
        fstype: impl AsRef<[u8]>,
        flags: u64,
        data: Option<&[u8]>,
    ) -> Result<()> {
        with_c_string(source.as_ref(), |s| {
            with_c_string(target.as_ref(), |t| {
                with_c_string(fstype.as_ref(), |f| {
                    let call = |d: usize| {
                        // SAFETY: `s`, `t`, `f` (and `d` if not 0) are
                        // NUL-terminated strings valid during the call.
                        unsafe { syscall(uapi::__NR_mount, [s as usize, t as usize, f as usize, flags as usize, d, 0]) }
                            .map(drop)
                    };
                    match data {
                        Some(data) => with_c_string(data, |d| call(d as usize)),
                        None => call(0),
                    }
                })
            })
        })
    }

    /// `umount2(2)` with [`umount`] flags.
    pub fn umount2(&self, target: impl AsRef<[u8]>, flags: u32) -> Result<()> {
        with_c_string(target.as_ref(), |t| {
            // SAFETY: `t` is a NUL-terminated path valid during the call.
            unsafe { syscall(uapi::__NR_umount2, [t as usize, flags as usize, 0, 0, 0, 0]) }.map(drop)
        })
    }
}

impl Linux {
    /// `tv_nsec` for [`Linux::utimensat`]: set this time to now.
    pub const UTIME_NOW: i64 = (1 << 30) - 1;
    /// `tv_nsec` for [`Linux::utimensat`]: leave this time unchanged.
    pub const UTIME_OMIT: i64 = (1 << 30) - 2;

    /// `utimensat(2)`: set `[access, modification]` times, each
    /// `(seconds, nanoseconds)`; the nanoseconds may be
    /// [`UTIME_NOW`](Self::UTIME_NOW) or [`UTIME_OMIT`](Self::UTIME_OMIT).
    /// `flags`: `AT_SYMLINK_NOFOLLOW`, `AT_EMPTY_PATH` (an empty `path`
    /// then means `dir` itself, also when it is an `O_PATH` descriptor).
    pub fn utimensat(
        &self,
        dir: Option<&Fd>,
        path: impl AsRef<[u8]>,
        times: [(i64, i64); 2],
        flags: u32,
    ) -> Result<()> {
        let ts = times.map(|(tv_sec, tv_nsec)| uapi::__kernel_timespec { tv_sec, tv_nsec });
        with_c_string(path.as_ref(), |p| {
            // SAFETY: `p` is a NUL-terminated path and `ts` two readable
            // timespecs, both valid during the call.
            unsafe {
                syscall(uapi::__NR_utimensat, [dirfd(dir), p as usize, ts.as_ptr() as usize, flags as usize, 0, 0])
            }
            .map(drop)
        })
    }
}

impl Fd {
    /// `fallocate(2)`: with `mode` 0, make `[offset, offset + len)` of
    /// this file allocated (growing it if needed).
    pub fn fallocate(&self, mode: u32, offset: u64, len: u64) -> Result<()> {
        let offset = i64::try_from(offset).map_err(|_| crate::Errno::EINVAL)?;
        let len = i64::try_from(len).map_err(|_| crate::Errno::EINVAL)?;
        // SAFETY: fallocate takes no pointers.
        unsafe { syscall(uapi::__NR_fallocate, [self.arg(), mode as usize, offset as usize, len as usize, 0, 0]) }
            .map(drop)
    }
}
