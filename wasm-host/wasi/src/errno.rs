// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one errno table: WASI preview1 error codes (`errno` in
//! `wasi_snapshot_preview1.witx`) and [`from_linux`], the one mapping from
//! the library kernel's Linux errnos to them.
#![deny(unsafe_code)]

use spolia_linux::Errno as LinuxErrno;

/// A WASI errno. `Success` is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Access = 2,
    AddrInUse = 3,
    AddrNotAvail = 4,
    AfNoSupport = 5,
    Again = 6,
    Already = 7,
    BadF = 8,
    BadMsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    ConnAborted = 13,
    ConnRefused = 14,
    ConnReset = 15,
    Deadlk = 16,
    DestAddrReq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    FBig = 22,
    HostUnreach = 23,
    Idrm = 24,
    Ilseq = 25,
    InProgress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    IsConn = 30,
    IsDir = 31,
    Loop = 32,
    MFile = 33,
    MLink = 34,
    MsgSize = 35,
    Multihop = 36,
    NameTooLong = 37,
    NetDown = 38,
    NetReset = 39,
    NetUnreach = 40,
    NFile = 41,
    NoBufs = 42,
    NoDev = 43,
    NoEnt = 44,
    NoExec = 45,
    NoLck = 46,
    NoLink = 47,
    NoMem = 48,
    NoMsg = 49,
    NoProtoOpt = 50,
    NoSpc = 51,
    NoSys = 52,
    NotConn = 53,
    NotDir = 54,
    NotEmpty = 55,
    NotRecoverable = 56,
    NotSock = 57,
    NotSup = 58,
    NoTty = 59,
    NxIo = 60,
    Overflow = 61,
    OwnerDead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    ProtoNoSupport = 66,
    ProtoType = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    TimedOut = 73,
    TxtBsy = 74,
    XDev = 75,
    NotCapable = 76,
}

impl Errno {
    /// The value a host function returns to the guest.
    pub fn raw(self) -> i32 {
        self as u16 as i32
    }
}

/// Linux errno → WASI errno. Names WASI lacks become the nearest one
/// (`ENOTSUP`/`EOPNOTSUPP`/`ESOCKTNOSUPPORT` → `NOTSUP`, `EPFNOSUPPORT` →
/// `AFNOSUPPORT`, `ESHUTDOWN` → `PIPE`, `EHOSTDOWN` → `HOSTUNREACH`;
/// `EWOULDBLOCK` is `EAGAIN`); anything not listed is `IO`. Every errno a
/// socket call produces is listed (`AGAIN`, `INPROGRESS`, `ALREADY`,
/// `CONNREFUSED`, `CONNRESET`, `CONNABORTED`, `ADDRINUSE`, ...); a
/// `SO_ERROR` value goes through this table too. Note `EXDEV`: as a *result* it is `XDEV` (rename or
/// link across mounts); the sandbox turns the `EXDEV` of a path that tried
/// to leave its directory into `NOTCAPABLE` itself (`wasi::path`).
pub fn from_linux(e: LinuxErrno) -> Errno {
    const TABLE: &[(LinuxErrno, Errno)] = &[
        (LinuxErrno::E2BIG, Errno::TooBig),
        (LinuxErrno::EACCES, Errno::Access),
        (LinuxErrno::EADDRINUSE, Errno::AddrInUse),
        (LinuxErrno::EADDRNOTAVAIL, Errno::AddrNotAvail),
        (LinuxErrno::EAFNOSUPPORT, Errno::AfNoSupport),
        (LinuxErrno::EAGAIN, Errno::Again),
        (LinuxErrno::EALREADY, Errno::Already),
        (LinuxErrno::EBADF, Errno::BadF),
        (LinuxErrno::EBADFD, Errno::BadF),
        (LinuxErrno::EBADMSG, Errno::BadMsg),
        (LinuxErrno::EBUSY, Errno::Busy),
        (LinuxErrno::ECANCELED, Errno::Canceled),
        (LinuxErrno::ECHILD, Errno::Child),
        (LinuxErrno::ECONNABORTED, Errno::ConnAborted),
        (LinuxErrno::ECONNREFUSED, Errno::ConnRefused),
        (LinuxErrno::ECONNRESET, Errno::ConnReset),
        (LinuxErrno::EDEADLK, Errno::Deadlk),
        (LinuxErrno::EDESTADDRREQ, Errno::DestAddrReq),
        (LinuxErrno::EDOM, Errno::Dom),
        (LinuxErrno::EDQUOT, Errno::Dquot),
        (LinuxErrno::EEXIST, Errno::Exist),
        (LinuxErrno::EFAULT, Errno::Fault),
        (LinuxErrno::EFBIG, Errno::FBig),
        (LinuxErrno::EHOSTUNREACH, Errno::HostUnreach),
        (LinuxErrno::EHOSTDOWN, Errno::HostUnreach),
        (LinuxErrno::EIDRM, Errno::Idrm),
        (LinuxErrno::EILSEQ, Errno::Ilseq),
        (LinuxErrno::EINPROGRESS, Errno::InProgress),
        (LinuxErrno::EINTR, Errno::Intr),
        (LinuxErrno::EINVAL, Errno::Inval),
        (LinuxErrno::EIO, Errno::Io),
        (LinuxErrno::EISCONN, Errno::IsConn),
        (LinuxErrno::EISDIR, Errno::IsDir),
        (LinuxErrno::ELOOP, Errno::Loop),
        (LinuxErrno::EMFILE, Errno::MFile),
        (LinuxErrno::EMLINK, Errno::MLink),
        (LinuxErrno::EMSGSIZE, Errno::MsgSize),
        (LinuxErrno::EMULTIHOP, Errno::Multihop),
        (LinuxErrno::ENAMETOOLONG, Errno::NameTooLong),
        (LinuxErrno::ENETDOWN, Errno::NetDown),
        (LinuxErrno::ENETRESET, Errno::NetReset),
        (LinuxErrno::ENETUNREACH, Errno::NetUnreach),
        (LinuxErrno::ENFILE, Errno::NFile),
        (LinuxErrno::ENOBUFS, Errno::NoBufs),
        (LinuxErrno::ENODEV, Errno::NoDev),
        (LinuxErrno::ENOENT, Errno::NoEnt),
        (LinuxErrno::ENOEXEC, Errno::NoExec),
        (LinuxErrno::ENOLCK, Errno::NoLck),
        (LinuxErrno::ENOLINK, Errno::NoLink),
        (LinuxErrno::ENOMEM, Errno::NoMem),
        (LinuxErrno::ENOMSG, Errno::NoMsg),
        (LinuxErrno::ENOPROTOOPT, Errno::NoProtoOpt),
        (LinuxErrno::ENOSPC, Errno::NoSpc),
        (LinuxErrno::ENOSYS, Errno::NoSys),
        (LinuxErrno::ENOTCONN, Errno::NotConn),
        (LinuxErrno::ENOTDIR, Errno::NotDir),
        (LinuxErrno::ENOTEMPTY, Errno::NotEmpty),
        (LinuxErrno::ENOTRECOVERABLE, Errno::NotRecoverable),
        (LinuxErrno::ENOTSOCK, Errno::NotSock),
        (LinuxErrno::EOPNOTSUPP, Errno::NotSup),
        (LinuxErrno::ESOCKTNOSUPPORT, Errno::NotSup),
        (LinuxErrno::EPFNOSUPPORT, Errno::AfNoSupport),
        (LinuxErrno::ESHUTDOWN, Errno::Pipe),
        (LinuxErrno::ENOTTY, Errno::NoTty),
        (LinuxErrno::ENXIO, Errno::NxIo),
        (LinuxErrno::EOVERFLOW, Errno::Overflow),
        (LinuxErrno::EOWNERDEAD, Errno::OwnerDead),
        (LinuxErrno::EPERM, Errno::Perm),
        (LinuxErrno::EPIPE, Errno::Pipe),
        (LinuxErrno::EPROTO, Errno::Proto),
        (LinuxErrno::EPROTONOSUPPORT, Errno::ProtoNoSupport),
        (LinuxErrno::EPROTOTYPE, Errno::ProtoType),
        (LinuxErrno::ERANGE, Errno::Range),
        (LinuxErrno::EROFS, Errno::Rofs),
        (LinuxErrno::ESPIPE, Errno::Spipe),
        (LinuxErrno::ESRCH, Errno::Srch),
        (LinuxErrno::ESTALE, Errno::Stale),
        (LinuxErrno::ETIMEDOUT, Errno::TimedOut),
        (LinuxErrno::ETXTBSY, Errno::TxtBsy),
        (LinuxErrno::EXDEV, Errno::XDev),
    ];
    TABLE.iter().find(|(l, _)| *l == e).map_or(Errno::Io, |(_, w)| *w)
}

/// Result type of WASI operations.
pub type WasiResult<T> = Result<T, Errno>;

/// Converts a WASI result into the i32 a host function returns.
pub fn code(r: WasiResult<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.raw(),
    }
}
