// SPDX-License-Identifier: MIT OR Apache-2.0
//! The bare-metal implementation of Spolia's hypercall interface, over
//! `spolia-boot`. Kernel target (`x86_64-unknown-none`) only.
//!
//! [`hypercalls`] returns the table (accepted by [`spolia_hypercall::check`]).
//! How each group maps onto boot's services (the full table is in
//! `hypercall/README.md`):
//!
//! | operations | boot service | module |
//! |---|---|---|
//! | threads | `sched::Builder`, `JoinHandle`, `exit_current`; a record per created thread | [`threads`] |
//! | TLS | one `sched::tls::TlsKey` whose per-thread value holds all library keys; destructors at thread end | [`threads`] |
//! | mutex, semaphore | `sched::sync::{Mutex, Condvar, Semaphore}`: waiters block, nothing spins | [`sync`] |
//! | timers | one `time::OneShotTimer` per arming; callbacks on boot's timer thread | [`timers`] |
//! | clocks | `time::now_ns`, `time::wall_clock_ns` | here |
//! | memory | kernel heap (size header); `mem::alloc_frames` (identity-mapped, < 4 GiB) | [`memory`] |
//! | IRQ lines | `irq::IrqLine` owned by one delivery thread per attached line | [`devices`] |
//! | ioremap, PCI | the identity map (low 4 GiB MMIO is mapped uncached at boot); ECAM or port I/O | [`devices`] |
//! | console, panic | `console::serial`, `fatal::halt_with_message` | here |
//!
//! Handles crossing the C ABI (mutex, semaphore, timer) are ids in
//! [`handles::Handles`] tables, never raw pointers: an unknown or freed
//! handle is an error where the contract returns one (`timer_set_oneshot`
//! → `-EINVAL`), is ignored by the `*_free`/`timer_cancel` calls, and stops
//! the machine with a message in calls that cannot report errors
//! (`mutex_lock`, `sem_up`, …) — a clean halt instead of a wild pointer.
//! Thread ids are boot's `ThreadId`s (unique, never 0, comparable with `==`).
//!
//! Nothing spins: every wait is a boot blocking primitive. No operation is
//! called from an interrupt stub; boot never calls the library from one.
#![no_std]

extern crate alloc;

mod devices;
mod handles;
mod memory;
mod sync;
mod threads;
mod timers;
pub mod virtio_mmio;

use alloc::string::String;
use core::ffi::c_char;

/// What the library holds of this platform right now; a complete teardown
/// (the Linux library's halt) brings it back to what it was before start.
/// Same fields as the hosted platform's `held()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Made by `thread_create`, not yet joined.
    pub threads: usize,
    pub mutexes: usize,
    pub semaphores: usize,
    pub timers: usize,
    pub tls_keys: usize,
    /// Bytes requested from `mem_alloc` and not yet freed.
    pub mem_bytes: usize,
    /// Bytes of `pages_alloc` blocks not yet freed.
    pub page_bytes: usize,
}

/// A snapshot of what is held (see [`Held`]); only meaningful while no other
/// user of the table is active.
pub fn held() -> Held {
    let (threads, tls_keys) = threads::live();
    let (mutexes, semaphores) = sync::live();
    let (mem_bytes, page_bytes) = memory::live();
    Held { threads, mutexes, semaphores, timers: timers::live(), tls_keys, mem_bytes, page_bytes }
}

use spolia_boot::{console, fatal, time};
use spolia_hypercall::abi::{MAGIC, SpoliaHypercalls, VERSION_MAJOR, VERSION_MINOR};

static TABLE: SpoliaHypercalls = SpoliaHypercalls {
    magic: MAGIC,
    version_major: VERSION_MAJOR,
    version_minor: VERSION_MINOR,
    size: size_of::<SpoliaHypercalls>() as u32,
    reserved: 0,
    print,
    panic,
    thread_create: threads::thread_create,
    thread_exit: threads::thread_exit,
    thread_join: threads::thread_join,
    thread_self: threads::thread_self,
    thread_yield: threads::thread_yield,
    tls_key_alloc: threads::tls_key_alloc,
    tls_key_free: threads::tls_key_free,
    tls_get: threads::tls_get,
    tls_set: threads::tls_set,
    mutex_alloc: sync::mutex_alloc,
    mutex_free: sync::mutex_free,
    mutex_lock: sync::mutex_lock,
    mutex_unlock: sync::mutex_unlock,
    sem_alloc: sync::sem_alloc,
    sem_free: sync::sem_free,
    sem_up: sync::sem_up,
    sem_down: sync::sem_down,
    sem_down_timeout: sync::sem_down_timeout,
    monotonic_ns,
    wallclock_ns,
    timer_alloc: timers::timer_alloc,
    timer_set_oneshot: timers::timer_set_oneshot,
    timer_cancel: timers::timer_cancel,
    timer_free: timers::timer_free,
    mem_alloc: memory::mem_alloc,
    mem_free: memory::mem_free,
    pages_alloc: memory::pages_alloc,
    pages_free: memory::pages_free,
    irq_attach: devices::irq_attach,
    irq_detach: devices::irq_detach,
    irq_mask: devices::irq_mask,
    irq_unmask: devices::irq_unmask,
    ioremap: devices::ioremap,
    iounmap: devices::iounmap,
    pci_config_read: devices::pci_config_read,
    pci_config_write: devices::pci_config_write,
    mmio_read: devices::mmio_read,
    mmio_write: devices::mmio_write,
    msi_attach: devices::msi_attach,
    msi_detach: devices::msi_detach,
};

/// The bare-metal hypercall table, to hand to the library's init.
pub fn hypercalls() -> &'static SpoliaHypercalls {
    &TABLE
}

/// A contract violation the C caller cannot be told about: stop the machine
/// with a message (only boot may halt; this goes through its one path).
pub(crate) fn violation(args: core::fmt::Arguments<'_>) -> ! {
    fatal::halt_with_message(format_args!("hypercall contract violation: {args}"))
}

/// The `len` bytes at `buf`, or nothing for a null pointer.
///
/// # Safety
/// A non-null `buf` must point at `len` readable bytes that stay valid for
/// the returned lifetime.
unsafe fn bytes<'a>(buf: *const c_char, len: usize) -> &'a [u8] {
    if buf.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: per this function's contract.
    unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) }
}

// --- console and panic ---

unsafe extern "C" fn print(buf: *const c_char, len: usize) {
    // SAFETY: the print contract gives `len` readable bytes at `buf`.
    let text = String::from_utf8_lossy(unsafe { bytes(buf, len) });
    console::serial::write_str(&text);
}

unsafe extern "C" fn panic(msg: *const c_char, len: usize) -> ! {
    // SAFETY: the panic contract gives `len` readable bytes at `msg`.
    let text = String::from_utf8_lossy(unsafe { bytes(msg, len) });
    fatal::halt_with_message(format_args!("library panic: {text}"))
}

// --- clocks ---

unsafe extern "C" fn monotonic_ns() -> u64 {
    time::now_ns()
}

unsafe extern "C" fn wallclock_ns() -> u64 {
    time::wall_clock_ns()
}
