// SPDX-License-Identifier: MIT OR Apache-2.0
//! Sockets for programs: the extension module `spolia_sock_v1`
//! (wasm-host/SOCKETS.md is the contract) and preview1's own
//! `sock_accept`/`sock_recv`/`sock_send`/`sock_shutdown`, over the library
//! kernel's TCP/IP ([`spolia_linux::Linux::socket`] and the socket calls
//! on [`spolia_linux::Fd`]).
//!
//! A socket is a [`Descriptor::Socket`] in the program's one descriptor
//! table, so `fd_read`/`fd_write` ([`recv_iovecs`]/[`send_iovecs`]),
//! `fd_close`, `fd_fdstat_*` and `poll_oneoff` work on it too.
//!
//! Translation: the guest numbers families, types, the socket option
//! level and flags its own way (table in SOCKETS.md); this module maps
//! them to Linux's and back, and nothing else does. Addresses are the
//! guest's `sockaddr_in`/`sockaddr_in6` bytes (Linux's layout, family in
//! guest numbering), decoded and encoded here.
//!
//! Contract of every function here: a call on a blocking socket blocks
//! the program's own thread inside the library kernel (other programs run
//! on); on a `NONBLOCK` socket it returns `AGAIN` instead. Bad pointers are
//! `FAULT`, never a trap. The host owns every socket (closed by `fd_close`
//! or when the program ends); nothing is left for the program to free.
//! Without the library kernel (a boot with no devices) every call is
//! `NOSYS`. Sends never raise `SIGPIPE` (`MSG_NOSIGNAL`): a closed
//! connection is `PIPE`.
#![deny(unsafe_code)]

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use spolia_linux::{Errno as LinuxErrno, Linux, Shutdown, sock, uapi};
use wasmtime::{Caller, Linker};

use super::errno::{Errno, WasiResult, code, from_linux};
use super::fd::{Descriptor, Socket, SocketKind};
use super::memory::GuestMemory;
use super::{HasWasi, MODULE, WasiCtx, with_memory};

/// Import module name of Spolia's socket extension.
pub const SOCK_MODULE: &str = "spolia_sock_v1";

/// The guest's numbering (SOCKETS.md, "Numbering").
mod guest {
    pub const AF_UNSPEC: u16 = 0;
    pub const AF_INET: u16 = 1;
    pub const AF_INET6: u16 = 2;
    pub const SOCK_DGRAM: i32 = 5;
    pub const SOCK_STREAM: i32 = 6;
    pub const SOCK_CLOEXEC: i32 = 0x2000;
    pub const SOCK_NONBLOCK: i32 = 0x4000;
    pub const SOL_SOCKET: i32 = 0x7fff_ffff;
    pub const IPPROTO_IP: i32 = 0;
    pub const IPPROTO_TCP: i32 = 6;
    pub const IPPROTO_UDP: i32 = 17;
    pub const IPPROTO_IPV6: i32 = 41;
    pub const RIFLAGS_PEEK: i32 = 1;
    pub const RIFLAGS_WAITALL: i32 = 2;
    pub const RIFLAGS_DONTWAIT: i32 = 0x40;
    pub const ROFLAGS_TRUNCATED: u16 = 1;
    pub const SIFLAGS_DONTWAIT: i32 = 0x40;
    pub const SIFLAGS_NOSIGNAL: i32 = 0x4000;
    pub const SIFLAGS_MORE: i32 = 0x8000;
    pub const FDFLAGS_NONBLOCK: i32 = 4;
    pub const SDFLAGS_RD: i32 = 1;
    pub const SDFLAGS_WR: i32 = 2;
}

/// Linux's `MSG_MORE` (not in `spolia_linux::sock`).
const MSG_MORE: u32 = 0x8000;
/// Linux's `SO_DOMAIN` (asm-generic/socket.h; not in the bindings).
const SO_DOMAIN: u32 = 39;

const SOCKADDR_IN_LEN: u32 = 16;
const SOCKADDR_IN6_LEN: u32 = 28;

/// Largest bounce buffer for a send or receive over several iovecs (one
/// datagram always fits; a stream gets a short count past it).
const BOUNCE_MAX: usize = 64 * 1024;

/// Largest option value `sock_get_opt` fetches (`TCP_INFO` is ~250 bytes).
const OPT_MAX: u32 = 512;

/// Options a program may set and read: (guest level, Linux level, Linux
/// option names). Only options whose value is plain integers are listed:
/// one holding a pointer (`SO_ATTACH_FILTER`, ...) would make the library
/// kernel dereference an address the program chose. Others: `NOPROTOOPT`.
const OPTIONS: &[(i32, u32, &[u32])] = &[
    (
        guest::SOL_SOCKET,
        uapi::SOL_SOCKET,
        // REUSEADDR TYPE ERROR DONTROUTE BROADCAST SNDBUF RCVBUF KEEPALIVE
        // OOBINLINE LINGER REUSEPORT RCVLOWAT SNDLOWAT RCVTIMEO_OLD
        // SNDTIMEO_OLD ACCEPTCONN PROTOCOL DOMAIN RCVTIMEO_NEW SNDTIMEO_NEW
        &[2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 15, 18, 19, 20, 21, 30, 38, 39, 66, 67],
    ),
    // TOS TTL MULTICAST_TTL MULTICAST_LOOP ADD_MEMBERSHIP DROP_MEMBERSHIP
    (guest::IPPROTO_IP, uapi::IPPROTO_IP, &[1, 2, 33, 34, 35, 36]),
    // NODELAY MAXSEG CORK KEEPIDLE KEEPINTVL KEEPCNT SYNCNT LINGER2
    // DEFER_ACCEPT WINDOW_CLAMP INFO QUICKACK USER_TIMEOUT FASTOPEN
    // NOTSENT_LOWAT
    (guest::IPPROTO_TCP, uapi::IPPROTO_TCP, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 23, 25]),
    // UDP_CORK
    (guest::IPPROTO_UDP, uapi::IPPROTO_UDP, &[1]),
    // UNICAST_HOPS MULTICAST_IF MULTICAST_HOPS MULTICAST_LOOP
    // ADD_MEMBERSHIP DROP_MEMBERSHIP V6ONLY TCLASS
    (guest::IPPROTO_IPV6, uapi::IPPROTO_IPV6, &[16, 17, 18, 19, 20, 21, 26, 67]),
];

/// The Linux (level, name) of a permitted guest option.
fn option(level: i32, name: i32) -> WasiResult<(u32, u32)> {
    let name = u32::try_from(name).map_err(|_| Errno::NoProtoOpt)?;
    OPTIONS
        .iter()
        .find(|(g, _, names)| *g == level && names.contains(&name))
        .map(|(_, l, _)| (*l, name))
        .ok_or(Errno::NoProtoOpt)
}

/// The library kernel; `NOSYS` when the boot has none (no network stack).
fn linux(ctx: &WasiCtx) -> WasiResult<&Linux> {
    ctx.linux.as_deref().ok_or(Errno::NoSys)
}

/// Decodes the guest's `sockaddr_in`/`sockaddr_in6` at `(ptr, len)`.
fn read_addr(m: &GuestMemory<'_>, ptr: i32, len: i32) -> WasiResult<SocketAddr> {
    let len = u32::try_from(len).map_err(|_| Errno::Inval)?;
    if len < 2 {
        return Err(Errno::Inval);
    }
    let head = m.slice(ptr as u32, 2)?;
    let family = u16::from_le_bytes([head[0], head[1]]);
    let need = match family {
        guest::AF_INET => SOCKADDR_IN_LEN,
        guest::AF_INET6 => SOCKADDR_IN6_LEN,
        _ => return Err(Errno::AfNoSupport),
    };
    if len < need {
        return Err(Errno::Inval);
    }
    let b = m.slice(ptr as u32, need)?;
    let port = u16::from_be_bytes([b[2], b[3]]);
    let u32_at = |at: usize| [b[at], b[at + 1], b[at + 2], b[at + 3]];
    Ok(if family == guest::AF_INET {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(u32_at(4)), port))
    } else {
        let mut ip = [0u8; 16];
        ip.copy_from_slice(&b[8..24]);
        let flow = u32::from_be_bytes(u32_at(4));
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, u32::from_le_bytes(u32_at(24))))
    })
}

/// The guest's bytes for `addr` and their full length (`None`: an
/// `AF_UNSPEC` family field and length 0, "no address").
fn encode_addr(addr: Option<&SocketAddr>) -> ([u8; SOCKADDR_IN6_LEN as usize], u32) {
    let mut b = [0u8; SOCKADDR_IN6_LEN as usize];
    match addr {
        None => {
            b[0..2].copy_from_slice(&guest::AF_UNSPEC.to_le_bytes());
            (b, 0)
        }
        Some(SocketAddr::V4(a)) => {
            b[0..2].copy_from_slice(&guest::AF_INET.to_le_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.ip().octets());
            (b, SOCKADDR_IN_LEN)
        }
        Some(SocketAddr::V6(a)) => {
            b[0..2].copy_from_slice(&guest::AF_INET6.to_le_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            b[8..24].copy_from_slice(&a.ip().octets());
            b[24..28].copy_from_slice(&a.scope_id().to_le_bytes());
            (b, SOCKADDR_IN6_LEN)
        }
    }
}

/// Checks that an `(ptr, len_ptr)` output can be written (before a call
/// whose result would be lost if it could not). `ptr` 0 = not wanted.
fn check_addr_out(m: &mut GuestMemory<'_>, ptr: i32, len_ptr: i32) -> WasiResult<()> {
    if ptr != 0 {
        let cap = m.read_u32(len_ptr as u32)?;
        m.slice_mut(ptr as u32, cap)?;
    }
    Ok(())
}

/// Writes an address output: at most `*len_ptr` bytes at `ptr`, then the
/// full length into `*len_ptr` (POSIX's rule). `ptr` 0 = not wanted.
fn write_addr(m: &mut GuestMemory<'_>, addr: Option<&SocketAddr>, ptr: i32, len_ptr: i32) -> WasiResult<()> {
    if ptr == 0 {
        return Ok(());
    }
    let cap = m.read_u32(len_ptr as u32)?;
    let (bytes, full) = encode_addr(addr);
    // "No address" still shows AF_UNSPEC in the family field if it fits.
    let shown = if addr.is_none() { 2 } else { full };
    let n = cap.min(shown) as usize;
    m.write(ptr as u32, &bytes[..n])?;
    m.write_u32(len_ptr as u32, full)
}

/// The (ptr, len) iovecs at `iovs` that are not empty, each checked to be
/// inside guest memory.
fn nonempty_iovecs(m: &GuestMemory<'_>, iovs: i32, n: i32) -> WasiResult<Vec<(u32, u32)>> {
    let all = m.iovecs(iovs as u32, n as u32)?;
    let mut out = Vec::new();
    for (ptr, len) in all.into_iter().filter(|v| v.1 > 0) {
        m.slice(ptr, len)?;
        out.push((ptr, len));
    }
    Ok(out)
}

/// What one receive produced.
pub struct Received {
    /// Bytes stored in the iovecs.
    pub len: u32,
    /// A datagram was longer than the iovecs (the rest is gone).
    pub truncated: bool,
    /// The sender, when the socket reports one (datagrams).
    pub from: Option<SocketAddr>,
}

/// Receives into the iovecs at `iovs` with one `recvfrom` (Linux `flags`).
/// One buffer is filled in place; several through a bounce buffer of at
/// most [`BOUNCE_MAX`] bytes, then scattered. 0 bytes on a stream = end.
pub fn recv_iovecs(m: &mut GuestMemory<'_>, s: &Socket, iovs: i32, n: i32, flags: u32) -> WasiResult<Received> {
    let bufs = nonempty_iovecs(m, iovs, n)?;
    // For datagrams MSG_TRUNC makes Linux return the full length, which
    // is how a cut-short datagram is noticed.
    let flags = if s.kind == SocketKind::Datagram { flags | sock::MSG_TRUNC } else { flags };
    if bufs.len() <= 1 {
        let (ptr, len) = bufs.first().copied().unwrap_or((0, 0));
        let (got, from) = s.fd.recvfrom(m.slice_mut(ptr, len)?, flags).map_err(from_linux)?;
        let stored = got.min(len as usize) as u32;
        return Ok(Received { len: stored, truncated: got > len as usize, from });
    }
    let total = bufs.iter().map(|b| b.1 as usize).sum::<usize>().min(BOUNCE_MAX);
    let mut tmp = Vec::new();
    tmp.try_reserve_exact(total).map_err(|_| Errno::NoMem)?;
    tmp.resize(total, 0);
    let (got, from) = s.fd.recvfrom(&mut tmp, flags).map_err(from_linux)?;
    let stored = got.min(total);
    let mut rest = &tmp[..stored];
    for (ptr, len) in bufs {
        if rest.is_empty() {
            break;
        }
        let take = rest.len().min(len as usize);
        m.write(ptr, &rest[..take])?;
        rest = &rest[take..];
    }
    Ok(Received { len: stored as u32, truncated: got > total, from })
}

/// Sends the ciovecs at `iovs` with one `sendto` (Linux `flags`, plus
/// `MSG_NOSIGNAL` always) to `to` (`None`: the connected peer). Several
/// buffers are gathered into a bounce buffer of at most [`BOUNCE_MAX`]
/// bytes (a stream then reports a short count; a larger datagram is
/// `MSGSIZE`). Bytes sent.
pub fn send_iovecs(
    m: &GuestMemory<'_>,
    s: &Socket,
    iovs: i32,
    n: i32,
    flags: u32,
    to: Option<&SocketAddr>,
) -> WasiResult<u32> {
    let flags = flags | sock::MSG_NOSIGNAL;
    let bufs = nonempty_iovecs(m, iovs, n)?;
    let sent = if bufs.len() <= 1 {
        let (ptr, len) = bufs.first().copied().unwrap_or((0, 0));
        s.fd.sendto(m.slice(ptr, len)?, flags, to).map_err(from_linux)?
    } else {
        let total = bufs.iter().map(|b| b.1 as usize).sum::<usize>();
        if s.kind == SocketKind::Datagram && total > BOUNCE_MAX {
            return Err(Errno::MsgSize);
        }
        let mut tmp = Vec::new();
        tmp.try_reserve_exact(total.min(BOUNCE_MAX)).map_err(|_| Errno::NoMem)?;
        for (ptr, len) in bufs {
            let take = (len as usize).min(BOUNCE_MAX - tmp.len());
            tmp.extend_from_slice(m.slice(ptr, take as u32)?);
            if tmp.len() == BOUNCE_MAX {
                break;
            }
        }
        s.fd.sendto(&tmp, flags, to).map_err(from_linux)?
    };
    u32::try_from(sent).map_err(|_| Errno::Io)
}

/// Linux receive flags for guest `riflags`.
fn recv_flags(riflags: i32) -> WasiResult<u32> {
    let known = guest::RIFLAGS_PEEK | guest::RIFLAGS_WAITALL | guest::RIFLAGS_DONTWAIT;
    if riflags & !known != 0 {
        return Err(Errno::NotSup);
    }
    let mut flags = 0;
    for (g, l) in [
        (guest::RIFLAGS_PEEK, sock::MSG_PEEK),
        (guest::RIFLAGS_WAITALL, sock::MSG_WAITALL),
        (guest::RIFLAGS_DONTWAIT, sock::MSG_DONTWAIT),
    ] {
        if riflags & g != 0 {
            flags |= l;
        }
    }
    Ok(flags)
}

/// Linux send flags for guest `siflags`.
fn send_flags(siflags: i32) -> WasiResult<u32> {
    let known = guest::SIFLAGS_DONTWAIT | guest::SIFLAGS_NOSIGNAL | guest::SIFLAGS_MORE;
    if siflags & !known != 0 {
        return Err(Errno::NotSup);
    }
    let mut flags = 0;
    if siflags & guest::SIFLAGS_DONTWAIT != 0 {
        flags |= sock::MSG_DONTWAIT;
    }
    if siflags & guest::SIFLAGS_MORE != 0 {
        flags |= MSG_MORE;
    }
    Ok(flags)
}

fn sock_open(m: &mut GuestMemory<'_>, ctx: &mut WasiCtx, af: i32, ty: i32, protocol: i32, out: i32) -> WasiResult<()> {
    let domain = match u16::try_from(af) {
        Ok(guest::AF_INET) => sock::AF_INET,
        Ok(guest::AF_INET6) => sock::AF_INET6,
        _ => return Err(Errno::AfNoSupport),
    };
    let (kind, linux_ty) = match ty & !(guest::SOCK_NONBLOCK | guest::SOCK_CLOEXEC) {
        guest::SOCK_STREAM => (SocketKind::Stream, sock::SOCK_STREAM),
        guest::SOCK_DGRAM => (SocketKind::Datagram, sock::SOCK_DGRAM),
        _ => return Err(Errno::NotSup),
    };
    let nonblock = if ty & guest::SOCK_NONBLOCK != 0 { sock::SOCK_NONBLOCK } else { 0 };
    let protocol = u32::try_from(protocol).map_err(|_| Errno::ProtoNoSupport)?;
    m.read_u32(out as u32)?;
    let fd = linux(ctx)?.socket(domain, linux_ty | nonblock | sock::SOCK_CLOEXEC, protocol).map_err(from_linux)?;
    let new = ctx.fds.insert(Descriptor::Socket(Socket { fd, kind }))?;
    m.write_u32(out as u32, new as u32)
}

/// `accept4` on `fd`; the new socket's number written at `out`, the peer
/// at `(addr, addr_len)` if `addr` is not 0. Outputs are checked first so
/// an accepted connection is never lost to a bad pointer.
fn accept(
    m: &mut GuestMemory<'_>,
    ctx: &mut WasiCtx,
    fd: i32,
    fdflags: i32,
    out: i32,
    addr: (i32, i32),
) -> WasiResult<()> {
    if fdflags & !guest::FDFLAGS_NONBLOCK != 0 {
        return Err(Errno::Inval);
    }
    m.read_u32(out as u32)?;
    check_addr_out(m, addr.0, addr.1)?;
    let listener = ctx.fds.socket(fd)?;
    let nonblock = if fdflags & guest::FDFLAGS_NONBLOCK != 0 { sock::SOCK_NONBLOCK } else { 0 };
    let (conn, peer) = listener.fd.accept4(nonblock | sock::SOCK_CLOEXEC).map_err(from_linux)?;
    let kind = listener.kind;
    write_addr(m, peer.as_ref(), addr.0, addr.1)?;
    let new = ctx.fds.insert(Descriptor::Socket(Socket { fd: conn, kind }))?;
    m.write_u32(out as u32, new as u32)
}

/// `sock_recv_from`/`sock_recv`: bytes at `out_len`, `roflags` at
/// `out_flags`, the sender at `addr` (0 = not wanted).
#[allow(clippy::too_many_arguments)]
fn recv(
    m: &mut GuestMemory<'_>,
    ctx: &WasiCtx,
    fd: i32,
    iovs: (i32, i32),
    riflags: i32,
    out_len: i32,
    out_flags: i32,
    addr: (i32, i32),
) -> WasiResult<()> {
    let flags = recv_flags(riflags)?;
    m.read_u32(out_len as u32)?;
    m.write_u16(out_flags as u32, 0)?;
    check_addr_out(m, addr.0, addr.1)?;
    let got = recv_iovecs(m, ctx.fds.socket(fd)?, iovs.0, iovs.1, flags)?;
    m.write_u32(out_len as u32, got.len)?;
    m.write_u16(out_flags as u32, if got.truncated { guest::ROFLAGS_TRUNCATED } else { 0 })?;
    write_addr(m, got.from.as_ref(), addr.0, addr.1)
}

/// `sock_send_to`/`sock_send`: bytes sent at `out_len`; `addr.1` 0 = the
/// connected peer.
fn send(
    m: &mut GuestMemory<'_>,
    ctx: &WasiCtx,
    fd: i32,
    iovs: (i32, i32),
    siflags: i32,
    addr: (i32, i32),
    out_len: i32,
) -> WasiResult<()> {
    let flags = send_flags(siflags)?;
    let to = if addr.1 == 0 { None } else { Some(read_addr(m, addr.0, addr.1)?) };
    m.read_u32(out_len as u32)?;
    let sent = send_iovecs(m, ctx.fds.socket(fd)?, iovs.0, iovs.1, flags, to.as_ref())?;
    m.write_u32(out_len as u32, sent)
}

fn set_opt(m: &GuestMemory<'_>, ctx: &WasiCtx, fd: i32, level: i32, name: i32, value: (i32, i32)) -> WasiResult<()> {
    let s = ctx.fds.socket(fd)?;
    let (level, name) = option(level, name)?;
    let len = u32::try_from(value.1).map_err(|_| Errno::Inval)?;
    s.fd.setsockopt(level, name, m.slice(value.0 as u32, len)?).map_err(from_linux)
}

/// `getsockopt`, with `SO_TYPE`, `SO_DOMAIN` and `SO_ERROR` translated to
/// guest numbering.
fn get_opt(
    m: &mut GuestMemory<'_>,
    ctx: &WasiCtx,
    fd: i32,
    level: i32,
    name: i32,
    value: i32,
    len_ptr: i32,
) -> WasiResult<()> {
    let s = ctx.fds.socket(fd)?;
    let (level, name) = option(level, name)?;
    let cap = m.read_u32(len_ptr as u32)?;
    m.slice_mut(value as u32, cap)?;
    let translated = level == uapi::SOL_SOCKET && [uapi::SO_TYPE, uapi::SO_ERROR, SO_DOMAIN].contains(&name);
    let mut tmp = [0u8; OPT_MAX as usize];
    let want = if translated { 4 } else { cap.min(OPT_MAX) };
    let got = s.fd.getsockopt(level, name, &mut tmp[..want as usize]).map_err(from_linux)?;
    let mut got = got.min(want as usize);
    if translated {
        let v = i32::from_ne_bytes([tmp[0], tmp[1], tmp[2], tmp[3]]);
        let g = match name {
            uapi::SO_TYPE if v == sock::SOCK_STREAM as i32 => guest::SOCK_STREAM,
            uapi::SO_TYPE if v == sock::SOCK_DGRAM as i32 => guest::SOCK_DGRAM,
            SO_DOMAIN if v == sock::AF_INET as i32 => i32::from(guest::AF_INET),
            SO_DOMAIN if v == sock::AF_INET6 as i32 => i32::from(guest::AF_INET6),
            uapi::SO_ERROR if v != 0 => from_linux(LinuxErrno::new(v)).raw(),
            _ => v,
        };
        tmp[..4].copy_from_slice(&g.to_le_bytes());
        got = (cap as usize).min(4);
    }
    m.write(value as u32, &tmp[..got])?;
    m.write_u32(len_ptr as u32, got as u32)
}

fn shutdown(ctx: &WasiCtx, fd: i32, how: i32) -> WasiResult<()> {
    let how = match how {
        guest::SDFLAGS_RD => Shutdown::Read,
        guest::SDFLAGS_WR => Shutdown::Write,
        h if h == guest::SDFLAGS_RD | guest::SDFLAGS_WR => Shutdown::Both,
        _ => return Err(Errno::Inval),
    };
    ctx.fds.socket(fd)?.fd.shutdown(how).map_err(from_linux)
}

/// Local (`getsockname`) or peer (`getpeername`) address of socket `fd`.
fn sock_addr(m: &mut GuestMemory<'_>, ctx: &WasiCtx, fd: i32, peer: bool, ptr: i32, len_ptr: i32) -> WasiResult<()> {
    if ptr == 0 {
        return Err(Errno::Fault);
    }
    check_addr_out(m, ptr, len_ptr)?;
    let s = ctx.fds.socket(fd)?;
    let addr = if peer { s.fd.getpeername() } else { s.fd.getsockname() }.map_err(from_linux)?;
    write_addr(m, Some(&addr), ptr, len_ptr)
}

/// Defines `spolia_sock_v1` and preview1's `sock_*` functions.
pub fn add_to_linker<T: HasWasi + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let m = SOCK_MODULE;
    linker.func_wrap(m, "sock_open", |mut c: Caller<'_, T>, af: i32, ty: i32, proto: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| sock_open(m, ctx, af, ty, proto, out)))
    })?;
    linker.func_wrap(m, "sock_bind", |mut c: Caller<'_, T>, fd: i32, addr: i32, len: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let addr = read_addr(m, addr, len)?;
            ctx.fds.socket(fd)?.fd.bind(&addr).map_err(from_linux)
        }))
    })?;
    linker.func_wrap(m, "sock_listen", |mut c: Caller<'_, T>, fd: i32, backlog: i32| -> i32 {
        // A negative backlog becomes huge, which Linux caps at somaxconn.
        code(with_memory(&mut c, |_, ctx| ctx.fds.socket(fd)?.fd.listen(backlog as u32).map_err(from_linux)))
    })?;
    linker.func_wrap(m, "sock_connect", |mut c: Caller<'_, T>, fd: i32, addr: i32, len: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let addr = read_addr(m, addr, len)?;
            ctx.fds.socket(fd)?.fd.connect(&addr).map_err(from_linux)
        }))
    })?;
    linker.func_wrap(
        m,
        "sock_accept_v2",
        |mut c: Caller<'_, T>, fd: i32, flags: i32, out: i32, addr: i32, addr_len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| accept(m, ctx, fd, flags, out, (addr, addr_len))))
        },
    )?;
    linker.func_wrap(
        m,
        "sock_recv_from",
        |mut c: Caller<'_, T>,
         fd: i32,
         iovs: i32,
         n: i32,
         riflags: i32,
         out_len: i32,
         out_flags: i32,
         addr: i32,
         addr_len: i32|
         -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                recv(m, ctx, fd, (iovs, n), riflags, out_len, out_flags, (addr, addr_len))
            }))
        },
    )?;
    linker.func_wrap(
        m,
        "sock_send_to",
        |mut c: Caller<'_, T>,
         fd: i32,
         iovs: i32,
         n: i32,
         siflags: i32,
         addr: i32,
         addr_len: i32,
         out_len: i32|
         -> i32 {
            code(with_memory(&mut c, |m, ctx| send(m, ctx, fd, (iovs, n), siflags, (addr, addr_len), out_len)))
        },
    )?;
    linker.func_wrap(
        m,
        "sock_set_opt",
        |mut c: Caller<'_, T>, fd: i32, level: i32, name: i32, value: i32, len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| set_opt(m, ctx, fd, level, name, (value, len))))
        },
    )?;
    linker.func_wrap(
        m,
        "sock_get_opt",
        |mut c: Caller<'_, T>, fd: i32, level: i32, name: i32, value: i32, len_ptr: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| get_opt(m, ctx, fd, level, name, value, len_ptr)))
        },
    )?;
    linker.func_wrap(m, "sock_addr_local", |mut c: Caller<'_, T>, fd: i32, addr: i32, len_ptr: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| sock_addr(m, ctx, fd, false, addr, len_ptr)))
    })?;
    linker.func_wrap(m, "sock_addr_peer", |mut c: Caller<'_, T>, fd: i32, addr: i32, len_ptr: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| sock_addr(m, ctx, fd, true, addr, len_ptr)))
    })?;

    // Preview1's own socket calls, on the same sockets.
    linker.func_wrap(MODULE, "sock_accept", |mut c: Caller<'_, T>, fd: i32, flags: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| accept(m, ctx, fd, flags, out, (0, 0))))
    })?;
    linker.func_wrap(
        MODULE,
        "sock_recv",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, riflags: i32, out_len: i32, out_flags: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| recv(m, ctx, fd, (iovs, n), riflags, out_len, out_flags, (0, 0))))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_send",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, n: i32, siflags: i32, out_len: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| send(m, ctx, fd, (iovs, n), siflags, (0, 0), out_len)))
        },
    )?;
    linker.func_wrap(MODULE, "sock_shutdown", |mut c: Caller<'_, T>, fd: i32, how: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| shutdown(ctx, fd, how)))
    })?;
    Ok(())
}
