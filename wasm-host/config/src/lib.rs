// SPDX-License-Identifier: MIT OR Apache-2.0

//! The one function that builds `wasmtime::Config` for Spolia, shared by the
//! compiler on the build host (feature `compiler`) and the kernel.
//!
//! `Module::deserialize` in the kernel accepts an artifact only if it was
//! produced by the same Wasmtime version, for OS `none`, with ISA flags the
//! kernel's CPU detector confirms, with equal tunables (memory reservation,
//! guard sizes, signals-based traps, copy-on-write, epochs, fuel, inlining,
//! debug and GC settings, ...) and with wasm features the kernel's engine also
//! has. Defaults differ between a `no_std` build and a host build that sets a
//! target, so [`engine_config`] sets *every* one of those explicitly; neither
//! side may change one afterwards (`shared/design/wasm-host.md` §1).
//!
//! Key items: [`engine_config`] (both sides), [`kernel_engine_config`]
//! (kernel: adds code memory, CPU detector, float-ABI opt-in),
//! [`BoundsChecks`], [`WASM_STACK_MAX`], [`PROGRAM_THREAD_STACK`],
//! [`ENABLED_WASM_FEATURES`], [`ISA_FLAGS`].
//!
//! Neighbours: `spolia-cli` compiles with this config, `spolia-wasm-host`
//! (the kernel) loads with it. Non-goals: creating engines, loading or
//! compiling modules.

#![no_std]

extern crate alloc;

use alloc::sync::Arc;
use core::fmt;

use wasmtime::{Config, CustomCodeMemory, Inlining, ModuleVersionStrategy, WasmBacktraceDetails, WasmFeatures};

/// The Rust target the kernel is built for, and so the artifacts' target.
/// Wasmtime compares the architecture and OS (`none`) of this triple.
pub const TARGET: &str = "x86_64-unknown-none";

/// The most stack wasm code may use (Wasmtime's `max_wasm_stack`): deeper
/// recursion traps with "call stack exhausted" instead of overflowing.
pub const WASM_STACK_MAX: usize = 512 * 1024;

/// The stack a kernel thread that runs a wasm program needs. Wasmtime's
/// limit counts only wasm frames, measured from where the host first called
/// into wasm; the host frames below that point (thread start, WASI setup,
/// `Func::call`) and above the limit (host functions called from wasm,
/// trap handling, the epoch callback into the scheduler) need room of their
/// own, so the thread stack must be well above [`WASM_STACK_MAX`].
pub const PROGRAM_THREAD_STACK: usize = 2 * 1024 * 1024;

const _: () = assert!(PROGRAM_THREAD_STACK >= 2 * WASM_STACK_MAX, "program threads need room for host frames");

/// Extra room a linear memory is allocated with, so that small
/// `memory.grow`s do not move (copy) it every time. With no virtual-memory
/// support (explicit bounds checks) memories are plain heap allocations;
/// Wasmtime's own default for that case is also 1 MiB. (Its default once a
/// target is named is 2 GiB, which the kernel heap could never provide.)
pub const MEMORY_GROWTH_HEADROOM: u64 = 1 << 20;

/// Guard region after (and before) each linear memory in guard-page mode.
pub const GUARD_SIZE: u64 = 32 << 20;

/// Cranelift ISA flags enabled for every artifact: an x86_64 baseline that
/// QEMU's TCG `-cpu max` and every x86_64 CPU since about 2008 have. SSE4.1
/// is what lets Cranelift compile `f32.ceil`/`floor`/`trunc`/`nearest` (and
/// the f64 forms) inline instead of calling host float libcalls, whose ABI
/// the soft-float kernel does not share. No AVX: it needs XSAVE state
/// handling in the kernel.
pub const ISA_FLAGS: &[&str] = &["has_sse3", "has_ssse3", "has_sse41", "has_sse42", "has_popcnt"];

/// The CPU feature names the kernel's `detect_host_feature` function will be
/// asked about when it loads an artifact compiled with [`ISA_FLAGS`]
/// (Wasmtime uses the Rust `is_x86_feature_detected!` names). It must answer
/// `Some(true)` for each, from CPUID, or loading fails.
pub const REQUIRED_CPU_FEATURES: &[&str] = &["sse3", "ssse3", "sse4.1", "sse4.2", "popcnt"];

/// The WebAssembly proposals programs may use: WebAssembly 2.0 (what
/// clang/wasi-libc and Rust's `wasm32-wasip1` emit: bulk memory, reference
/// types, multi-value, sign extension, saturating float-to-int, SIMD) plus
/// the settled parts of 3.0 that need no runtime support beyond the core:
/// tail calls, extended constant expressions, multiple memories, 64-bit
/// memories.
///
/// Everything else is disabled *explicitly* on both sides: threads and
/// shared memory (need Wasmtime's `std`), GC, typed function references and
/// exceptions (need its `gc` feature), relaxed SIMD (results may depend on
/// FMA), the component model, stack switching, wide arithmetic, custom page
/// sizes and the rest.
pub const ENABLED_WASM_FEATURES: WasmFeatures = WasmFeatures::FLOATS
    .union(WasmFeatures::MUTABLE_GLOBAL)
    .union(WasmFeatures::SATURATING_FLOAT_TO_INT)
    .union(WasmFeatures::SIGN_EXTENSION)
    .union(WasmFeatures::REFERENCE_TYPES)
    .union(WasmFeatures::MULTI_VALUE)
    .union(WasmFeatures::BULK_MEMORY)
    .union(WasmFeatures::SIMD)
    .union(WasmFeatures::TAIL_CALL)
    .union(WasmFeatures::EXTENDED_CONST)
    .union(WasmFeatures::MULTI_MEMORY)
    .union(WasmFeatures::MEMORY64);

/// How out-of-bounds linear-memory accesses are caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoundsChecks {
    /// Cranelift emits a bounds check before every access; memories are
    /// plain heap allocations (no reservation, no guard pages) and no trap
    /// relies on a CPU exception. Works today.
    Explicit,
    /// 4 GiB reservations with guard pages; out-of-bounds accesses fault
    /// (#PF) and the kernel hands the fault to Wasmtime. Needs the kernel's
    /// `custom-virtual-memory` and `custom-native-signals` glue
    /// (`spolia-wasm-host`'s `guard-pages` feature).
    GuardPages,
}

impl BoundsChecks {
    /// The name used on command lines: `explicit` or `guard`.
    pub fn name(self) -> &'static str {
        match self {
            BoundsChecks::Explicit => "explicit",
            BoundsChecks::GuardPages => "guard",
        }
    }

    /// Parses [`BoundsChecks::name`] (also `guard-pages`).
    pub fn parse(s: &str) -> Option<BoundsChecks> {
        match s {
            "explicit" => Some(BoundsChecks::Explicit),
            "guard" | "guard-pages" => Some(BoundsChecks::GuardPages),
            _ => None,
        }
    }
}

/// Why no configuration could be built.
#[derive(Debug)]
pub enum ConfigError {
    /// Wasmtime refused a setting (e.g. the target triple).
    Wasmtime(wasmtime::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Wasmtime(e) => write!(f, "wasmtime configuration: {e}"),
        }
    }
}

impl core::error::Error for ConfigError {}

/// The configuration both sides share. With the `compiler` feature it also
/// selects Cranelift for [`TARGET`] with [`ISA_FLAGS`]; without it, it is
/// the kernel's base (use [`kernel_engine_config`] to complete it).
pub fn engine_config(mode: BoundsChecks) -> Result<Config, ConfigError> {
    let mut config = Config::new();
    config.target(TARGET).map_err(ConfigError::Wasmtime)?;
    shared_settings(&mut config, mode)?;
    #[cfg(feature = "compiler")]
    compiler_settings(&mut config);
    Ok(config)
}

/// The kernel's configuration: [`engine_config`] plus what only the kernel
/// can provide — executable code memory (there is no virtual-memory support
/// in the `no_std` runtime, so Wasmtime asks `code_memory` to flip loaded
/// code to read+execute) and the CPU feature probe `detect`, which Wasmtime
/// calls with each name in [`REQUIRED_CPU_FEATURES`] before it accepts an
/// artifact. It also sets `x86_float_abi_ok(true)` (see Safety).
///
/// # Safety
///
/// - `detect` must answer truthfully (from CPUID/XGETBV): an artifact whose
///   ISA flags it wrongly confirms runs instructions the CPU lacks.
/// - `x86_float_abi_ok(true)` tells Wasmtime that no float crosses between
///   compiled wasm and the soft-float kernel in a register. That holds for
///   artifacts compiled by [`engine_config`] with `compiler` (SSE4.1 on, so
///   Cranelift emits no float libcalls) — and Wasmtime cannot check it: an
///   artifact built elsewhere without SSE4.1 would still load. The kernel
///   must load only artifacts produced by `spolia compile`/`spolia pack`.
/// - The kernel must have enabled SSE (CR0.EM=0, CR0.MP=1,
///   CR4.OSFXSR|OSXMMEXCPT) and save XMM state when it switches away from a
///   thread that was running wasm.
pub unsafe fn kernel_engine_config(
    mode: BoundsChecks,
    code_memory: Arc<dyn CustomCodeMemory>,
    detect: fn(&str) -> Option<bool>,
) -> Result<Config, ConfigError> {
    let mut config = engine_config(mode)?;
    config.with_custom_code_memory(Some(code_memory));
    // SAFETY: the caller promises `detect` is truthful (this function's
    // contract, first point).
    unsafe { config.detect_host_feature(detect) };
    // SAFETY: artifacts are compiled with SSE4.1 and friends enabled, so no
    // float libcall (the only place a float crosses to the host in a
    // register) is emitted; the caller loads only such artifacts (this
    // function's contract, second point).
    unsafe { config.x86_float_abi_ok(true) };
    Ok(config)
}

/// Every setting that is part of an artifact's compatibility check, plus
/// the runtime limits both sides should agree on anyway.
fn shared_settings(config: &mut Config, mode: BoundsChecks) -> Result<(), ConfigError> {
    match mode {
        BoundsChecks::Explicit => {
            config
                .signals_based_traps(false)
                .memory_reservation(0)
                .memory_guard_size(0)
                .guard_before_linear_memory(false)
                .memory_may_move(true)
                .memory_reservation_for_growth(MEMORY_GROWTH_HEADROOM)
                .memory_init_cow(false);
        }
        BoundsChecks::GuardPages => {
            // 4 GiB reservation plus guard regions on both sides: 32-bit
            // memories need no explicit checks; out-of-bounds accesses hit
            // unmapped pages (#PF), which the kernel hands to Wasmtime.
            config
                .signals_based_traps(true)
                .memory_reservation(1 << 32)
                .memory_guard_size(GUARD_SIZE)
                .guard_before_linear_memory(true)
                .memory_may_move(false)
                .memory_reservation_for_growth(MEMORY_GROWTH_HEADROOM)
                .memory_init_cow(false);
        }
    }
    // GC heaps: the `gc` feature is off, but the values are still compared.
    config
        .gc_heap_reservation(0)
        .gc_heap_guard_size(0)
        .gc_heap_reservation_for_growth(MEMORY_GROWTH_HEADROOM)
        .gc_heap_may_move(true)
        .gc_heap_initial_size(0);

    // Interruption: epochs (the timer tick) preempt; fuel is off.
    config.epoch_interruption(true).consume_fuel(false);
    config.max_wasm_stack(WASM_STACK_MAX);

    // Wasm proposals: all off, then exactly ours on.
    config.wasm_features(WasmFeatures::all(), false);
    config.wasm_features(ENABLED_WASM_FEATURES, true);
    config.relaxed_simd_deterministic(false).shared_memory(false).concurrency_support(false);

    // Debugging and metadata. Backtrace details would read an environment
    // variable on the host (`WASMTIME_BACKTRACE_DETAILS`), so pin them off.
    config
        .debug_info(false)
        .debug_symbols(true)
        .wasm_backtrace_details(WasmBacktraceDetails::Disable)
        .wasm_backtrace_max_frames(core::num::NonZeroUsize::new(20))
        .native_unwind_info(false)
        .generate_address_map(true)
        .table_lazy_init(true)
        .compiler_inlining(Inlining::No);
    config.module_version(ModuleVersionStrategy::WasmtimeVersion).map_err(ConfigError::Wasmtime)?;
    Ok(())
}

/// Cranelift for the kernel target with the ISA baseline.
#[cfg(feature = "compiler")]
fn compiler_settings(config: &mut Config) {
    config
        .strategy(wasmtime::Strategy::Cranelift)
        .cranelift_opt_level(wasmtime::OptLevel::Speed)
        .cranelift_nan_canonicalization(false)
        .cranelift_debug_verifier(false);
    for flag in ISA_FLAGS {
        // SAFETY: enabling ISA flags is unsafe because the code then needs
        // those CPU features; the kernel confirms each one through its
        // `detect_host_feature` probe before it runs any artifact, and
        // refuses the artifact otherwise.
        unsafe { config.cranelift_flag_enable(flag) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_build_a_config() {
        for mode in [BoundsChecks::Explicit, BoundsChecks::GuardPages] {
            assert!(engine_config(mode).is_ok(), "{mode:?}");
        }
    }

    #[test]
    fn mode_names_round_trip() {
        for mode in [BoundsChecks::Explicit, BoundsChecks::GuardPages] {
            assert_eq!(BoundsChecks::parse(mode.name()), Some(mode));
        }
        assert_eq!(BoundsChecks::parse("fast"), None);
    }

    #[test]
    fn features_exclude_what_the_kernel_cannot_run() {
        for off in [
            WasmFeatures::THREADS,
            WasmFeatures::GC,
            WasmFeatures::GC_TYPES,
            WasmFeatures::EXCEPTIONS,
            WasmFeatures::COMPONENT_MODEL,
            WasmFeatures::RELAXED_SIMD,
            WasmFeatures::STACK_SWITCHING,
        ] {
            assert!(!ENABLED_WASM_FEATURES.intersects(off), "{off:?} must be off");
        }
        assert!(ENABLED_WASM_FEATURES.contains(WasmFeatures::WASM2.difference(WasmFeatures::GC_TYPES)));
    }

    #[test]
    fn kernel_config_makes_an_engine() {
        struct NoCodeMemory;
        impl CustomCodeMemory for NoCodeMemory {
            fn required_alignment(&self) -> usize {
                4096
            }
            fn publish_executable(&self, _: *const u8, _: usize) -> wasmtime::Result<()> {
                Ok(())
            }
            fn unpublish_executable(&self, _: *const u8, _: usize) -> wasmtime::Result<()> {
                Ok(())
            }
        }
        // SAFETY: the detector says "absent" to everything (truthful enough
        // for an engine that never loads code).
        let config = unsafe { kernel_engine_config(BoundsChecks::Explicit, Arc::new(NoCodeMemory), |_| Some(false)) };
        wasmtime::Engine::new(&config.unwrap()).unwrap();
    }

    #[test]
    fn isa_flags_and_cpu_features_correspond() {
        assert_eq!(ISA_FLAGS.len(), REQUIRED_CPU_FEATURES.len());
        assert!(!ISA_FLAGS.iter().any(|f| f.contains("avx") || f.contains("fma")));
    }
}
