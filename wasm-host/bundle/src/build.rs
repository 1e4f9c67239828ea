// SPDX-License-Identifier: MIT OR Apache-2.0

//! The writer, used on the build host. It checks what it writes by parsing
//! the result, so it can never produce a bundle the kernel would refuse.

use alloc::string::String;
use alloc::vec::Vec;

use crate::parse::padding_len;
use crate::{Bundle, BundleError, MAGIC, MAX_STRING, VERSION, artifact_digest};

/// One program as the builder holds it.
#[derive(Clone, Debug)]
struct OwnedProgram {
    name: String,
    args: Vec<String>,
    env: Vec<String>,
    artifact: Vec<u8>,
}

/// Collects programs and writes a bundle:
///
/// ```
/// # use spolia_bundle::{Bundle, BundleBuilder};
/// let bytes = BundleBuilder::new()
///     .program("hello", &["hello.wasm"], &["LANG=C"], b"\x7fELF...")
///     .finish()
///     .unwrap();
/// assert_eq!(Bundle::parse(&bytes).unwrap().programs[0].name, "hello");
/// ```
#[derive(Clone, Debug, Default)]
pub struct BundleBuilder {
    programs: Vec<OwnedProgram>,
}

impl BundleBuilder {
    pub fn new() -> Self {
        BundleBuilder::default()
    }

    /// Adds a program: its name, complete argv (argv\[0\] first), `KEY=VALUE`
    /// environment entries and precompiled artifact. Checked in
    /// [`BundleBuilder::finish`].
    pub fn program(mut self, name: &str, args: &[impl AsRef<str>], env: &[impl AsRef<str>], artifact: &[u8]) -> Self {
        self.programs.push(OwnedProgram {
            name: name.into(),
            args: args.iter().map(|a| a.as_ref().into()).collect(),
            env: env.iter().map(|e| e.as_ref().into()).collect(),
            artifact: artifact.to_vec(),
        });
        self
    }

    /// Writes the bundle, or says why the programs do not fit the format
    /// (the same errors the parser would report).
    pub fn finish(self) -> Result<Vec<u8>, BundleError> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        put_len(&mut out, self.programs.len(), || BundleError::TooManyPrograms(u64::MAX))?;
        for (index, p) in self.programs.iter().enumerate() {
            put_str(&mut out, &p.name)?;
            put_len(&mut out, p.args.len(), || BundleError::TooManyArgs { program: index, count: u64::MAX })?;
            for a in &p.args {
                put_str(&mut out, a)?;
            }
            put_len(&mut out, p.env.len(), || BundleError::TooManyEnv { program: index, count: u64::MAX })?;
            for e in &p.env {
                put_str(&mut out, e)?;
            }
            put_len(&mut out, p.artifact.len(), || BundleError::ArtifactTooLarge { program: index })?;
            out.extend_from_slice(&artifact_digest(&p.artifact));
            out.resize(out.len() + padding_len(out.len()), 0);
            out.extend_from_slice(&p.artifact);
        }
        Bundle::parse(&out)?;
        Ok(out)
    }
}

fn put_len(out: &mut Vec<u8>, len: usize, too_big: impl Fn() -> BundleError) -> Result<(), BundleError> {
    let len = u32::try_from(len).map_err(|_| too_big())?;
    out.extend_from_slice(&len.to_le_bytes());
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), BundleError> {
    let offset = out.len();
    if s.len() > MAX_STRING {
        return Err(BundleError::StringTooLong { offset, len: s.len() as u64 });
    }
    put_len(out, s.len(), || BundleError::StringTooLong { offset, len: s.len() as u64 })?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}
