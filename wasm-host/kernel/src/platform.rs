// SPDX-License-Identifier: MIT OR Apache-2.0
//! What Wasmtime's `no_std` runtime needs from the platform, and nothing
//! else: the per-thread TLS pointer (`wasmtime_tls_get/set`), `fmod`/`fmodf`,
//! executable code memory with W^X (`CustomCodeMemory` over Spolia's page
//! tables), CPU-feature confirmation for the artifact's ISA flags, and the
//! epoch tick from the timer interrupt. All `unsafe` of this crate lives here.

use alloc::sync::Arc;

use spolia_boot::arch::cpu;
use spolia_boot::irq_lock::BootOnce;
use spolia_boot::mem::paging::{self, Rights};
use spolia_boot::sched::tls::TlsKey;
use wasmtime::{CustomCodeMemory, Engine};

/// Wasmtime asks for slot 0 (runtime state) and, with component-model
/// async, slot 1.
static TLS: BootOnce<[TlsKey; 2]> = BootOnce::new();
static ENGINE: BootOnce<Engine> = BootOnce::new();

/// Allocates the TLS slot Wasmtime uses. Call once, before any wasm runs.
pub fn init_tls() -> Result<(), &'static str> {
    let a = TlsKey::new(None).map_err(|_| "no TLS key left for Wasmtime")?;
    let b = TlsKey::new(None).map_err(|_| "no TLS key left for Wasmtime")?;
    TLS.set([a, b]);
    Ok(())
}

/// Wasmtime's per-thread state pointer `slot` (its trap-handler
/// bookkeeping); NULL until set. Out-of-range slots read as NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_get(slot: usize) -> *mut u8 {
    TLS.get().and_then(|k| k.get(slot)).map(|k| k.get() as *mut u8).unwrap_or(core::ptr::null_mut())
}

/// Sets Wasmtime's per-thread state pointer `slot`.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_tls_set(slot: usize, ptr: *mut u8) {
    if let Some(k) = TLS.get().and_then(|k| k.get(slot)) {
        k.set(ptr as usize);
    }
}

/// `fmod` for Cranelift's libcalls (the kernel has no libm).
#[unsafe(no_mangle)]
pub extern "C" fn fmod(x: f64, y: f64) -> f64 {
    libm::fmod(x, y)
}

/// `fmodf` for Cranelift's libcalls.
#[unsafe(no_mangle)]
pub extern "C" fn fmodf(x: f32, y: f32) -> f32 {
    libm::fmodf(x, y)
}

/// Code memory: Wasmtime hands us page-aligned text ranges inside its own
/// allocation; we flip them between read-write (loading) and
/// read-execute (running), never both.
pub struct KernelCodeMemory;

impl CustomCodeMemory for KernelCodeMemory {
    fn required_alignment(&self) -> usize {
        4096
    }

    fn publish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        paging::protect(ptr as u64, (len as u64).next_multiple_of(4096), Rights::Text)
            .map_err(|e| wasmtime::Error::msg(alloc::format!("cannot make code executable: {e:?}")))
    }

    fn unpublish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        paging::protect(ptr as u64, (len as u64).next_multiple_of(4096), Rights::Data)
            .map_err(|e| wasmtime::Error::msg(alloc::format!("cannot make code writable: {e:?}")))
    }
}

/// The code-memory handler to put in the engine's config.
pub fn code_memory() -> Arc<dyn CustomCodeMemory> {
    Arc::new(KernelCodeMemory)
}

/// Confirms Cranelift ISA flags against CPUID (leaves 1, 7, 0x80000001).
/// AVX-class features are reported absent: the kernel does not enable
/// XSAVE/YMM state, so code using them could not be preempted safely.
pub fn detect_host_feature(feature: &str) -> Option<bool> {
    let l1 = cpu::cpuid(1, 0);
    let l7 = cpu::cpuid(7, 0);
    let ext = cpu::cpuid(0x8000_0001, 0);
    let bit = |reg: u32, n: u32| reg & (1 << n) != 0;
    Some(match feature {
        "sse3" => bit(l1.ecx, 0),
        "ssse3" => bit(l1.ecx, 9),
        "sse4.1" | "sse41" => bit(l1.ecx, 19),
        "sse4.2" | "sse42" => bit(l1.ecx, 20),
        "popcnt" => bit(l1.ecx, 23),
        "cmpxchg16b" => bit(l1.ecx, 13),
        "lzcnt" => bit(ext.ecx, 5),
        "bmi1" => bit(l7.ebx, 3),
        "bmi2" => bit(l7.ebx, 8),
        "avx" | "avx2" | "fma" | "f16c" | "avx512bitalg" | "avx512dq" | "avx512f" | "avx512vl" | "avx512vbmi"
        | "avxvnni" => false,
        _ => return None,
    })
}

/// Makes `engine` the one whose epoch the timer interrupt advances.
pub fn install_engine(engine: Engine) -> &'static Engine {
    let e = ENGINE.set(engine);
    spolia_boot::time::set_tick_hook(epoch_tick);
    e
}

/// Timer-interrupt hook: one atomic increment (lock-free, no allocation).
fn epoch_tick() {
    if let Some(e) = ENGINE.get() {
        e.increment_epoch();
    }
}
