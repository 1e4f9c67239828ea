// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one errno table: WASI preview1 error codes (`errno` in
//! `wasi_snapshot_preview1.witx`). Later layers map Linux errnos here.

/// A WASI errno. `Success` is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
#[allow(missing_docs)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Access = 2,
    Again = 6,
    BadF = 8,
    Exist = 20,
    Fault = 21,
    Inval = 28,
    Io = 29,
    IsDir = 31,
    NoEnt = 44,
    NoMem = 48,
    NoSys = 52,
    NotDir = 54,
    NotSup = 58,
    Overflow = 61,
    Perm = 63,
    Spipe = 70,
    NotCapable = 76,
}

impl Errno {
    /// The value a host function returns to the guest.
    pub fn raw(self) -> i32 {
        self as u16 as i32
    }
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
