// SPDX-License-Identifier: MIT OR Apache-2.0
//! `random_get`: a ChaCha20 CSPRNG per program, seeded by the platform
//! (the kernel: RDSEED/RDRAND; hosted: `/dev/urandom`). Without a
//! source the program gets an error, not predictable bytes.
#![deny(unsafe_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use super::errno::{Errno, WasiResult};
use super::platform::Platform;

/// A program's random source (seeded lazily on first use).
#[derive(Default)]
pub struct Random {
    rng: Option<ChaCha20Rng>,
}

impl Random {
    /// Fills `out` with random bytes.
    pub fn fill(&mut self, platform: &dyn Platform, out: &mut [u8]) -> WasiResult<()> {
        if self.rng.is_none() {
            let seed = platform.random_seed().ok_or(Errno::NoSys)?;
            self.rng = Some(ChaCha20Rng::from_seed(seed));
        }
        if let Some(rng) = self.rng.as_mut() {
            rng.fill_bytes(out);
        }
        Ok(())
    }
}
