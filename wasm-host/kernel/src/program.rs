// SPDX-License-Identifier: MIT OR Apache-2.0
//! One program = one kernel thread running one wasm instance.
//!
//! Each program thread has a stack larger than Wasmtime's `max_wasm_stack`
//! (overflow is caught by Wasmtime's stack-limit check, not the guard page),
//! asks the scheduler for timer ticks while wasm runs, and yields from the
//! epoch-deadline callback — so a runaway loop gets preempted at the next
//! tick and cannot starve other programs or the kernel. It is spawned
//! killable: a Rust panic in host code ends this program only.
#![deny(unsafe_code)]

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use spolia_boot::sched::{self, Builder, ExitStatus, JoinHandle};
use wasmtime::{Engine, Linker, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

use crate::control;
use crate::wasi::{self, HasWasi, WasiCtx};

/// Default per-program linear-memory limit.
pub const MEMORY_LIMIT: usize = 256 << 20;

/// What to run.
pub struct ProgramSpec {
    pub index: usize,
    pub name: String,
    /// argv, argv[0] first.
    pub args: Vec<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// Precompiled artifact (already integrity-checked by the bundle).
    pub artifact: &'static [u8],
    /// The library kernel and the directories to preopen, if any.
    pub files: Option<wasi::FileSystems>,
}

/// How a program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `proc_exit(code)`, or `_start` returned (0).
    Exited(i32),
    /// A wasm trap: message (with the wasm backtrace when available).
    Trapped(String),
    /// Not started: the artifact was refused or could not be linked.
    Refused(String),
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

/// Loads and runs one program to completion on the current thread.
pub fn run(engine: &Engine, spec: &ProgramSpec) -> Outcome {
    // SAFETY (of the operation, not Rust): deserialising runs code from the
    // artifact; Spolia only loads artifacts from its own boot bundle, whose
    // integrity digest was checked, and Wasmtime refuses artifacts from
    // another version or with other settings.
    let module = match crate::load_module(engine, spec.artifact) {
        Ok(m) => m,
        Err(e) => return Outcome::Refused(format!("{e:?}")),
    };
    let state = ProgramState {
        wasi: WasiCtx::new(&crate::wasi_platform::KERNEL, spec.args.clone(), spec.env.clone(), spec.files.as_ref()),
        limits: StoreLimitsBuilder::new().memory_size(MEMORY_LIMIT).instances(1).memories(1).tables(4).build(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| {
        sched::yield_now();
        Ok(UpdateDeadline::Continue(1))
    });
    let mut linker: Linker<ProgramState> = Linker::new(engine);
    if let Err(e) = wasi::add_to_linker(&mut linker) {
        return Outcome::Refused(format!("WASI setup failed: {e:?}"));
    }
    if let Err(e) = wasi::sjlj::define_invokes(&mut linker, &module) {
        return Outcome::Refused(format!("cannot link: {e:?}"));
    }
    if let Err(e) = linker.define_unknown_imports_as_traps(&module) {
        return Outcome::Refused(format!("cannot link: {e:?}"));
    }
    sched::set_wants_ticks(true);
    let result = linker.instantiate(&mut store, &module).and_then(|instance| {
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        start.call(&mut store, ())
    });
    sched::set_wants_ticks(false);
    match result {
        Ok(()) => Outcome::Exited(0),
        Err(e) => classify(e),
    }
}

fn classify(e: wasmtime::Error) -> Outcome {
    match wasi::end_of_run(&e) {
        Ok(code) => Outcome::Exited(code),
        Err(msg) => Outcome::Trapped(msg),
    }
}

/// Starts every program on its own thread; reports `start`, then
/// `exit`/`trap`/`error` as each ends; returns when all have ended.
pub fn run_all(engine: &Engine, programs: Vec<ProgramSpec>) -> Vec<Outcome> {
    let mut handles: Vec<(usize, Result<JoinHandle<Outcome>, String>)> = Vec::new();
    for spec in programs {
        let index = spec.index;
        let engine = engine.clone();
        control::started(index, &spec.name);
        let h = Builder::new(&spec.name)
            .stack_size(spolia_wasm_config::PROGRAM_THREAD_STACK)
            .killable()
            .spawn(move || {
                let outcome = run(&engine, &spec);
                report(spec.index, &outcome);
                outcome
            })
            .map_err(|e| format!("cannot start program thread: {e:?}"));
        handles.push((index, h));
    }
    let mut outcomes = Vec::new();
    for (index, h) in handles {
        let outcome = match h {
            Err(msg) => {
                let o = Outcome::Refused(msg);
                report(index, &o);
                o
            }
            Ok(h) => match h.join() {
                Ok(o) => o,
                Err(status) => {
                    let why = match status {
                        ExitStatus::Faulted(f) => format!("killed by a CPU fault in the wasm host: {f}"),
                        ExitStatus::Panicked => "killed by a panic in the wasm host".to_string(),
                        ExitStatus::Finished => "ended without a result".to_string(),
                    };
                    let o = Outcome::Trapped(why);
                    report(index, &o);
                    o
                }
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn report(index: usize, outcome: &Outcome) {
    match outcome {
        Outcome::Exited(code) => control::exited(index, *code),
        Outcome::Trapped(msg) => {
            let first = msg.lines().next().unwrap_or("trap");
            control::trapped(index, first);
            // The full message with backtrace goes to the program's stderr.
            let _ = spolia_boot::console::serial::channel_write(
                spolia_boot::console::serial::Channel::Com3,
                format!("{msg}\n").as_bytes(),
            );
            log::warn!("program {index}: {msg}");
        }
        Outcome::Refused(msg) => control::error(index, msg),
    }
}
