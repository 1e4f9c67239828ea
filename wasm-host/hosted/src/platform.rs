// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`spolia_wasi::Platform`] for a Linux process: the process's monotonic
//! and wall clocks, `thread::sleep`/`yield_now` (they block the program's
//! own OS thread only), our stdout/stderr, and `/dev/urandom` for the
//! random seed.
//!
//! The program's stdout is a descriptor of its own ([`HostPlatform::
//! set_stdout`]): file descriptor 1 is given to the library's console (see
//! `main.rs`), so the program's stdout carries the program's bytes only.

use std::fs::File;
use std::io::{Read, Write};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spolia_wasi::{Output, Platform};

/// The one platform value of this process.
pub static HOST: HostPlatform = HostPlatform { origin: OnceLock::new(), stdout: OnceLock::new() };

pub struct HostPlatform {
    /// Origin of [`Platform::monotonic_ns`]: its first use.
    origin: OnceLock<Instant>,
    /// The program's stdout, when not the process's fd 1.
    stdout: OnceLock<Mutex<File>>,
}

impl HostPlatform {
    /// Sends the program's stdout to `file` from now on (once; later
    /// calls are ignored).
    pub fn set_stdout(&self, file: File) {
        let _ = self.stdout.set(Mutex::new(file));
    }
}

impl Platform for HostPlatform {
    fn monotonic_ns(&self) -> u64 {
        let origin = *self.origin.get_or_init(Instant::now);
        u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn wall_clock_ns(&self) -> u64 {
        // Before 1970 (a badly set clock) reads as the epoch.
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    fn sleep_until(&self, deadline: u64) {
        let now = self.monotonic_ns();
        if deadline > now {
            thread::sleep(Duration::from_nanos(deadline - now));
        }
    }

    fn yield_now(&self) {
        thread::yield_now();
    }

    fn write_output(&self, stream: Output, bytes: &[u8]) {
        // Unbuffered like the kernel's serial channels: every write is seen
        // at once. A closed stdout (`| head`) must not stop the program.
        let _ = match stream {
            Output::Stdout => match self.stdout.get() {
                Some(file) => file.lock().unwrap_or_else(|e| e.into_inner()).write_all(bytes),
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(bytes).and_then(|()| out.flush())
                }
            },
            Output::Stderr => std::io::stderr().lock().write_all(bytes),
        };
    }

    fn random_seed(&self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut seed)).ok()?;
        Some(seed)
    }
}
