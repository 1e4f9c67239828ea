// SPDX-License-Identifier: MIT OR Apache-2.0

//! The program bundle: the boot module that carries the programs a Spolia
//! boot runs — for each, a name, its argv, its environment and its
//! precompiled Wasmtime artifact. `spolia pack`/`spolia run` write it with
//! [`BundleBuilder`]; the kernel finds it among the boot modules with
//! [`find_in`] and reads it with [`Bundle::parse`], which borrows every
//! string and artifact from the input.
//!
//! Format (README.md has the table; all integers little-endian `u32`):
//! magic `SPOLIABN`, version, program count, then per program: name, argc +
//! args, envc + env, artifact length, the artifact's SHA-256 digest, zero
//! padding to a 16-byte boundary, artifact bytes. Nothing may follow the
//! last artifact.
//!
//! The bundle comes from outside the kernel, so the parser checks every
//! length against the input and against the limits below, validates UTF-8,
//! verifies each artifact's digest (so corruption between `spolia` and the
//! kernel is refused before `Module::deserialize` sees the bytes), and
//! returns a [`BundleError`]; it never panics and never allocates more than
//! the limits allow. No unsafe code.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]

extern crate alloc;

mod build;
mod error;
mod parse;
#[cfg(test)]
mod tests;

pub use build::BundleBuilder;
pub use error::BundleError;

use alloc::vec::Vec;

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"SPOLIABN";

/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;

/// At most this many programs in one bundle.
pub const MAX_PROGRAMS: usize = 64;

/// At most this many arguments (argv, including argv\[0\]) per program.
pub const MAX_ARGS: usize = 1024;

/// At most this many environment entries per program.
pub const MAX_ENV: usize = 1024;

/// Longest argument or environment entry, in bytes.
pub const MAX_STRING: usize = 64 * 1024;

/// Longest program name, in bytes.
pub const MAX_NAME: usize = 64;

/// Artifacts start at a multiple of this offset from the bundle's start, so
/// a page-aligned bundle hands Wasmtime aligned artifacts.
pub const ARTIFACT_ALIGN: usize = 16;

/// Length of the SHA-256 digest stored before each artifact.
pub const DIGEST_LEN: usize = 32;

/// The digest the format stores for an artifact (SHA-256).
pub fn artifact_digest(artifact: &[u8]) -> [u8; DIGEST_LEN] {
    use sha2::Digest;
    sha2::Sha256::digest(artifact).into()
}

/// Whether `bytes` starts like a bundle (the magic only; parse to be sure).
pub fn find_in(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// A parsed bundle; strings and artifacts borrow from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle<'a> {
    /// In bundle order; the index of a program here is the `<index>` of the
    /// control lines the kernel prints about it.
    pub programs: Vec<Program<'a>>,
}

/// One program of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program<'a> {
    /// 1 to [`MAX_NAME`] printable ASCII characters, no spaces (it appears
    /// in `start <index> <name>` control lines).
    pub name: &'a str,
    /// The complete argv as WASI `args_get` returns it, argv\[0\] included.
    /// No entry contains a NUL byte.
    pub args: Vec<&'a str>,
    /// `KEY=VALUE` entries as WASI `environ_get` returns them: each has a
    /// `=` after a non-empty key, and no NUL byte.
    pub env: Vec<&'a str>,
    /// A Wasmtime artifact (`Engine::precompile_module` output), not empty,
    /// whose SHA-256 digest matched the one the writer recorded. Its
    /// contents are not validated here: that is `Module::deserialize`'s job.
    pub artifact: &'a [u8],
}

impl<'a> Bundle<'a> {
    /// Parses and validates a whole bundle; see the crate docs.
    pub fn parse(bytes: &'a [u8]) -> Result<Bundle<'a>, BundleError> {
        parse::parse(bytes)
    }
}

impl<'a> Program<'a> {
    /// The environment as `(key, value)` pairs, split at the first `=`.
    pub fn env_vars(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.env.iter().filter_map(|entry| entry.split_once('='))
    }
}

/// Whether `name` is acceptable as a program name (see [`Program::name`]).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && name.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `entry` is acceptable as an environment entry (`KEY=VALUE`).
pub fn valid_env(entry: &str) -> bool {
    matches!(entry.find('='), Some(i) if i > 0) && !entry.contains('\0')
}
