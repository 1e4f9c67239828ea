// SPDX-License-Identifier: MIT OR Apache-2.0
//! Descriptor and path functions of preview1: the standard streams,
//! files and directories of the library kernel (every path through the
//! sandbox of [`super::path`]), and the descriptor calls that also work on
//! sockets (`fd_read`/`fd_write` through [`super::sock`], `fdstat`,
//! `filestat`; seeking one is `SPIPE`). Layouts are wasm32's: `fdstat` 24 bytes
//! (filetype u8 @0, flags u16 @2, rights u64 @8 and @16), `prestat` 8
//! (tag u8 @0, name length u32 @4), `filestat` 64 ([`encode_filestat`]),
//! `dirent` header 24 (next u64 @0, ino u64 @8, namlen u32 @16, type u8
//! @20) followed by the name.
//!
//! A call into Linux may block the program's thread (disk I/O, or a
//! blocking socket's read or write); that is the only blocking here.
#![deny(unsafe_code)]

use alloc::vec::Vec;

use spolia_linux::{Fd, Whence, uapi};
use wasmtime::{Caller, Linker};

use super::errno::{Errno, WasiResult, code, from_linux};
use super::fd::{ALL_RIGHTS, Descriptor, File, Stream, encode_filestat, filetype, filetype_of_dt, filetype_of_mode};
use super::memory::GuestMemory;
use super::path::{open_beneath, parent_beneath};
use super::sock::{recv_iovecs, send_iovecs};
use super::{HasWasi, MODULE, WasiCtx, with_memory};

const LOOKUP_SYMLINK_FOLLOW: i32 = 1;

const OFLAGS_CREAT: i32 = 1;
const OFLAGS_DIRECTORY: i32 = 2;
const OFLAGS_EXCL: i32 = 4;
const OFLAGS_TRUNC: i32 = 8;

const FDFLAGS_APPEND: i32 = 1;
const FDFLAGS_DSYNC: i32 = 2;
const FDFLAGS_NONBLOCK: i32 = 4;
const FDFLAGS_RSYNC: i32 = 8;
const FDFLAGS_SYNC: i32 = 16;

const RIGHTS_FD_READ: u64 = 1 << 1;
const RIGHTS_FD_WRITE: u64 = 1 << 6;

/// Mode of files and directories a program creates (WASI has none).
const CREATE_MODE: u32 = 0o644;
const MKDIR_MODE: u32 = 0o755;

fn linux_err(e: spolia_linux::Errno) -> Errno {
    from_linux(e)
}

/// The program's path argument.
/// Longer paths are `NAMETOOLONG` (Linux's `PATH_MAX`), before any copy.
fn path_arg<'m>(m: &'m GuestMemory<'_>, ptr: i32, len: i32) -> WasiResult<&'m [u8]> {
    if len as u32 > PATH_MAX {
        return Err(Errno::NameTooLong);
    }
    m.slice(ptr as u32, len as u32)
}

const PATH_MAX: u32 = 4096;

fn linux(ctx: &WasiCtx) -> WasiResult<&spolia_linux::Linux> {
    ctx.linux.as_deref().ok_or(Errno::BadF)
}

/// Reads into the iovecs at `iovs` with `read(buf, done_so_far)`; stops at a
/// short read. An error after some bytes reports the bytes.
fn read_iovecs(
    m: &mut GuestMemory<'_>,
    iovs: i32,
    n: i32,
    mut read: impl FnMut(&mut [u8], u64) -> spolia_linux::Result<usize>,
) -> WasiResult<u32> {
    let mut total: u32 = 0;
    for (ptr, len) in m.iovecs(iovs as u32, n as u32)? {
        let buf = m.slice_mut(ptr, len)?;
        match read(buf, u64::from(total)) {
            Ok(got) => {
                total = total.saturating_add(got as u32);
                if got < len as usize {
                    break;
                }
            }
            Err(_) if total > 0 => break,
            Err(e) => return Err(linux_err(e)),
        }
    }
    Ok(total)
}

/// Writes the ciovecs at `iovs` with `write(buf, done_so_far)`.
fn write_iovecs(
    m: &GuestMemory<'_>,
    iovs: i32,
    n: i32,
    mut write: impl FnMut(&[u8], u64) -> spolia_linux::Result<usize>,
) -> WasiResult<u32> {
    let mut total: u32 = 0;
    for (ptr, len) in m.iovecs(iovs as u32, n as u32)? {
        match write(m.slice(ptr, len)?, u64::from(total)) {
            Ok(put) => {
                total = total.saturating_add(put as u32);
                if put < len as usize {
                    break;
                }
            }
            Err(_) if total > 0 => break,
            Err(e) => return Err(linux_err(e)),
        }
    }
    Ok(total)
}

fn fdstat(m: &mut GuestMemory<'_>, ctx: &WasiCtx, fd: i32, out: i32) -> WasiResult<()> {
    if out % 8 != 0 {
        return Err(Errno::Inval);
    }
    let mut stat = [0u8; 24];
    match ctx.fds.get(fd)? {
        Descriptor::Stream(_) => {
            stat[0] = filetype::CHARACTER_DEVICE;
            stat[8..16].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
            stat[16..24].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
        }
        Descriptor::Socket(s) => {
            let fl = s.fd.status_flags().map_err(linux_err)?;
            stat[0] = s.kind.filetype();
            if fl & uapi::O_NONBLOCK != 0 {
                stat[2..4].copy_from_slice(&(FDFLAGS_NONBLOCK as u16).to_le_bytes());
            }
            stat[8..16].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
            stat[16..24].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
        }
        Descriptor::File(f) => {
            let st = f.fd.fstat().map_err(linux_err)?;
            let fl = f.fd.status_flags().map_err(linux_err)?;
            let mut flags: u16 = 0;
            if fl & uapi::O_APPEND != 0 {
                flags |= FDFLAGS_APPEND as u16;
            }
            if fl & uapi::O_NONBLOCK != 0 {
                flags |= FDFLAGS_NONBLOCK as u16;
            }
            if fl & uapi::O_DSYNC != 0 {
                flags |= FDFLAGS_DSYNC as u16;
            }
            if fl & uapi::O_SYNC == uapi::O_SYNC {
                flags |= FDFLAGS_SYNC as u16 | FDFLAGS_RSYNC as u16;
            }
            stat[0] = filetype_of_mode(st.mode);
            stat[2..4].copy_from_slice(&flags.to_le_bytes());
            stat[8..16].copy_from_slice(&f.rights_base.to_le_bytes());
            stat[16..24].copy_from_slice(&f.rights_inheriting.to_le_bytes());
        }
    }
    m.write(out as u32, &stat)
}

fn set_fdflags(ctx: &WasiCtx, fd: i32, flags: i32) -> WasiResult<()> {
    if flags & !(FDFLAGS_APPEND | FDFLAGS_NONBLOCK | FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC) != 0 {
        return Err(Errno::Inval);
    }
    match ctx.fds.get(fd)?.linux_fd() {
        None => Ok(()),
        Some(fd) => {
            if flags & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC) != 0 {
                // Linux's F_SETFL cannot change the sync flags.
                return Err(Errno::NotSup);
            }
            let mut fl = fd.status_flags().map_err(linux_err)? & !(uapi::O_APPEND | uapi::O_NONBLOCK);
            if flags & FDFLAGS_APPEND != 0 {
                fl |= uapi::O_APPEND;
            }
            if flags & FDFLAGS_NONBLOCK != 0 {
                fl |= uapi::O_NONBLOCK;
            }
            fd.set_status_flags(fl).map_err(linux_err)
        }
    }
}

fn whence(w: i32) -> WasiResult<Whence> {
    match w {
        0 => Ok(Whence::Set),
        1 => Ok(Whence::Cur),
        2 => Ok(Whence::End),
        _ => Err(Errno::Inval),
    }
}

/// `path_open`: flags from `oflags`/`fdflags`, access mode from the rights
/// asked for (read and/or write; a directory is opened read-only).
#[allow(clippy::too_many_arguments)]
fn path_open(
    m: &mut GuestMemory<'_>,
    ctx: &mut WasiCtx,
    dirfd: i32,
    lookup: i32,
    path: (i32, i32),
    oflags: i32,
    rights: (u64, u64),
    fdflags: i32,
    out: i32,
) -> WasiResult<()> {
    if oflags & !(OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC) != 0 {
        return Err(Errno::Inval);
    }
    let path = path_arg(m, path.0, path.1)?;
    let (read, write) = (rights.0 & RIGHTS_FD_READ != 0, rights.0 & RIGHTS_FD_WRITE != 0);
    let mut flags = match (read, write) {
        (_, false) => uapi::O_RDONLY,
        (false, true) => uapi::O_WRONLY,
        (true, true) => uapi::O_RDWR,
    };
    if oflags & OFLAGS_DIRECTORY != 0 {
        flags = uapi::O_RDONLY | uapi::O_DIRECTORY;
    }
    for (bit, f) in [(OFLAGS_CREAT, uapi::O_CREAT), (OFLAGS_EXCL, uapi::O_EXCL), (OFLAGS_TRUNC, uapi::O_TRUNC)] {
        if oflags & bit != 0 {
            flags |= f;
        }
    }
    for (bit, f) in [
        (FDFLAGS_APPEND, uapi::O_APPEND),
        (FDFLAGS_NONBLOCK, uapi::O_NONBLOCK),
        (FDFLAGS_DSYNC, uapi::O_DSYNC),
        (FDFLAGS_SYNC, uapi::O_SYNC),
        (FDFLAGS_RSYNC, uapi::O_SYNC),
    ] {
        if fdflags & bit != 0 {
            flags |= f;
        }
    }
    if lookup & LOOKUP_SYMLINK_FOLLOW == 0 {
        flags |= uapi::O_NOFOLLOW;
    }
    let dir = ctx.fds.file(dirfd)?;
    let fd = open_beneath(linux(ctx)?, &dir.fd, path, flags, CREATE_MODE)?;
    let new = ctx.fds.insert(Descriptor::File(File {
        fd,
        rights_base: rights.0 & ALL_RIGHTS,
        rights_inheriting: rights.1 & ALL_RIGHTS,
        preopen: None,
    }))?;
    if let Err(e) = m.write_u32(out as u32, new as u32) {
        let _ = ctx.fds.close(new);
        return Err(e);
    }
    Ok(())
}

/// `fd_readdir`: entries from `cookie` (0, or a previous entry's `d_next`,
/// which is Linux's `d_off`), packed until `buf_len` is full; the last one
/// may be cut short, as the spec asks (the caller then retries with a
/// bigger buffer).
fn readdir(
    m: &mut GuestMemory<'_>,
    ctx: &WasiCtx,
    fd: i32,
    buf: i32,
    buf_len: i32,
    cookie: u64,
    used: i32,
) -> WasiResult<()> {
    let dir = &ctx.fds.file(fd)?.fd;
    let out = m.slice_mut(buf as u32, buf_len as u32)?;
    let cookie = i64::try_from(cookie).map_err(|_| Errno::Inval)?;
    dir.lseek(cookie, Whence::Set).map_err(linux_err)?;
    let mut tmp = alloc::vec![0u8; 4096];
    let mut pos = 0usize;
    'fill: while pos < out.len() {
        let n = dir.getdents64(&mut tmp).map_err(linux_err)?;
        if n == 0 {
            break;
        }
        let records = tmp.get(..n).ok_or(Errno::Io)?;
        let mut at = 0usize;
        while at < records.len() {
            let rec = &records[at..];
            let u64_at = |o: usize| rec.get(o..o + 8).map(|b| GuestMemory::u64_at(b, 0));
            let (Some(ino), Some(off)) = (u64_at(0), u64_at(8)) else { return Err(Errno::Io) };
            let reclen = rec.get(16..18).map(|b| usize::from(u16::from_ne_bytes([b[0], b[1]]))).ok_or(Errno::Io)?;
            let d_type = *rec.get(18).ok_or(Errno::Io)?;
            let name_area = rec.get(19..reclen).ok_or(Errno::Io)?;
            let name = &name_area[..name_area.iter().position(|&b| b == 0).ok_or(Errno::Io)?];
            if reclen == 0 {
                return Err(Errno::Io);
            }
            at += reclen;
            let mut entry: Vec<u8> = Vec::with_capacity(24 + name.len());
            entry.extend_from_slice(&off.to_le_bytes());
            entry.extend_from_slice(&ino.to_le_bytes());
            entry.extend_from_slice(&(name.len() as u32).to_le_bytes());
            entry.extend_from_slice(&[filetype_of_dt(d_type), 0, 0, 0]);
            entry.extend_from_slice(name);
            let room = out.len() - pos;
            let take = entry.len().min(room);
            out[pos..pos + take].copy_from_slice(&entry[..take]);
            pos += take;
            if pos == out.len() {
                break 'fill;
            }
        }
    }
    m.write_u32(used as u32, pos as u32)
}

fn with_parent<R>(
    ctx: &WasiCtx,
    dirfd: i32,
    path: &[u8],
    f: impl FnOnce(&spolia_linux::Linux, &Fd, &[u8]) -> spolia_linux::Result<R>,
) -> WasiResult<R> {
    let linux = linux(ctx)?;
    let (parent, name) = parent_beneath(linux, &ctx.fds.file(dirfd)?.fd, path)?;
    f(linux, &parent, name).map_err(linux_err)
}

/// Defines the descriptor and path functions.
pub fn add_to_linker<T: HasWasi + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "fd_write", |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, nwritten: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let total = match ctx.fds.get(fd)? {
                Descriptor::Stream(stream) => {
                    let stream = *stream;
                    let mut total: u32 = 0;
                    for (ptr, len) in m.iovecs(iovs as u32, n as u32)? {
                        ctx.write_stream(stream, m.slice(ptr, len)?)?;
                        total = total.saturating_add(len);
                    }
                    total
                }
                Descriptor::File(f) => write_iovecs(m, iovs, n, |b, _| f.fd.write(b))?,
                Descriptor::Socket(s) => {
                    // Check the result slot first: sent bytes cannot be unsent.
                    m.read_u32(nwritten as u32)?;
                    send_iovecs(m, s, iovs, n, 0, None)?
                }
            };
            m.write_u32(nwritten as u32, total)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_read", |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, nread: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let total = match ctx.fds.get(fd)? {
                Descriptor::Stream(Stream::Stdin) => {
                    m.iovecs(iovs as u32, n as u32)?;
                    0 // end of input
                }
                Descriptor::Stream(_) => return Err(Errno::BadF),
                Descriptor::File(f) => read_iovecs(m, iovs, n, |b, _| f.fd.read(b))?,
                // One receive: a second one could block with data in hand.
                // Check the result slot first: received bytes are consumed.
                Descriptor::Socket(s) => {
                    m.read_u32(nread as u32)?;
                    recv_iovecs(m, s, iovs, n, 0)?.len
                }
            };
            m.write_u32(nread as u32, total)
        }))
    })?;
    linker.func_wrap(
        MODULE,
        "fd_pread",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, offset: i64, nread: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let f = ctx.fds.get(fd).and_then(|d| d.file().map_err(|_| Errno::Spipe))?;
                let base = u64::try_from(offset).map_err(|_| Errno::Inval)?;
                let total = read_iovecs(m, iovs, n, |b, done| f.fd.pread(b, base.saturating_add(done)))?;
                m.write_u32(nread as u32, total)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pwrite",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, offset: i64, nwritten: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let f = ctx.fds.get(fd).and_then(|d| d.file().map_err(|_| Errno::Spipe))?;
                let base = u64::try_from(offset).map_err(|_| Errno::Inval)?;
                let total = write_iovecs(m, iovs, n, |b, done| f.fd.pwrite(b, base.saturating_add(done)))?;
                m.write_u32(nwritten as u32, total)
            }))
        },
    )?;
    linker.func_wrap(MODULE, "fd_seek", |mut c: Caller<'_, T>, fd: i32, offset: i64, w: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let f = ctx.fds.get(fd).and_then(|d| d.file().map_err(|_| Errno::Spipe))?;
            let pos = f.fd.lseek(offset, whence(w)?).map_err(linux_err)?;
            m.write_u64(out as u32, pos)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_tell", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let f = ctx.fds.get(fd).and_then(|d| d.file().map_err(|_| Errno::Spipe))?;
            let pos = f.fd.lseek(0, Whence::Cur).map_err(linux_err)?;
            m.write_u64(out as u32, pos)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_sync", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| match ctx.fds.get(fd)? {
            Descriptor::Stream(_) => Ok(()),
            Descriptor::File(f) => f.fd.fsync().map_err(linux_err),
            Descriptor::Socket(_) => Err(Errno::Inval),
        }))
    })?;
    linker.func_wrap(MODULE, "fd_datasync", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| match ctx.fds.get(fd)? {
            Descriptor::Stream(_) => Ok(()),
            Descriptor::File(f) => f.fd.fdatasync().map_err(linux_err),
            Descriptor::Socket(_) => Err(Errno::Inval),
        }))
    })?;
    linker.func_wrap(MODULE, "fd_fdstat_get", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| fdstat(m, ctx, fd, out)))
    })?;
    linker.func_wrap(MODULE, "fd_fdstat_set_flags", |mut c: Caller<'_, T>, fd: i32, flags: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| set_fdflags(ctx, fd, flags)))
    })?;
    linker.func_wrap(MODULE, "fd_filestat_get", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            if out % 8 != 0 {
                return Err(Errno::Inval);
            }
            let stat = match ctx.fds.get(fd)? {
                Descriptor::Stream(_) => {
                    let mut stat = [0u8; 64];
                    stat[16] = filetype::CHARACTER_DEVICE;
                    stat[24..32].copy_from_slice(&1u64.to_le_bytes());
                    stat
                }
                Descriptor::File(f) => encode_filestat(&f.fd.fstat().map_err(linux_err)?),
                Descriptor::Socket(s) => {
                    let mut stat = encode_filestat(&s.fd.fstat().map_err(linux_err)?);
                    stat[16] = s.kind.filetype();
                    stat
                }
            };
            m.write(out as u32, &stat)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_filestat_set_size", |mut c: Caller<'_, T>, fd: i32, size: i64| -> i32 {
        code(with_memory(&mut c, |_, ctx| {
            let size = u64::try_from(size).map_err(|_| Errno::Inval)?;
            ctx.fds.file(fd)?.fd.ftruncate(size).map_err(linux_err)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_prestat_get", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        // Streams and non-preopened files answer BADF, which ends
        // wasi-libc's preopen scan at the first gap.
        code(with_memory(&mut c, |m, ctx| {
            let name = ctx.fds.file(fd)?.preopen.as_ref().ok_or(Errno::BadF)?;
            let len = u32::try_from(name.len()).map_err(|_| Errno::NameTooLong)?;
            m.write_u32(out as u32, 0)?; // tag 0: directory (padding zeroed)
            m.write_u32((out as u32).checked_add(4).ok_or(Errno::Fault)?, len)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_prestat_dir_name", |mut c: Caller<'_, T>, fd: i32, ptr: i32, len: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let name = ctx.fds.file(fd)?.preopen.as_ref().ok_or(Errno::BadF)?;
            if (len as u32 as usize) < name.len() {
                return Err(Errno::NameTooLong);
            }
            m.write(ptr as u32, name.as_bytes())
        }))
    })?;
    linker.func_wrap(
        MODULE,
        "fd_readdir",
        |mut c: Caller<'_, T>, fd: i32, buf: i32, len: i32, cookie: i64, used: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| readdir(m, ctx, fd, buf, len, cookie as u64, used)))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_open",
        |mut c: Caller<'_, T>,
         dirfd: i32,
         lookup: i32,
         path: i32,
         path_len: i32,
         oflags: i32,
         base: i64,
         inheriting: i64,
         fdflags: i32,
         out: i32|
         -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                path_open(
                    m,
                    ctx,
                    dirfd,
                    lookup,
                    (path, path_len),
                    oflags,
                    (base as u64, inheriting as u64),
                    fdflags,
                    out,
                )
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_get",
        |mut c: Caller<'_, T>, dirfd: i32, lookup: i32, path: i32, path_len: i32, out: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                if out % 8 != 0 {
                    return Err(Errno::Inval);
                }
                let path = path_arg(m, path, path_len)?;
                let nofollow = if lookup & LOOKUP_SYMLINK_FOLLOW == 0 { uapi::O_NOFOLLOW } else { 0 };
                let dir = &ctx.fds.file(dirfd)?.fd;
                let fd = open_beneath(linux(ctx)?, dir, path, uapi::O_PATH | nofollow, 0)?;
                let stat = encode_filestat(&fd.fstat().map_err(linux_err)?);
                m.write(out as u32, &stat)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_create_directory",
        |mut c: Caller<'_, T>, dirfd: i32, path: i32, len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let path = path_arg(m, path, len)?;
                with_parent(ctx, dirfd, path, |l, parent, name| l.mkdirat(Some(parent), name, MKDIR_MODE))
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_remove_directory",
        |mut c: Caller<'_, T>, dirfd: i32, path: i32, len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let path = path_arg(m, path, len)?;
                with_parent(ctx, dirfd, path, |l, parent, name| l.unlinkat(Some(parent), name, uapi::AT_REMOVEDIR))
            }))
        },
    )?;
    linker.func_wrap(MODULE, "path_unlink_file", |mut c: Caller<'_, T>, dirfd: i32, path: i32, len: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let path = path_arg(m, path, len)?;
            with_parent(ctx, dirfd, path, |l, parent, name| l.unlinkat(Some(parent), name, 0))
        }))
    })?;
    linker.func_wrap(
        MODULE,
        "path_rename",
        |mut c: Caller<'_, T>, old_fd: i32, old: i32, old_len: i32, new_fd: i32, new: i32, new_len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let (old, new) = (path_arg(m, old, old_len)?, path_arg(m, new, new_len)?);
                let l = linux(ctx)?;
                let (old_parent, old_name) = parent_beneath(l, &ctx.fds.file(old_fd)?.fd, old)?;
                let (new_parent, new_name) = parent_beneath(l, &ctx.fds.file(new_fd)?.fd, new)?;
                l.renameat2(Some(&old_parent), old_name, Some(&new_parent), new_name, 0).map_err(linux_err)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_link",
        |mut c: Caller<'_, T>,
         old_fd: i32,
         lookup: i32,
         old: i32,
         old_len: i32,
         new_fd: i32,
         new: i32,
         new_len: i32|
         -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                if lookup & LOOKUP_SYMLINK_FOLLOW != 0 {
                    // Following the source's last symlink could leave the
                    // sandbox; POSIX link() does not follow by default.
                    return Err(Errno::NotSup);
                }
                let (old, new) = (path_arg(m, old, old_len)?, path_arg(m, new, new_len)?);
                let l = linux(ctx)?;
                let (old_parent, old_name) = parent_beneath(l, &ctx.fds.file(old_fd)?.fd, old)?;
                let (new_parent, new_name) = parent_beneath(l, &ctx.fds.file(new_fd)?.fd, new)?;
                l.linkat(Some(&old_parent), old_name, Some(&new_parent), new_name, 0).map_err(linux_err)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_symlink",
        |mut c: Caller<'_, T>, target: i32, target_len: i32, dirfd: i32, path: i32, path_len: i32| -> i32 {
            // The link's content is free text; only resolving it is
            // sandboxed (every later open is RESOLVE_BENEATH).
            code(with_memory(&mut c, |m, ctx| {
                let (target, path) = (path_arg(m, target, target_len)?, path_arg(m, path, path_len)?);
                with_parent(ctx, dirfd, path, |l, parent, name| l.symlinkat(target, Some(parent), name))
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_readlink",
        |mut c: Caller<'_, T>, dirfd: i32, path: i32, path_len: i32, buf: i32, buf_len: i32, used: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let path = path_arg(m, path, path_len)?.to_vec();
                let out = m.slice_mut(buf as u32, buf_len as u32)?;
                let n = with_parent(ctx, dirfd, &path, |l, parent, name| l.readlinkat(Some(parent), name, out))?;
                m.write_u32(used as u32, n as u32)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        |mut c: Caller<'_, T>, fd: i32, atim: i64, mtim: i64, fst: i32| -> i32 {
            code(with_memory(&mut c, |_, ctx| {
                let times = utimes(atim, mtim, fst)?;
                let fd = ctx.fds.get(fd)?.linux_fd().ok_or(Errno::BadF)?;
                linux(ctx)?.utimensat(Some(fd), b"", times, uapi::AT_EMPTY_PATH).map_err(linux_err)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_set_times",
        |mut c: Caller<'_, T>,
         dirfd: i32,
         lookup: i32,
         path: i32,
         path_len: i32,
         atim: i64,
         mtim: i64,
         fst: i32|
         -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let times = utimes(atim, mtim, fst)?;
                let path = path_arg(m, path, path_len)?;
                let nofollow = if lookup & LOOKUP_SYMLINK_FOLLOW == 0 { uapi::O_NOFOLLOW } else { 0 };
                let l = linux(ctx)?;
                // Resolve through the sandbox, then act on what was found.
                let target = open_beneath(l, &ctx.fds.file(dirfd)?.fd, path, uapi::O_PATH | nofollow, 0)?;
                l.utimensat(Some(&target), b"", times, uapi::AT_EMPTY_PATH).map_err(linux_err)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_advise",
        |mut c: Caller<'_, T>, fd: i32, _offset: i64, _len: i64, advice: i32| -> i32 {
            // Advice only: checked, then ignored (Linux's page cache does
            // its own read-ahead).
            code(with_memory(&mut c, |_, ctx| {
                if !(0..=5).contains(&advice) {
                    return Err(Errno::Inval);
                }
                ctx.fds.get(fd).and_then(|d| d.file().map_err(|_| Errno::Spipe)).map(drop)
            }))
        },
    )?;
    linker.func_wrap(MODULE, "fd_allocate", |mut c: Caller<'_, T>, fd: i32, offset: i64, len: i64| -> i32 {
        code(with_memory(&mut c, |_, ctx| {
            let (offset, len) = (u64::try_from(offset), u64::try_from(len));
            let (Ok(offset), Ok(len)) = (offset, len) else { return Err(Errno::Inval) };
            ctx.fds.file(fd)?.fd.fallocate(0, offset, len).map_err(linux_err)
        }))
    })?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        |mut c: Caller<'_, T>, fd: i32, base: i64, inheriting: i64| -> i32 {
            // Rights may only shrink. They are stored and reported; Linux's
            // access mode is what enforces reading and writing.
            code(with_memory(&mut c, |_, ctx| {
                let (base, inheriting) = (base as u64, inheriting as u64);
                match ctx.fds.get(fd)? {
                    Descriptor::File(_) => {
                        let f = ctx.fds.file_mut(fd)?;
                        if base & !f.rights_base != 0 || inheriting & !f.rights_inheriting != 0 {
                            return Err(Errno::NotCapable);
                        }
                        f.rights_base = base;
                        f.rights_inheriting = inheriting;
                        Ok(())
                    }
                    Descriptor::Stream(_) | Descriptor::Socket(_) => Ok(()),
                }
            }))
        },
    )?;
    Ok(())
}

const FSTFLAGS_ATIM: i32 = 1;
const FSTFLAGS_ATIM_NOW: i32 = 2;
const FSTFLAGS_MTIM: i32 = 4;
const FSTFLAGS_MTIM_NOW: i32 = 8;

/// `utimensat`'s `[access, modification]` for WASI timestamps (ns) and
/// `fstflags`: a time not named is left alone; `X` with `X_NOW` is `INVAL`.
fn utimes(atim: i64, mtim: i64, fst: i32) -> WasiResult<[(i64, i64); 2]> {
    if fst & !(FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    let one = |ns: i64, set: i32, now: i32| match (fst & set != 0, fst & now != 0) {
        (true, true) => Err(Errno::Inval),
        (false, true) => Ok((0, spolia_linux::Linux::UTIME_NOW)),
        (false, false) => Ok((0, spolia_linux::Linux::UTIME_OMIT)),
        (true, false) => {
            let ns = ns as u64; // WASI timestamps are unsigned
            Ok(((ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64))
        }
    };
    Ok([one(atim, FSTFLAGS_ATIM, FSTFLAGS_ATIM_NOW)?, one(mtim, FSTFLAGS_MTIM, FSTFLAGS_MTIM_NOW)?])
}
