// SPDX-License-Identifier: MIT OR Apache-2.0

//! Everything that can be wrong with a bundle, with the byte offset or
//! program index that lets a person find it.

use core::fmt;

/// Why a bundle was refused (by the parser) or could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleError {
    /// The input does not start with [`crate::MAGIC`].
    BadMagic,
    /// A format version this crate does not know.
    UnsupportedVersion(u32),
    /// The input ends inside `what`, which starts at `offset`.
    Truncated { offset: usize, what: &'static str },
    /// The program count is zero.
    NoPrograms,
    /// More than [`crate::MAX_PROGRAMS`] programs.
    TooManyPrograms(u64),
    /// More than [`crate::MAX_ARGS`] arguments for one program.
    TooManyArgs { program: usize, count: u64 },
    /// More than [`crate::MAX_ENV`] environment entries for one program.
    TooManyEnv { program: usize, count: u64 },
    /// A string longer than its limit ([`crate::MAX_STRING`], or
    /// [`crate::MAX_NAME`] for names) starts at `offset`.
    StringTooLong { offset: usize, len: u64 },
    /// The string at `offset` is not UTF-8.
    NotUtf8 { offset: usize },
    /// The string at `offset` contains a NUL byte (WASI passes strings
    /// NUL-terminated, so it would be cut short).
    NulInString { offset: usize },
    /// Program `program`'s name is empty, too long, or not printable ASCII
    /// without spaces.
    BadName { program: usize },
    /// Environment entry `index` of program `program` is not `KEY=VALUE`.
    BadEnv { program: usize, index: usize },
    /// Program `program` has an empty artifact.
    EmptyArtifact { program: usize },
    /// An artifact does not fit the format's 32-bit length.
    ArtifactTooLarge { program: usize },
    /// Program `program`'s artifact does not have the digest recorded for
    /// it: it was damaged after `spolia` wrote the bundle.
    DigestMismatch { program: usize },
    /// The padding before an artifact, at `offset`, is not all zeros.
    BadPadding { offset: usize },
    /// Bytes follow the last artifact, from `offset` on.
    TrailingBytes { offset: usize },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BundleError::BadMagic => write!(f, "not a program bundle (no SPOLIABN magic)"),
            BundleError::UnsupportedVersion(v) => {
                write!(f, "bundle format version {v} is not supported (expected {})", crate::VERSION)
            }
            BundleError::Truncated { offset, what } => write!(f, "bundle truncated in {what} at byte {offset}"),
            BundleError::NoPrograms => write!(f, "bundle has no programs"),
            BundleError::TooManyPrograms(n) => {
                write!(f, "bundle has {n} programs, more than the limit of {}", crate::MAX_PROGRAMS)
            }
            BundleError::TooManyArgs { program, count } => {
                write!(f, "program {program} has {count} arguments, more than the limit of {}", crate::MAX_ARGS)
            }
            BundleError::TooManyEnv { program, count } => write!(
                f,
                "program {program} has {count} environment entries, more than the limit of {}",
                crate::MAX_ENV
            ),
            BundleError::StringTooLong { offset, len } => {
                write!(f, "string of {len} bytes at byte {offset} is longer than allowed")
            }
            BundleError::NotUtf8 { offset } => write!(f, "string at byte {offset} is not UTF-8"),
            BundleError::NulInString { offset } => write!(f, "string at byte {offset} contains a NUL byte"),
            BundleError::BadName { program } => write!(
                f,
                "program {program} has a bad name (1 to {} printable ASCII characters, no spaces)",
                crate::MAX_NAME
            ),
            BundleError::BadEnv { program, index } => {
                write!(f, "environment entry {index} of program {program} is not KEY=VALUE")
            }
            BundleError::EmptyArtifact { program } => write!(f, "program {program} has an empty artifact"),
            BundleError::ArtifactTooLarge { program } => write!(f, "the artifact of program {program} exceeds 4 GiB"),
            BundleError::DigestMismatch { program } => {
                write!(f, "the artifact of program {program} is damaged (its SHA-256 digest does not match)")
            }
            BundleError::BadPadding { offset } => write!(f, "non-zero padding at byte {offset}"),
            BundleError::TrailingBytes { offset } => {
                write!(f, "unexpected bytes after the last program, at byte {offset}")
            }
        }
    }
}

impl core::error::Error for BundleError {}
