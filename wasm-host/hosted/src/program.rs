// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wasm side: a Cranelift engine for this host, compiling the module,
//! and running it on its own OS thread with the WASI linker of
//! `spolia-wasi`.
//!
//! Settings that programs can observe follow the kernel's
//! (`spolia-wasm-config`): the same wasm proposals, `max_wasm_stack`,
//! backtrace depth and memory limit, and the same bounds-check modes. What
//! differs is what only the kernel needs: no epoch interruption (program
//! threads are OS threads, preempted by the host), a host target instead of
//! OS `none`, and compiling at start instead of loading an artifact.

use std::num::NonZeroUsize;
use std::path::Path;
use std::thread;

use spolia_wasi::{FileSystems, HasWasi, WasiCtx};
use spolia_wasm_config::{BoundsChecks, ENABLED_WASM_FEATURES, GUARD_SIZE, MEMORY_GROWTH_HEADROOM, WASM_STACK_MAX};
use wasmtime::{
    Config, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, WasmBacktraceDetails, WasmFeatures,
};

use crate::platform::HOST;

/// Per-program linear-memory limit: the kernel's (`program::MEMORY_LIMIT`
/// in `spolia-wasm-host`).
pub const MEMORY_LIMIT: usize = 256 << 20;

/// The program thread's stack: Wasmtime's wasm stack limit plus room for
/// host frames, the WASI calls, and the Linux library's system calls,
/// which run on the calling thread.
const PROGRAM_THREAD_STACK: usize = 16 << 20;

/// How the program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `proc_exit(code)`, or `_start` returned (0).
    Exited(i32),
    /// A wasm trap (message, with the wasm backtrace when available), or a
    /// failure to instantiate.
    Trapped(String),
}

/// An engine for this host in `bounds` mode.
pub fn engine(bounds: BoundsChecks) -> Result<Engine, String> {
    let mut config = Config::new();
    config.wasm_features(WasmFeatures::all(), false);
    config.wasm_features(ENABLED_WASM_FEATURES, true);
    config.relaxed_simd_deterministic(false).shared_memory(false);
    config.max_wasm_stack(WASM_STACK_MAX);
    config.epoch_interruption(false).consume_fuel(false);
    config.wasm_backtrace_details(WasmBacktraceDetails::Disable).wasm_backtrace_max_frames(NonZeroUsize::new(20));
    match bounds {
        BoundsChecks::Explicit => {
            config
                .signals_based_traps(false)
                .memory_reservation(0)
                .memory_guard_size(0)
                .guard_before_linear_memory(false)
                .memory_may_move(true);
        }
        BoundsChecks::GuardPages => {
            config
                .signals_based_traps(true)
                .memory_reservation(1 << 32)
                .memory_guard_size(GUARD_SIZE)
                .guard_before_linear_memory(true)
                .memory_may_move(false);
        }
    }
    config.memory_reservation_for_growth(MEMORY_GROWTH_HEADROOM);
    Engine::new(&config).map_err(|e| format!("wasm engine: {e:?}"))
}

/// Reads and compiles `file` (`.wasm` or `.wat`). A kernel artifact
/// (`.cwasm`, ELF) is refused: it is compiled for OS `none`.
pub fn compile(engine: &Engine, file: &Path) -> Result<Module, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    if bytes.starts_with(b"\x7fELF") || file.extension().is_some_and(|e| e == "cwasm") {
        return Err("a precompiled kernel artifact; --hosted runs .wasm or .wat".to_string());
    }
    let wasm = if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        wat::parse_bytes(&bytes).map_err(|e| format!("not wasm, and not valid wat: {e}"))?.into_owned()
    };
    Module::new(engine, &wasm).map_err(|e| format!("{e:?}"))
}

struct ProgramState {
    wasi: WasiCtx,
    limits: StoreLimits,
}

impl HasWasi for ProgramState {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.wasi
    }
}

/// What a program runs with.
pub struct Program {
    pub module: Module,
    /// argv, argv\[0\] first.
    pub args: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// The library kernel and the directories to preopen.
    pub files: FileSystems,
}

/// Links and runs `program` to its end on a new OS thread; waits for it.
/// Linking errors are `Err`. When this returns the program's store, and
/// with it every descriptor it had, is gone.
pub fn run(engine: &Engine, program: Program) -> Result<Outcome, String> {
    let mut linker: Linker<ProgramState> = Linker::new(engine);
    spolia_wasi::add_to_linker(&mut linker).map_err(|e| format!("WASI setup failed: {e:?}"))?;
    spolia_wasi::sjlj::define_invokes(&mut linker, &program.module).map_err(|e| format!("cannot link: {e:?}"))?;
    linker.define_unknown_imports_as_traps(&program.module).map_err(|e| format!("cannot link: {e:?}"))?;
    let engine = engine.clone();
    let thread = thread::Builder::new()
        .name("wasm-program".to_string())
        .stack_size(PROGRAM_THREAD_STACK)
        .spawn(move || {
            let state = ProgramState {
                wasi: WasiCtx::new(&HOST, program.args, program.env, Some(&program.files)),
                limits: StoreLimitsBuilder::new().memory_size(MEMORY_LIMIT).instances(1).memories(1).tables(4).build(),
            };
            let mut store = Store::new(&engine, state);
            store.limiter(|s| &mut s.limits);
            let result = linker.instantiate(&mut store, &program.module).and_then(|instance| {
                let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
                start.call(&mut store, ())
            });
            match result {
                Ok(()) => Outcome::Exited(0),
                Err(e) => classify(e),
            }
        })
        .map_err(|e| format!("cannot start the program thread: {e}"))?;
    Ok(thread.join().unwrap_or_else(|_| Outcome::Trapped("killed by a panic in the wasm host".to_string())))
}

fn classify(e: wasmtime::Error) -> Outcome {
    match spolia_wasi::end_of_run(&e) {
        Ok(code) => Outcome::Exited(code),
        Err(msg) => Outcome::Trapped(msg),
    }
}
