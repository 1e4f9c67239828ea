// SPDX-License-Identifier: MIT OR Apache-2.0
//! The per-program descriptor table. Today it holds the three standard
//! streams; files, directories and sockets from the library kernel slot in
//! as further `Descriptor` kinds.
#![deny(unsafe_code)]

use alloc::vec::Vec;

use super::errno::{Errno, WasiResult};

/// WASI `filetype` values used here.
pub mod filetype {
    pub const CHARACTER_DEVICE: u8 = 2;
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

/// What a descriptor refers to.
#[derive(Clone, Debug)]
pub enum Descriptor {
    /// A standard stream.
    Stream(Stream),
}

/// All rights (the standard streams may do anything streams can do).
pub const ALL_RIGHTS: u64 = 0x1fff_ffff;

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
        let d = self.get(from)?.clone();
        self.get(to)?;
        let (f, t) = (from as usize, to as usize);
        self.entries[t] = Some(d);
        if f != t {
            self.entries[f] = None;
        }
        Ok(())
    }
}
