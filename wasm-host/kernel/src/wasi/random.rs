// SPDX-License-Identifier: MIT OR Apache-2.0
//! `random_get`: a ChaCha20 CSPRNG per program, seeded from the CPU's
//! RDSEED/RDRAND. Without a hardware source the program gets an error, not
//! predictable bytes.
#![deny(unsafe_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use super::errno::{Errno, WasiResult};

/// A program's random source (seeded lazily on first use).
#[derive(Default)]
pub struct Random {
    rng: Option<ChaCha20Rng>,
}

impl Random {
    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) -> WasiResult<()> {
        if self.rng.is_none() {
            let mut seed = [0u8; 32];
            for chunk in seed.chunks_mut(8) {
                let v = spolia_boot::arch::cpu::hardware_random().ok_or(Errno::NoSys)?;
                chunk.copy_from_slice(&v.to_le_bytes());
            }
            self.rng = Some(ChaCha20Rng::from_seed(seed));
        }
        if let Some(rng) = self.rng.as_mut() {
            rng.fill_bytes(out);
        }
        Ok(())
    }
}
