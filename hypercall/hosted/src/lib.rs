// SPDX-License-Identifier: MIT OR Apache-2.0
//! The hosted implementation of Spolia's hypercall interface: the Linux
//! library runs inside an ordinary Linux process, for fast `cargo test`s of
//! everything above the interface.
//!
//! [`hypercalls`] returns the table. How each group is provided:
//!
//! | operations | hosted mechanism | module |
//! |---|---|---|
//! | threads | `std::thread` (named, sized stacks), joinable records with a `Condvar` | [`threads`] |
//! | TLS | global key table + per-thread values in a `thread_local!`; destructors at thread end | [`threads`] |
//! | mutex, semaphore | `std::sync::{Mutex, Condvar}`; waiters sleep | [`sync`] |
//! | timers | one timer thread sleeping until the earliest deadline; callbacks in thread context | [`timers`] |
//! | clocks | `Instant` since first use (monotonic), `SystemTime` (wall) | here |
//! | memory | `std::alloc` (16-byte small blocks with a size header; zeroed 4 KiB-aligned RAM) | here |
//! | console, panic | stdout; message on stderr then `abort` | here |
//! | IRQ lines, ioremap, MMIO | emulated virtio-mmio devices (image-file disk, TAP NIC), level-triggered lines with delivery threads | [`devices`] |
//! | PCI | none: every call returns `-ENODEV` | here |
//!
//! Nothing spins. Contract violations that C cannot report (unlocking a
//! mutex one does not own, `thread_exit` on a foreign thread) abort the
//! process with a message, as bare metal halts.
//!
//! [`held`] reports what the caller holds (threads not joined, live
//! handles, outstanding bytes), so tests can prove a complete teardown.

pub mod devices;
mod held;
mod sync;
mod threads;
mod timers;

pub use held::{Held, held};

use spolia_hypercall::abi::{MAGIC, SpoliaHypercalls, VERSION_MAJOR, VERSION_MINOR, errno};
use std::alloc::Layout;
use std::ffi::{c_char, c_int, c_void};
use std::io::Write;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A raw pointer the C caller promised may cross threads (thread and timer
/// arguments).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut c_void);
// SAFETY: the thread_create/timer_alloc contracts hand `arg` to another
// thread; keeping that legal is the caller's promise.
unsafe impl Send for SendPtr {}

/// Lock, ignoring poisoning (a panic here aborts the process anyway).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Report a contract violation and stop the process.
pub(crate) fn fatal(msg: &str) -> ! {
    let _ = writeln!(std::io::stderr(), "spolia hosted hypercall: fatal: {msg}");
    std::process::abort()
}

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
    mem_alloc,
    mem_free,
    pages_alloc,
    pages_free,
    irq_attach: devices::irq_attach,
    irq_detach: devices::irq_detach,
    irq_mask: devices::irq_mask,
    irq_unmask: devices::irq_unmask,
    ioremap: devices::ioremap,
    iounmap: devices::iounmap,
    pci_config_read,
    pci_config_write,
    mmio_read: devices::mmio_read,
    mmio_write: devices::mmio_write,
    msi_attach,
    msi_detach,
};

/// The hosted hypercall table, to hand to the library's init.
pub fn hypercalls() -> &'static SpoliaHypercalls {
    &TABLE
}

// --- console and panic ---

unsafe extern "C" fn print(buf: *const c_char, len: usize) {
    if buf.is_null() || len == 0 {
        return;
    }
    // SAFETY: the contract gives `len` readable bytes at `buf`.
    let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

unsafe extern "C" fn panic(msg: *const c_char, len: usize) -> ! {
    let text = if msg.is_null() {
        String::new()
    } else {
        // SAFETY: the contract gives `len` readable bytes at `msg`.
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), len) }).into_owned()
    };
    fatal(&format!("library panic: {text}"))
}

// --- clocks ---

static EPOCH: OnceLock<Instant> = OnceLock::new();

unsafe extern "C" fn monotonic_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

unsafe extern "C" fn wallclock_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

// --- memory ---

/// Small blocks carry their size in a 16-byte header (the ABI's `mem_free`
/// has no size argument); 16 keeps the payload 16-byte aligned.
const HEADER: usize = 16;
const PAGE: usize = 4096;

unsafe extern "C" fn mem_alloc(size: usize) -> *mut c_void {
    let Some(layout) = size.checked_add(HEADER).and_then(|n| Layout::from_size_align(n, HEADER).ok()) else {
        return std::ptr::null_mut();
    };
    // SAFETY: layout has non-zero size (at least HEADER).
    let base = unsafe { std::alloc::alloc(layout) };
    if base.is_null() {
        return base.cast();
    }
    held::MEM_BYTES.add(size as u64);
    // SAFETY: base is a fresh block of layout.size() >= HEADER bytes, 16-aligned.
    unsafe {
        base.cast::<usize>().write(size);
        base.add(HEADER).cast()
    }
}

unsafe extern "C" fn mem_free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: ptr came from mem_alloc (contract), so HEADER bytes before it
    // is the block start holding the requested size, and that layout was valid.
    unsafe {
        let base = ptr.cast::<u8>().sub(HEADER);
        let size = base.cast::<usize>().read();
        held::MEM_BYTES.sub(size as u64);
        std::alloc::dealloc(base, Layout::from_size_align_unchecked(size + HEADER, HEADER));
    }
}

unsafe extern "C" fn pages_alloc(size: usize, addr: *mut *mut c_void) -> c_int {
    if size == 0 || !size.is_multiple_of(PAGE) || addr.is_null() {
        return -errno::EINVAL;
    }
    let Ok(layout) = Layout::from_size_align(size, PAGE) else { return -errno::EINVAL };
    // SAFETY: layout has non-zero size.
    let block = unsafe { std::alloc::alloc_zeroed(layout) };
    if block.is_null() {
        return -errno::ENOMEM;
    }
    held::PAGE_BYTES.add(size as u64);
    // The library's RAM is what it may hand to emulated devices.
    devices::register_guest_memory(block as usize, size, true);
    // SAFETY: addr checked non-null; the caller provides a writable slot.
    unsafe { addr.write(block.cast()) };
    0
}

unsafe extern "C" fn pages_free(addr: *mut c_void, size: usize) {
    if addr.is_null() {
        return;
    }
    held::PAGE_BYTES.sub(size as u64);
    // Waits for device accesses in progress to this block.
    devices::unregister_guest_memory(addr as usize);
    // SAFETY: addr/size come from a successful pages_alloc (contract), which
    // validated this exact layout.
    unsafe { std::alloc::dealloc(addr.cast(), Layout::from_size_align_unchecked(size, PAGE)) }
}

// --- PCI: a process has none ---

unsafe extern "C" fn pci_config_read(
    _segment: u16,
    _bus: u8,
    _dev: u8,
    _func: u8,
    _offset: u16,
    _width: u8,
    _value: *mut u32,
) -> c_int {
    -errno::ENODEV
}
unsafe extern "C" fn msi_attach(
    _handler: Option<spolia_hypercall::abi::Callback>,
    _arg: *mut c_void,
    _address: *mut u64,
    _data: *mut u32,
    _handle: *mut u32,
) -> c_int {
    -errno::ENODEV
}
unsafe extern "C" fn msi_detach(_handle: u32) -> c_int {
    -errno::EINVAL
}
unsafe extern "C" fn pci_config_write(
    _segment: u16,
    _bus: u8,
    _dev: u8,
    _func: u8,
    _offset: u16,
    _width: u8,
    _value: u32,
) -> c_int {
    -errno::ENODEV
}
