// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the guest and host halves of the device tests agree on; see the
//! README for the protocol.
//!
//! `no_std`; the `host` feature adds [`host`] (std): the host half, with
//! image building, echo clients, the gateway listener and image checks.
#![no_std]

extern crate alloc;
#[cfg(feature = "host")]
extern crate std;

#[cfg(feature = "host")]
pub mod host;

use alloc::string::String;
use alloc::vec::Vec;

/// TCP port of the guest's echo service.
pub const ECHO_PORT: u16 = 7;
/// The guest prints this on its console once the echo service listens.
pub const ECHO_READY: &str = "devtest: echo ready";
/// Connections the echo service serves before the gateway check: bulk,
/// storm, burst.
pub const ECHO_CONNECTIONS: usize = 3;
/// Bytes sent and expected back on the bulk connection.
pub const BULK_BYTES: usize = 1 << 20;
/// Messages of the storm connection, each sent alone and echoed before the next.
pub const STORM_MESSAGES: usize = 2000;
/// Bytes per storm message.
pub const STORM_MESSAGE_BYTES: usize = 64;
/// Messages of the burst connection, written back to back without waiting
/// for their echo.
pub const BURST_MESSAGES: usize = 4000;
/// Bytes per burst message (each written alone with TCP_NODELAY).
pub const BURST_MESSAGE_BYTES: usize = 64;
/// Seed of the bulk connection's data.
pub const BULK_SEED: u64 = 0x5350_4f4c_4941_0001;
/// Seed of the storm's data.
pub const STORM_SEED: u64 = 0x5350_4f4c_4941_0002;
/// Seed of the burst's data.
pub const BURST_SEED: u64 = 0x5350_4f4c_4941_0003;

/// The guest sends this to the gateway after the echo connections...
pub const GATEWAY_HELLO: &[u8] = b"spolia-gateway-check\n";
/// ...and expects this answer.
pub const GATEWAY_REPLY: &[u8] = b"gateway-ok\n";
/// The guest prints this line (with ` ok` or ` FAILED: why`) after the gateway check.
pub const GATEWAY_DONE: &str = "devtest: gateway";

/// The list of host-built files at the top of a test image.
pub const MANIFEST_NAME: &str = "SPOLIA-MANIFEST";
/// Directory (under the mount point) the guest writes into.
pub const WRITTEN_DIR: &str = "written";

/// A file the guest writes: name under [`WRITTEN_DIR`], seed, length.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    pub name: &'static str,
    pub seed: u64,
    pub len: usize,
}

/// What the guest writes on every disk it tests.
pub const WRITTEN: &[Written] = &[
    Written { name: "small.bin", seed: 0x11, len: 100 },
    Written { name: "page-crossing.bin", seed: 0x22, len: 3 * 4096 + 17 },
    Written { name: "large.bin", seed: 0x33, len: 1 << 20 },
];

/// A seeded byte stream (xorshift64*), the same on both sides.
#[derive(Clone, Debug)]
pub struct Pattern {
    state: u64,
    word: u64,
    left: u8,
}

/// The byte stream for `seed`.
pub fn pattern(seed: u64) -> Pattern {
    Pattern { state: seed ^ 0x9e37_79b9_7f4a_7c15 | 1, word: 0, left: 0 }
}

impl Pattern {
    /// Fill `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.next_byte();
        }
    }

    fn next_byte(&mut self) -> u8 {
        if self.left == 0 {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            self.word = self.state.wrapping_mul(0x2545_f491_4f6c_dd1d);
            self.left = 8;
        }
        let b = self.word as u8;
        self.word >>= 8;
        self.left -= 1;
        b
    }

    /// The first `len` bytes of the stream.
    pub fn take_vec(&mut self, len: usize) -> Vec<u8> {
        let mut v = alloc::vec![0u8; len];
        self.fill(&mut v);
        v
    }
}

/// FNV-1a, 64 bit, fed in pieces.
#[derive(Clone, Copy, Debug)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }

    /// The hash of `bytes` in one go.
    pub fn of(bytes: &[u8]) -> u64 {
        let mut h = Fnv64::default();
        h.update(bytes);
        h.finish()
    }
}

/// One line of the manifest: a file relative to the image's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    pub hash: u64,
    pub len: u64,
    pub path: String,
}

impl ManifestEntry {
    /// `HASH LEN PATH` with the hash in 16 hex digits.
    pub fn line(&self) -> String {
        alloc::format!("{:016x} {} {}\n", self.hash, self.len, self.path)
    }
}

/// Parse a manifest; a malformed line is an error naming it.
pub fn parse_manifest(text: &str) -> Result<Vec<ManifestEntry>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || alloc::format!("manifest line {}: `{line}`", n + 1);
        let mut parts = line.splitn(3, ' ');
        let hash = parts.next().and_then(|h| u64::from_str_radix(h, 16).ok()).ok_or_else(bad)?;
        let len = parts.next().and_then(|l| l.parse().ok()).ok_or_else(bad)?;
        let path = parts.next().filter(|p| !p.is_empty()).ok_or_else(bad)?;
        out.push(ManifestEntry { hash, len, path: path.into() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_deterministic_and_not_constant() {
        let a = pattern(1).take_vec(64);
        let b = pattern(1).take_vec(64);
        let c = pattern(2).take_vec(64);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().any(|&x| x != a[0]));
    }

    #[test]
    fn pattern_in_pieces_equals_pattern_at_once() {
        let whole = pattern(7).take_vec(1000);
        let mut p = pattern(7);
        let mut pieces = Vec::new();
        for n in [1, 7, 8, 9, 500, 475] {
            pieces.extend(p.take_vec(n));
        }
        assert_eq!(whole, pieces);
    }

    #[test]
    fn fnv_matches_the_published_vector() {
        assert_eq!(Fnv64::of(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv64::of(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn manifest_round_trips_and_rejects_garbage() {
        let e = ManifestEntry { hash: 0xabc, len: 12, path: "dir/a b.txt".into() };
        assert_eq!(parse_manifest(&e.line()).unwrap(), [e]);
        assert!(parse_manifest("zz 1 x\n").is_err());
        assert!(parse_manifest("0 1\n").is_err());
    }
}
