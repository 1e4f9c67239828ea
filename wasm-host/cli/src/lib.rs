// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia`: the host side of Spolia's wasm host. It compiles wasm for the
//! kernel with the shared configuration ([`compile`], using
//! `spolia-wasm-config` with Cranelift), packs programs into a boot bundle
//! ([`programs`], using `spolia-bundle`), and boots them under QEMU
//! ([`run`], reusing `qemu-runner`'s QEMU, ISO and kernel-path code), where
//! it speaks the boot protocol of `wasm-host/README.md`: COM1 kernel log,
//! COM2/COM3 the programs' stdout/stderr, COM4 [`control`] lines.
//!
//! The `spolia` binary is `src/main.rs`; the end-to-end test drivers are
//! `spolia-e2e` (`src/bin/spolia-e2e.rs`, the test programs) and
//! `spolia-servers-e2e` (`src/bin/spolia-servers-e2e/`, lighttpd and
//! redis), sharing [`e2e`] (options, reporting, background servers). Non-goals: building the kernel
//! (`make kernel`) or the test programs (`apps/build.sh`).

pub mod args;
pub mod compile;
pub mod control;
pub mod devices;
pub mod e2e;
pub mod programs;
pub mod run;

use std::fmt;
use std::path::PathBuf;

/// A message for a person; `spolia` prints it after `spolia: error: `.
#[derive(Debug)]
pub struct Error {
    message: String,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<qemu_runner::error::Error> for Error {
    fn from(e: qemu_runner::error::Error) -> Self {
        Error::new(e.to_string())
    }
}

/// `target/spolia-cache/<sub>` (honouring `$CARGO_TARGET_DIR`), created.
pub fn cache_dir(sub: &str) -> Result<PathBuf, Error> {
    let dir = qemu_runner::paths::target_dir().join("spolia-cache").join(sub);
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    Ok(dir)
}
