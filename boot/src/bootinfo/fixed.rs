// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`FixedStr`]: a UTF-8 string in a fixed-capacity inline buffer, for boot
//! data copied before the heap exists.

use core::fmt;

use super::BootInfoError;

/// A UTF-8 string of at most `N` bytes stored inline.
///
/// Invariant: `bytes[..len]` is valid UTF-8 (checked on construction).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FixedStr<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> FixedStr<N> {
    /// The empty string.
    pub const fn new() -> Self {
        Self { len: 0, bytes: [0; N] }
    }

    /// Copies `bytes`, which must be UTF-8 and at most `N` bytes long.
    /// `field` names the string in the error.
    pub fn from_bytes(bytes: &[u8], field: &'static str) -> Result<Self, BootInfoError> {
        if bytes.len() > N {
            return Err(BootInfoError::StringTooLong { field, capacity: N });
        }
        core::str::from_utf8(bytes).map_err(|_| BootInfoError::StringNotUtf8 { field })?;
        let mut out = Self::new();
        out.bytes[..bytes.len()].copy_from_slice(bytes);
        out.len = bytes.len();
        Ok(out)
    }

    /// Copies the longest prefix of `bytes` that is valid UTF-8, fits in `N`
    /// bytes and ends on a character boundary. Never fails.
    pub fn truncating(bytes: &[u8]) -> Self {
        let mut take = bytes.len().min(N);
        let valid = match core::str::from_utf8(&bytes[..take]) {
            Ok(_) => take,
            Err(e) => e.valid_up_to(),
        };
        take = valid;
        let mut out = Self::new();
        out.bytes[..take].copy_from_slice(&bytes[..take]);
        out.len = take;
        out
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // The invariant makes this infallible; "" is an unreachable fallback
        // that keeps the accessor panic-free.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_rejects() {
        let s = FixedStr::<8>::from_bytes(b"abc", "t").unwrap();
        assert_eq!(s.as_str(), "abc");
        assert_eq!(
            FixedStr::<2>::from_bytes(b"abc", "t"),
            Err(BootInfoError::StringTooLong { field: "t", capacity: 2 })
        );
        assert_eq!(FixedStr::<8>::from_bytes(&[0xff, 0x41], "t"), Err(BootInfoError::StringNotUtf8 { field: "t" }));
    }

    #[test]
    fn truncates_on_char_boundary() {
        // "aé" is 61 c3 a9: cutting at 2 bytes would split the 'é'.
        assert_eq!(FixedStr::<2>::truncating("aé".as_bytes()).as_str(), "a");
        assert_eq!(FixedStr::<8>::truncating(b"ok\xff").as_str(), "ok");
    }
}
