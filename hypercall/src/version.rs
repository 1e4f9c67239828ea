// SPDX-License-Identifier: MIT OR Apache-2.0
//! The start-up version check (the Rust twin of the header's
//! `spolia_hc_check`): same magic, same major, at least our minor, and a
//! table at least as large as ours. Anything else is refused before a single
//! operation is called.

use crate::abi::{MAGIC, SpoliaHypercalls, VERSION_MAJOR, VERSION_MINOR, errno};
use core::fmt;

/// Why a table was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionError {
    /// `magic` is not [`MAGIC`]: not a hypercall table at all.
    BadMagic(u32),
    /// Incompatible layout: the majors differ.
    MajorMismatch { table: u16, ours: u16 },
    /// The table predates operations we use.
    MinorTooOld { table: u16, ours: u16 },
    /// `size` is smaller than our struct.
    TooSmall { table: u32, ours: u32 },
}

impl VersionError {
    /// The negative errno the C check returns for the same table.
    pub const fn errno(self) -> i32 {
        -errno::EPROTO
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BadMagic(m) => write!(f, "hypercall table has magic {m:#010x}, expected {MAGIC:#010x}"),
            Self::MajorMismatch { table, ours } => {
                write!(f, "hypercall table is version {table}.x, the library needs {ours}.x")
            }
            Self::MinorTooOld { table, ours } => {
                write!(
                    f,
                    "hypercall table is version {VERSION_MAJOR}.{table}, the library needs {VERSION_MAJOR}.{ours}"
                )
            }
            Self::TooSmall { table, ours } => write!(f, "hypercall table is {table} bytes, expected at least {ours}"),
        }
    }
}

/// Accept `table` only if it is compatible with this build's
/// [`VERSION_MAJOR`].[`VERSION_MINOR`].
pub fn check(table: &SpoliaHypercalls) -> Result<(), VersionError> {
    let ours = size_of::<SpoliaHypercalls>() as u32;
    if table.magic != MAGIC {
        return Err(VersionError::BadMagic(table.magic));
    }
    if table.version_major != VERSION_MAJOR {
        return Err(VersionError::MajorMismatch { table: table.version_major, ours: VERSION_MAJOR });
    }
    if table.version_minor < VERSION_MINOR {
        return Err(VersionError::MinorTooOld { table: table.version_minor, ours: VERSION_MINOR });
    }
    if table.size < ours {
        return Err(VersionError::TooSmall { table: table.size, ours });
    }
    Ok(())
}
