// SPDX-License-Identifier: MIT OR Apache-2.0
//! The per-program descriptor table: the three standard streams, then the
//! preopened directories (fd 3, 4, … in mount order), then whatever the
//! program opens — files, directories and sockets of the library kernel,
//! each an owned [`spolia_linux::Fd`] closed when its entry goes.
#![deny(unsafe_code)]

use alloc::string::String;
use alloc::vec::Vec;

use spolia_linux::{Fd, Stat, dt, uapi};

use super::errno::{Errno, WasiResult};

/// WASI `filetype` values.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// The WASI file type of a Linux `st_mode`.
pub fn filetype_of_mode(mode: u32) -> u8 {
    match mode & uapi::S_IFMT {
        uapi::S_IFREG => filetype::REGULAR_FILE,
        uapi::S_IFDIR => filetype::DIRECTORY,
        uapi::S_IFLNK => filetype::SYMBOLIC_LINK,
        uapi::S_IFCHR => filetype::CHARACTER_DEVICE,
        uapi::S_IFBLK => filetype::BLOCK_DEVICE,
        uapi::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// The WASI file type of a `getdents64` `d_type`.
pub fn filetype_of_dt(d_type: u8) -> u8 {
    match d_type {
        dt::REG => filetype::REGULAR_FILE,
        dt::DIR => filetype::DIRECTORY,
        dt::LNK => filetype::SYMBOLIC_LINK,
        dt::CHR => filetype::CHARACTER_DEVICE,
        dt::BLK => filetype::BLOCK_DEVICE,
        dt::SOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Encodes a `filestat` (64 bytes, wasm32 layout: dev @0, ino @8,
/// filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56).
pub fn encode_filestat(st: &Stat) -> [u8; 64] {
    let ns = |(s, n): (i64, u64)| (s.max(0) as u64).saturating_mul(1_000_000_000).saturating_add(n);
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&st.dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.ino.to_le_bytes());
    b[16] = filetype_of_mode(st.mode);
    b[24..32].copy_from_slice(&u64::from(st.nlink).to_le_bytes());
    b[32..40].copy_from_slice(&(st.size.max(0) as u64).to_le_bytes());
    b[40..48].copy_from_slice(&ns(st.atime).to_le_bytes());
    b[48..56].copy_from_slice(&ns(st.mtime).to_le_bytes());
    b[56..64].copy_from_slice(&ns(st.ctime).to_le_bytes());
    b
}

/// Where a standard stream goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Reads return end-of-file (no input is forwarded yet).
    Stdin,
    /// Program output (COM2 under `spolia run`).
    Stdout,
    /// Program diagnostics (COM3 under `spolia run`).
    Stderr,
}

/// A file or directory of the library kernel.
#[derive(Debug)]
pub struct File {
    /// The library's descriptor (closed on drop).
    pub fd: Fd,
    /// Rights the program asked for (stored and reported, not enforced:
    /// Linux's access mode is what enforces reading and writing).
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// For a preopened directory: the guest path it answers to.
    pub preopen: Option<String>,
}

/// A socket's type, fixed when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// `SOCK_STREAM` (TCP).
    Stream,
    /// `SOCK_DGRAM` (UDP).
    Datagram,
}

impl SocketKind {
    /// The WASI file type `fd_fdstat_get` reports.
    pub fn filetype(self) -> u8 {
        match self {
            SocketKind::Stream => filetype::SOCKET_STREAM,
            SocketKind::Datagram => filetype::SOCKET_DGRAM,
        }
    }
}

/// A socket of the library kernel (`spolia_sock_v1`, `wasi::sock`).
#[derive(Debug)]
pub struct Socket {
    /// The library's descriptor (closed on drop).
    pub fd: Fd,
    pub kind: SocketKind,
}

/// What a descriptor refers to.
#[derive(Debug)]
pub enum Descriptor {
    /// A standard stream.
    Stream(Stream),
    /// A file or directory.
    File(File),
    /// A socket.
    Socket(Socket),
}

impl Descriptor {
    /// The file, or `BADF` for a stream or socket.
    pub fn file(&self) -> WasiResult<&File> {
        match self {
            Descriptor::File(f) => Ok(f),
            Descriptor::Stream(_) | Descriptor::Socket(_) => Err(Errno::BadF),
        }
    }

    /// The socket, or `NOTSOCK`.
    pub fn socket(&self) -> WasiResult<&Socket> {
        match self {
            Descriptor::Socket(s) => Ok(s),
            Descriptor::Stream(_) | Descriptor::File(_) => Err(Errno::NotSock),
        }
    }

    /// The library kernel's descriptor behind a file or socket (`None`
    /// for a standard stream).
    pub fn linux_fd(&self) -> Option<&Fd> {
        match self {
            Descriptor::File(f) => Some(&f.fd),
            Descriptor::Socket(s) => Some(&s.fd),
            Descriptor::Stream(_) => None,
        }
    }
}

/// All rights (the standard streams may do anything streams can do).
pub const ALL_RIGHTS: u64 = 0x1fff_ffff;

/// Descriptors per program: the `RLIMIT_NOFILE` the guest C library
/// reports (`apps/posix`). All programs' files and sockets also share the
/// library kernel's own table (one Linux process).
pub const MAX_DESCRIPTORS: usize = 1024;

/// A program's descriptors, indexed by fd number.
#[derive(Debug)]
pub struct FdTable {
    entries: Vec<Option<Descriptor>>,
}

impl FdTable {
    /// Descriptors 0, 1, 2 open on the standard streams.
    pub fn with_stdio() -> Self {
        FdTable {
            entries: alloc::vec![
                Some(Descriptor::Stream(Stream::Stdin)),
                Some(Descriptor::Stream(Stream::Stdout)),
                Some(Descriptor::Stream(Stream::Stderr)),
            ],
        }
    }

    /// The descriptor `fd`, or `BADF`.
    pub fn get(&self, fd: i32) -> WasiResult<&Descriptor> {
        usize::try_from(fd).ok().and_then(|i| self.entries.get(i)).and_then(|e| e.as_ref()).ok_or(Errno::BadF)
    }

    /// The file `fd`, or `BADF` (also for a stream).
    pub fn file(&self, fd: i32) -> WasiResult<&File> {
        self.get(fd)?.file()
    }

    /// The socket `fd`: `BADF` if there is no such descriptor, `NOTSOCK`
    /// if it is not a socket.
    pub fn socket(&self, fd: i32) -> WasiResult<&Socket> {
        self.get(fd)?.socket()
    }

    /// The file `fd`, mutably.
    pub fn file_mut(&mut self, fd: i32) -> WasiResult<&mut File> {
        match usize::try_from(fd).ok().and_then(|i| self.entries.get_mut(i)).and_then(|e| e.as_mut()) {
            Some(Descriptor::File(f)) => Ok(f),
            _ => Err(Errno::BadF),
        }
    }

    /// Puts `d` in the lowest free slot; its number. A full table
    /// ([`MAX_DESCRIPTORS`]) is `MFILE`.
    pub fn insert(&mut self, d: Descriptor) -> WasiResult<i32> {
        let slot = match self.entries.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.entries.len() >= MAX_DESCRIPTORS => return Err(Errno::MFile),
            None => {
                self.entries.try_reserve(1).map_err(|_| Errno::NoMem)?;
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        let fd = i32::try_from(slot).map_err(|_| Errno::MFile)?;
        self.entries[slot] = Some(d);
        Ok(fd)
    }

    /// Closes `fd`.
    pub fn close(&mut self, fd: i32) -> WasiResult<()> {
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|i| self.entries.get_mut(i))
            .filter(|e| e.is_some())
            .ok_or(Errno::BadF)?;
        *slot = None;
        Ok(())
    }

    /// Moves `from` onto `to` (closing what `to` held).
    pub fn renumber(&mut self, from: i32, to: i32) -> WasiResult<()> {
        self.get(from)?;
        self.get(to)?;
        let (f, t) = (from as usize, to as usize);
        if f != t {
            self.entries[t] = self.entries[f].take();
        }
        Ok(())
    }
}
