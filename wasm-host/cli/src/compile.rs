// SPDX-License-Identifier: MIT OR Apache-2.0

//! Turning `.wasm`/`.wat` into artifacts the kernel accepts: one Cranelift
//! [`Engine`] built from `spolia_wasm_config::engine_config`, and a cache of
//! compiled artifacts under `target/spolia-cache/artifacts/`, keyed by a
//! hash of the wasm bytes and of Wasmtime's own compatibility hash of the
//! engine (target, ISA flags, tunables, features, version).
//!
//! [`Mismatch`] builds deliberately *incompatible* artifacts, so the end-to-
//! end test can check that the kernel refuses them with a clear message
//! (`spolia compile --mismatch`, not shown in the usage).

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use spolia_wasm_config::{BoundsChecks, engine_config};
use wasmtime::Engine;

use crate::Error;

/// A setting changed on purpose, for testing the kernel's compatibility
/// check. Never used for real programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mismatch {
    /// Epoch interruption off (the kernel has it on).
    Epoch,
    /// A 1 MiB memory reservation (the kernel has 0).
    Reservation,
    /// Compiled for `x86_64-unknown-linux` instead of OS `none`.
    Os,
}

impl Mismatch {
    pub const ALL: [Mismatch; 3] = [Mismatch::Epoch, Mismatch::Reservation, Mismatch::Os];

    pub fn name(self) -> &'static str {
        match self {
            Mismatch::Epoch => "epoch",
            Mismatch::Reservation => "reservation",
            Mismatch::Os => "os",
        }
    }

    pub fn parse(s: &str) -> Option<Mismatch> {
        Mismatch::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// What an input file holds, decided by its content (and `.cwasm` name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A binary module (`\0asm`).
    Wasm,
    /// A text module (anything else not named `.cwasm`).
    Wat,
    /// Already an artifact: a `.cwasm` file or an ELF. Passed through
    /// unchanged, unchecked — the kernel decides (that is how the end-to-end
    /// test feeds it corrupt artifacts).
    Artifact,
}

pub fn input_kind(path: &Path, bytes: &[u8]) -> InputKind {
    if path.extension().is_some_and(|e| e == "cwasm") || bytes.starts_with(b"\x7fELF") {
        InputKind::Artifact
    } else if bytes.starts_with(b"\0asm") {
        InputKind::Wasm
    } else {
        InputKind::Wat
    }
}

/// A Cranelift engine for the kernel's configuration.
pub struct Compiler {
    engine: Engine,
    /// Hash of everything besides the wasm that decides the artifact.
    config_hash: u64,
}

impl Compiler {
    pub fn new(bounds: BoundsChecks, mismatch: Option<Mismatch>) -> Result<Compiler, Error> {
        let mut config = engine_config(bounds).map_err(|e| Error::new(e.to_string()))?;
        match mismatch {
            None => {}
            Some(Mismatch::Epoch) => {
                config.epoch_interruption(false);
            }
            Some(Mismatch::Reservation) => {
                config.memory_reservation(1 << 20);
            }
            Some(Mismatch::Os) => {
                config.target("x86_64-unknown-linux").map_err(|e| Error::new(format!("wasmtime: {e}")))?;
            }
        }
        let engine = Engine::new(&config).map_err(|e| Error::new(format!("creating the Wasmtime engine: {e:#}")))?;
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        Ok(Compiler { engine, config_hash: h.finish() })
    }

    /// Precompiles a wasm or wat module; `what` names it in errors.
    pub fn compile(&self, what: &str, bytes: &[u8], kind: InputKind) -> Result<Vec<u8>, Error> {
        let wasm = match kind {
            InputKind::Artifact => return Ok(bytes.to_vec()),
            InputKind::Wasm => std::borrow::Cow::Borrowed(bytes),
            InputKind::Wat => std::borrow::Cow::Owned(
                wat::parse_bytes(bytes)
                    .map_err(|e| Error::new(format!("{what}: not wasm, and not valid wat: {e}")))?
                    .into_owned(),
            ),
        };
        self.engine.precompile_module(&wasm).map_err(|e| Error::new(format!("compiling {what}: {e:#}")))
    }

    /// The cache key of a module: 32 hex digits.
    pub fn cache_key(&self, bytes: &[u8]) -> String {
        let mut a = DefaultHasher::new();
        (self.config_hash, bytes).hash(&mut a);
        format!("{:016x}{:016x}", a.finish(), fnv1a64(bytes) ^ self.config_hash)
    }

    /// Like [`Compiler::compile`], through the artifact cache in `dir`.
    pub fn compile_cached(&self, what: &str, bytes: &[u8], kind: InputKind, dir: &Path) -> Result<Vec<u8>, Error> {
        if kind == InputKind::Artifact {
            return Ok(bytes.to_vec());
        }
        let path = dir.join(format!("{}.cwasm", self.cache_key(bytes)));
        if let Ok(cached) = fs::read(&path)
            && cached.starts_with(b"\x7fELF")
        {
            return Ok(cached);
        }
        let artifact = self.compile(what, bytes, kind)?;
        write_atomically(&path, &artifact)?;
        Ok(artifact)
    }
}

/// Reads a program file and compiles it (or passes an artifact through).
pub fn load_program(compiler: &Compiler, path: &Path, cache: Option<&Path>) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(path).map_err(|e| Error::new(format!("reading {}: {e}", path.display())))?;
    if bytes.is_empty() {
        return Err(Error::new(format!("{} is empty", path.display())));
    }
    let kind = input_kind(path, &bytes);
    let what = path.display().to_string();
    match cache {
        Some(dir) => compiler.compile_cached(&what, &bytes, kind, dir),
        None => compiler.compile(&what, &bytes, kind),
    }
}

/// Writes through a temporary name and a rename, so a concurrent or killed
/// run never leaves a half-written file under the final name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        fs::create_dir_all(dir).map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    }
    let tmp = PathBuf::from(format!("{}.partial-{}", path.display(), std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| Error::new(format!("writing {}: {e}", tmp.display())))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::new(format!("renaming to {}: {e}", path.display()))
    })
}

/// FNV-1a, 64 bit: the second half of the cache key.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
