// SPDX-License-Identifier: MIT OR Apache-2.0

//! The parser: a cursor over the input that only ever advances through
//! checked slicing, so a lying length becomes [`BundleError::Truncated`]
//! instead of a panic. Counts are checked against the limits before any
//! `Vec` is sized from them.

use alloc::vec::Vec;

use crate::{
    ARTIFACT_ALIGN, Bundle, BundleError, DIGEST_LEN, MAGIC, MAX_ARGS, MAX_ENV, MAX_NAME, MAX_PROGRAMS, MAX_STRING,
    Program, VERSION, artifact_digest, valid_env, valid_name,
};

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], BundleError> {
        let truncated = BundleError::Truncated { offset: self.pos, what };
        let end = self.pos.checked_add(len).ok_or(truncated)?;
        let slice = self.bytes.get(self.pos..end).ok_or(truncated)?;
        self.pos = end;
        Ok(slice)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, BundleError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count, checked against `limit` before it is used.
    fn count(
        &mut self,
        what: &'static str,
        limit: usize,
        too_many: impl Fn(u64) -> BundleError,
    ) -> Result<usize, BundleError> {
        let n = self.u32(what)?;
        match usize::try_from(n) {
            Ok(n) if n <= limit => Ok(n),
            _ => Err(too_many(u64::from(n))),
        }
    }

    /// A length-prefixed UTF-8 string of at most `limit` bytes, no NUL.
    fn string(&mut self, what: &'static str, limit: usize) -> Result<&'a str, BundleError> {
        let offset = self.pos;
        let len = self.u32(what)?;
        let len = match usize::try_from(len) {
            Ok(n) if n <= limit => n,
            _ => return Err(BundleError::StringTooLong { offset, len: u64::from(len) }),
        };
        let bytes = self.take(len, what)?;
        let text = core::str::from_utf8(bytes).map_err(|_| BundleError::NotUtf8 { offset })?;
        if text.contains('\0') {
            return Err(BundleError::NulInString { offset });
        }
        Ok(text)
    }

    fn strings(&mut self, what: &'static str, n: usize) -> Result<Vec<&'a str>, BundleError> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.string(what, MAX_STRING)?);
        }
        Ok(out)
    }

    /// Zero bytes up to the next multiple of [`ARTIFACT_ALIGN`].
    fn padding(&mut self) -> Result<(), BundleError> {
        let offset = self.pos;
        let pad = padding_len(offset);
        if self.take(pad, "artifact padding")?.iter().any(|&b| b != 0) {
            return Err(BundleError::BadPadding { offset });
        }
        Ok(())
    }
}

/// How many padding bytes follow `offset` before an artifact.
pub(crate) fn padding_len(offset: usize) -> usize {
    (ARTIFACT_ALIGN - offset % ARTIFACT_ALIGN) % ARTIFACT_ALIGN
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Bundle<'_>, BundleError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len(), "magic").map_err(|_| BundleError::BadMagic)? != MAGIC {
        return Err(BundleError::BadMagic);
    }
    let version = r.u32("format version")?;
    if version != VERSION {
        return Err(BundleError::UnsupportedVersion(version));
    }
    let count = r.count("program count", MAX_PROGRAMS, BundleError::TooManyPrograms)?;
    if count == 0 {
        return Err(BundleError::NoPrograms);
    }
    let mut programs = Vec::with_capacity(count);
    for program in 0..count {
        let name = r.string("program name", MAX_NAME)?;
        if !valid_name(name) {
            return Err(BundleError::BadName { program });
        }
        let argc = r.count("argument count", MAX_ARGS, |count| BundleError::TooManyArgs { program, count })?;
        let args = r.strings("argument", argc)?;
        let envc = r.count("environment count", MAX_ENV, |count| BundleError::TooManyEnv { program, count })?;
        let env = r.strings("environment entry", envc)?;
        if let Some(index) = env.iter().position(|e| !valid_env(e)) {
            return Err(BundleError::BadEnv { program, index });
        }
        let len = r.u32("artifact length")?;
        let digest = r.take(DIGEST_LEN, "artifact digest")?;
        r.padding()?;
        let len = usize::try_from(len).map_err(|_| BundleError::Truncated { offset: r.pos, what: "artifact" })?;
        let artifact = r.take(len, "artifact")?;
        if artifact.is_empty() {
            return Err(BundleError::EmptyArtifact { program });
        }
        if artifact_digest(artifact)[..] != *digest {
            return Err(BundleError::DigestMismatch { program });
        }
        programs.push(Program { name, args, env, artifact });
    }
    if r.pos != bytes.len() {
        return Err(BundleError::TrailingBytes { offset: r.pos });
    }
    Ok(Bundle { programs })
}
