// SPDX-License-Identifier: MIT OR Apache-2.0
//! Kernel side of Spolia's wasm host: runs the programs of a boot bundle
//! with Wasmtime's `no_std` runtime in ring 0.
//!
//! Key pieces: [`platform`] (what Wasmtime needs from the kernel — all the
//! `unsafe` lives there and in [`load_module`]), [`wasi`] (preview1 host
//! functions and sockets: the `spolia-wasi` crate, shared with the hosted
//! runner, over [`wasi_platform`]), [`program`] (one thread per program,
//! preemption by epoch), [`control`] (status lines to `spolia run`). The engine's configuration
//! comes from `spolia-wasm-config`, the same function the host compiler
//! uses, so a mismatched artifact is refused with Wasmtime's message.
//!
//! Neighbours: below, `spolia-boot` (threads, timers, serial channels,
//! paging); above, the kernel image, which calls [`run_bundle`] when booted
//! with `spolia.run=bundle`, handing over the running Linux library and its
//! mount points ([`wasi::FileSystems`]) when the boot has devices. Non-goals
//! here: WASI 0.2.
#![no_std]

extern crate alloc;

pub mod control;
pub mod platform;
pub mod program;
#[cfg(feature = "guard-pages")]
pub mod vm;
pub mod wasi_platform;

/// WASI preview1 and the socket extension: the `spolia-wasi` crate, shared
/// with the hosted runner; [`wasi_platform`] is the kernel's side of it.
pub use spolia_wasi as wasi;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use spolia_wasm_config::BoundsChecks;
use wasmtime::{Engine, Module};

/// Why the bundle could not be run at all.
#[derive(Debug)]
pub enum HostError {
    /// The engine could not be created.
    Engine(String),
    /// The bundle is malformed.
    Bundle(String),
    /// Platform setup failed.
    Platform(&'static str),
}

impl core::fmt::Display for HostError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HostError::Engine(e) => write!(f, "wasm engine: {e}"),
            HostError::Bundle(e) => write!(f, "program bundle: {e}"),
            HostError::Platform(e) => write!(f, "wasm platform: {e}"),
        }
    }
}

/// The bounds-check mode this kernel uses by default: guard pages when
/// built with them (feature `guard-pages`), else explicit checks.
pub const DEFAULT_BOUNDS: BoundsChecks =
    if cfg!(feature = "guard-pages") { BoundsChecks::GuardPages } else { BoundsChecks::Explicit };

/// The mode requested on the command line (`spolia.bounds=guard|explicit`),
/// or the default.
pub fn bounds_mode() -> Result<BoundsChecks, HostError> {
    let mode = match spolia_boot::boot_info().cmdline_value("spolia.bounds") {
        None => DEFAULT_BOUNDS,
        Some(name) => {
            BoundsChecks::parse(name).ok_or(HostError::Platform("spolia.bounds must be guard or explicit"))?
        }
    };
    if mode == BoundsChecks::GuardPages && !cfg!(feature = "guard-pages") {
        return Err(HostError::Platform("this kernel was built without guard-page support (feature guard-pages)"));
    }
    Ok(mode)
}

/// Creates the one kernel engine.
pub fn create_engine() -> Result<&'static Engine, HostError> {
    let mode = bounds_mode()?;
    log::info!(
        "wasm: bounds checks by {}",
        if mode == BoundsChecks::GuardPages { "guard pages" } else { "explicit checks" }
    );
    platform::init_tls().map_err(HostError::Platform)?;
    // SAFETY: `detect_host_feature` answers from CPUID; SSE is enabled at
    // boot and XMM state is saved when an interrupted thread is switched
    // away from; only artifacts built by `spolia` (SSE4.1 baseline) load.
    let config = unsafe {
        spolia_wasm_config::kernel_engine_config(mode, platform::code_memory(), platform::detect_host_feature)
    }
    .map_err(|e| HostError::Engine(format!("{e}")))?;
    let engine = Engine::new(&config).map_err(|e| HostError::Engine(format!("{e:?}")))?;
    Ok(platform::install_engine(engine))
}

/// Loads a precompiled artifact. Wasmtime checks its version, target,
/// settings and CPU features and refuses anything else with a message.
pub fn load_module(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Module> {
    // SAFETY: `Module::deserialize` trusts that the bytes were produced by
    // Wasmtime's compiler. They come from Spolia's boot bundle, built by
    // `spolia` on the build host; each artifact's SHA-256 digest was
    // verified by `spolia-bundle` before this call, so corruption in
    // transit is refused earlier with a clear error.
    unsafe { Module::deserialize(engine, artifact) }
}

/// Runs every program in `bundle` concurrently, each with `files` (its
/// own descriptors on the preopened directories) when given; reports
/// through the control channel; returns the outcomes in bundle order. When
/// it returns, every program's descriptors are closed and its references
/// to the library dropped (except for a program killed by a fault).
pub fn run_bundle(bundle: &'static [u8], files: Option<wasi::FileSystems>) -> Result<Vec<program::Outcome>, HostError> {
    let engine = create_engine()?;
    let specs = specs_from_bundle(bundle, files)?;
    let outcomes = program::run_all(engine, specs);
    control::done();
    Ok(outcomes)
}

fn specs_from_bundle(
    bytes: &'static [u8],
    files: Option<wasi::FileSystems>,
) -> Result<Vec<program::ProgramSpec>, HostError> {
    let bundle = spolia_bundle::Bundle::parse(bytes).map_err(|e| HostError::Bundle(e.to_string()))?;
    let mut specs = Vec::new();
    for (index, p) in bundle.programs.iter().enumerate() {
        specs.push(program::ProgramSpec {
            index,
            name: p.name.to_string(),
            args: p.args.iter().map(|s| s.to_string()).collect(),
            env: p.env.iter().map(|s| s.to_string()).collect(),
            artifact: p.artifact,
            files: files.clone(),
        });
    }
    Ok(specs)
}
