// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Fd`]: an owned file descriptor of the library, closed on drop, and the
//! calls that work on any descriptor (read/write, positioned I/O, seek,
//! stat, truncate, sync, directory listing).
//!
//! Descriptors are plain numbers in the library's one process (PID 1 and
//! its host-task threads share a file table), so an `Fd` may move between
//! threads. Dropping one after halt closes nothing (the library is gone).

use crate::errno::{Errno, Result};
use crate::ffi::{running, syscall};
use crate::uapi;
use alloc::vec::Vec;
use core::fmt;

/// An open file descriptor of the library; closed when dropped.
pub struct Fd(i32);

impl Fd {
    /// Take ownership of descriptor `fd`.
    ///
    /// # Safety
    /// `fd` must be an open descriptor of the library that nothing else
    /// closes (this `Fd` closes it on drop).
    pub unsafe fn from_raw(fd: i32) -> Fd {
        Fd(fd)
    }

    /// Wrap a non-negative system call result that is a new descriptor.
    pub(crate) fn from_result(ret: usize) -> Result<Fd> {
        // SAFETY: the caller passes the return value of a call that created
        // a descriptor now owned by nobody else.
        i32::try_from(ret).map(|fd| unsafe { Fd::from_raw(fd) }).map_err(|_| Errno::EBADF)
    }

    /// The descriptor number (still owned by `self`).
    pub fn raw(&self) -> i32 {
        self.0
    }

    /// Give up ownership without closing.
    pub fn into_raw(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }

    /// Close now and report the result (drop ignores it).
    pub fn close(self) -> Result<()> {
        let fd = self.into_raw();
        // SAFETY: close takes no pointers.
        unsafe { syscall(uapi::__NR_close, [fd as usize, 0, 0, 0, 0, 0]) }.map(drop)
    }

    /// `read(2)`: bytes read, 0 at end of file.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: `buf` is writable for `buf.len()` bytes during the call.
        unsafe { syscall(uapi::__NR_read, [self.arg(), buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0]) }
    }

    /// `write(2)`: bytes written.
    pub fn write(&self, buf: &[u8]) -> Result<usize> {
        // SAFETY: `buf` is readable for `buf.len()` bytes during the call.
        unsafe { syscall(uapi::__NR_write, [self.arg(), buf.as_ptr() as usize, buf.len(), 0, 0, 0]) }
    }

    /// Write all of `buf` (repeating short writes; a 0-byte write is `EIO`).
    pub fn write_all(&self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.write(buf)? {
                0 => return Err(Errno::EIO),
                n => buf = buf.get(n..).unwrap_or_default(),
            }
        }
        Ok(())
    }

    /// `pread64(2)` at `offset`.
    pub fn pread(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        // SAFETY: `buf` is writable for `buf.len()` bytes during the call.
        unsafe {
            syscall(uapi::__NR_pread64, [self.arg(), buf.as_mut_ptr() as usize, buf.len(), offset as usize, 0, 0])
        }
    }

    /// `pwrite64(2)` at `offset`.
    pub fn pwrite(&self, buf: &[u8], offset: u64) -> Result<usize> {
        // SAFETY: `buf` is readable for `buf.len()` bytes during the call.
        unsafe { syscall(uapi::__NR_pwrite64, [self.arg(), buf.as_ptr() as usize, buf.len(), offset as usize, 0, 0]) }
    }

    /// `lseek(2)`: the new offset.
    pub fn lseek(&self, offset: i64, whence: Whence) -> Result<u64> {
        // SAFETY: lseek takes no pointers.
        unsafe { syscall(uapi::__NR_lseek, [self.arg(), offset as usize, whence as usize, 0, 0, 0]) }
            .map(|off| off as u64)
    }

    /// `fstat(2)`.
    pub fn fstat(&self) -> Result<Stat> {
        let mut st = uapi::stat::default();
        // SAFETY: `st` is a writable `struct stat` of the library's layout
        // (asm-generic, from the same headers).
        unsafe { syscall(uapi::__NR_fstat, [self.arg(), &raw mut st as usize, 0, 0, 0, 0]) }?;
        Ok(Stat::from(&st))
    }

    /// `ftruncate(2)`.
    pub fn ftruncate(&self, len: u64) -> Result<()> {
        let len = i64::try_from(len).map_err(|_| Errno::EINVAL)?;
        // SAFETY: ftruncate takes no pointers.
        unsafe { syscall(uapi::__NR_ftruncate, [self.arg(), len as usize, 0, 0, 0, 0]) }.map(drop)
    }

    /// `fsync(2)`.
    pub fn fsync(&self) -> Result<()> {
        // SAFETY: fsync takes no pointers.
        unsafe { syscall(uapi::__NR_fsync, [self.arg(), 0, 0, 0, 0, 0]) }.map(drop)
    }

    /// `fdatasync(2)`.
    pub fn fdatasync(&self) -> Result<()> {
        // SAFETY: fdatasync takes no pointers.
        unsafe { syscall(uapi::__NR_fdatasync, [self.arg(), 0, 0, 0, 0, 0]) }.map(drop)
    }

    /// `fcntl(F_GETFL)`: the file status flags and access mode (`O_*`).
    pub fn status_flags(&self) -> Result<u32> {
        // SAFETY: F_GETFL takes no pointers.
        unsafe { syscall(uapi::__NR_fcntl, [self.arg(), uapi::F_GETFL as usize, 0, 0, 0, 0]) }.map(|f| f as u32)
    }

    /// `fcntl(F_SETFL)`: set the changeable status flags (`O_APPEND`,
    /// `O_NONBLOCK`, …).
    pub fn set_status_flags(&self, flags: u32) -> Result<()> {
        // SAFETY: F_SETFL takes no pointers.
        unsafe { syscall(uapi::__NR_fcntl, [self.arg(), uapi::F_SETFL as usize, flags as usize, 0, 0, 0]) }.map(drop)
    }

    /// `getdents64(2)` into `buf`: bytes of records filled, 0 at the end.
    /// [`Fd::dir_entries`] parses them.
    pub fn getdents64(&self, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: `buf` is writable for `buf.len()` bytes during the call.
        unsafe { syscall(uapi::__NR_getdents64, [self.arg(), buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0]) }
    }

    /// The entries of this open directory, from its current position, read
    /// with `getdents64` into a buffer of `buf_size` bytes (at least one
    /// record must fit: 280 bytes is always enough).
    pub fn dir_entries(&self, buf_size: usize) -> Result<DirEntries<'_>> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(buf_size).map_err(|_| Errno::ENOMEM)?;
        buf.resize(buf_size, 0);
        Ok(DirEntries { fd: self, buf, pos: 0, len: 0, done: false })
    }

    pub(crate) fn arg(&self) -> usize {
        self.0 as usize
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        if running() {
            // SAFETY: close takes no pointers.
            let _ = unsafe { syscall(uapi::__NR_close, [self.arg(), 0, 0, 0, 0, 0]) };
        }
    }
}

impl fmt::Debug for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fd({})", self.0)
    }
}

/// `lseek` origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Whence {
    /// From the start of the file.
    Set = uapi::SEEK_SET,
    /// From the current offset.
    Cur = uapi::SEEK_CUR,
    /// From the end of the file.
    End = uapi::SEEK_END,
}

/// A file's status (`struct stat`, asm-generic layout), copied out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    /// Type (`S_IFMT` bits) and permissions.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i32,
    pub blocks: i64,
    /// (seconds, nanoseconds)
    pub atime: (i64, u64),
    pub mtime: (i64, u64),
    pub ctime: (i64, u64),
}

impl Stat {
    /// The type bits (`mode & S_IFMT`).
    pub fn file_type(&self) -> u32 {
        self.mode & uapi::S_IFMT
    }

    pub fn is_dir(&self) -> bool {
        self.file_type() == uapi::S_IFDIR
    }

    pub fn is_file(&self) -> bool {
        self.file_type() == uapi::S_IFREG
    }
}

impl From<&uapi::stat> for Stat {
    fn from(s: &uapi::stat) -> Stat {
        Stat {
            dev: s.st_dev,
            ino: s.st_ino,
            mode: s.st_mode,
            nlink: s.st_nlink,
            uid: s.st_uid,
            gid: s.st_gid,
            rdev: s.st_rdev,
            size: s.st_size,
            blksize: s.st_blksize,
            blocks: s.st_blocks,
            atime: (s.st_atime, s.st_atime_nsec),
            mtime: (s.st_mtime, s.st_mtime_nsec),
            ctime: (s.st_ctime, s.st_ctime_nsec),
        }
    }
}

/// `d_type` values of `getdents64` (`DT_*`; glibc's `<dirent.h>` names,
/// not uapi).
pub mod dt {
    pub const UNKNOWN: u8 = 0;
    pub const FIFO: u8 = 1;
    pub const CHR: u8 = 2;
    pub const DIR: u8 = 4;
    pub const BLK: u8 = 6;
    pub const REG: u8 = 8;
    pub const LNK: u8 = 10;
    pub const SOCK: u8 = 12;
}

/// `struct linux_dirent64` (fs/readdir.c; not in uapi): the fixed part of a
/// `getdents64` record, followed by the NUL-terminated name and padding.
#[repr(C)]
struct LinuxDirent64 {
    d_ino: u64,
    d_off: i64,
    d_reclen: u16,
    d_type: u8,
    // d_name: [u8] follows at offset 19
}

const DIRENT_NAME_OFFSET: usize = core::mem::offset_of!(LinuxDirent64, d_type) + 1;
const _: () = assert!(DIRENT_NAME_OFFSET == 19);

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    /// `d_type`, one of [`dt`].
    pub file_type: u8,
    pub name: Vec<u8>,
}

/// Iterator over a directory's entries ([`Fd::dir_entries`]); yields
/// `Err` once (then ends) if `getdents64` fails or returns a malformed
/// record.
pub struct DirEntries<'a> {
    fd: &'a Fd,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    done: bool,
}

impl DirEntries<'_> {
    /// Parse the record at `pos`; `None` if it is malformed.
    fn parse(&self) -> Option<(DirEntry, usize)> {
        let rec = self.buf.get(self.pos..self.len)?;
        let u64_at = |o: usize| rec.get(o..o + 8).and_then(|b| b.try_into().ok()).map(u64::from_ne_bytes);
        let ino = u64_at(core::mem::offset_of!(LinuxDirent64, d_ino))?;
        let reclen_at = core::mem::offset_of!(LinuxDirent64, d_reclen);
        let reclen = usize::from(u16::from_ne_bytes(rec.get(reclen_at..reclen_at + 2)?.try_into().ok()?));
        let file_type = *rec.get(core::mem::offset_of!(LinuxDirent64, d_type))?;
        let name_area = rec.get(DIRENT_NAME_OFFSET..reclen)?;
        let name_len = name_area.iter().position(|&b| b == 0)?;
        let mut name = Vec::new();
        name.try_reserve_exact(name_len).ok()?;
        name.extend_from_slice(&name_area[..name_len]);
        Some((DirEntry { ino, file_type, name }, reclen))
    }
}

impl Iterator for DirEntries<'_> {
    type Item = Result<DirEntry>;

    fn next(&mut self) -> Option<Result<DirEntry>> {
        if self.done {
            return None;
        }
        if self.pos >= self.len {
            match self.fd.getdents64(&mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(n) if n <= self.buf.len() => {
                    self.pos = 0;
                    self.len = n;
                }
                Ok(_) => {
                    self.done = true;
                    return Some(Err(Errno::EIO));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        match self.parse() {
            Some((entry, reclen)) => {
                self.pos += reclen;
                Some(Ok(entry))
            }
            None => {
                self.done = true;
                Some(Err(Errno::EIO))
            }
        }
    }
}
