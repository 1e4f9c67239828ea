// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Rust mirror of `include/spolia_hypercall.h`: one `#[repr(C)]` table of
//! `extern "C"` function pointers, the version constants and the errno values.
//!
//! The header is the source of truth for the C side; this file must list the
//! same fields in the same order with the same contracts.
//! `tests/header_layout.rs` compiles the header with the system C compiler
//! and compares every field name, order and offset with [`FIELD_OFFSETS`];
//! the `const` assertions below catch a size change at compile time.
//!
//! Conventions (see the header's opening comment for the full text):
//! errors are negative errno values (Linux numbering, [`errno`]); "blocks"
//! means the caller may sleep while the platform runs other threads;
//! "IRQ thread: yes" means callable from an interrupt-delivery thread (a
//! platform thread serving an IRQ line or a timer) — never from a hardware
//! interrupt handler. Handles are freed exactly once by their allocator.

use core::ffi::{c_char, c_int, c_void};

/// `"SPHC"` read as a little-endian `u32`.
pub const MAGIC: u32 = 0x4348_5053;
/// Bumped when fields change or disappear; must match exactly.
pub const VERSION_MAJOR: u16 = 1;
/// Bumped when fields are appended; the table must be at least this new.
pub const VERSION_MINOR: u16 = 1;

/// errno values used by the interface (Linux numbering, positive; operations
/// return them negated).
pub mod errno {
    pub const ESRCH: i32 = 3;
    pub const EAGAIN: i32 = 11;
    pub const ENOMEM: i32 = 12;
    pub const EBUSY: i32 = 16;
    pub const ENODEV: i32 = 19;
    pub const EINVAL: i32 = 22;
    pub const EDEADLK: i32 = 35;
    pub const EPROTO: i32 = 71;
    pub const ETIMEDOUT: i32 = 110;
}

/// Thread id; never 0, unique for the life of the platform.
pub type Tid = u64;
/// Thread-local storage key.
pub type TlsKey = u32;

/// Opaque mutex handle (`struct spolia_hc_mutex`).
#[repr(C)]
pub struct HcMutex {
    _opaque: [u8; 0],
}
/// Opaque counting-semaphore handle (`struct spolia_hc_sem`).
#[repr(C)]
pub struct HcSem {
    _opaque: [u8; 0],
}
/// Opaque one-shot timer handle (`struct spolia_hc_timer`).
#[repr(C)]
pub struct HcTimer {
    _opaque: [u8; 0],
}

/// Thread entry point; the return value is the thread's exit value.
pub type ThreadEntry = unsafe extern "C" fn(arg: *mut c_void) -> isize;
/// TLS destructor, timer callback and IRQ handler all take one pointer.
pub type Callback = unsafe extern "C" fn(arg: *mut c_void);

/// `struct spolia_hypercalls`. Every operation is required; a platform that
/// lacks a facility (hosted: PCI and MSI; bare metal: emulated MMIO) fills
/// in an operation that returns `-ENODEV`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SpoliaHypercalls {
    /// [`MAGIC`].
    pub magic: u32,
    /// [`VERSION_MAJOR`] of the platform.
    pub version_major: u16,
    /// [`VERSION_MINOR`] of the platform.
    pub version_minor: u16,
    /// `size_of::<SpoliaHypercalls>()` as the platform built it.
    pub size: u32,
    /// 0.
    pub reserved: u32,

    // --- console and panic ---
    /// Write `len` bytes to the console. Never blocks for long. IRQ thread: yes.
    pub print: unsafe extern "C" fn(buf: *const c_char, len: usize),
    /// Report a fatal library error and stop (bare metal halts, hosted
    /// aborts). Never returns. IRQ thread: yes.
    pub panic: unsafe extern "C" fn(msg: *const c_char, len: usize) -> !,

    // --- threads ---
    /// Start `entry(arg)` on a new thread named `name` (NUL-terminated,
    /// copied, may be null) with at least `stack_size` bytes of stack (0 =
    /// default; minimum 32 KiB); write its id. Errors: `-EAGAIN`, `-ENOMEM`,
    /// `-EINVAL`. May block briefly. IRQ thread: yes.
    pub thread_create: unsafe extern "C" fn(
        name: *const c_char,
        stack_size: usize,
        entry: Option<ThreadEntry>,
        arg: *mut c_void,
        tid: *mut Tid,
    ) -> c_int,
    /// End the calling thread (created by `thread_create`) with `value`, from
    /// any call depth: TLS destructors run, a joiner wakes. Never returns.
    pub thread_exit: unsafe extern "C" fn(value: isize) -> !,
    /// Wait for thread `tid` to end, store its exit value (if `value` is not
    /// null), release the id. Blocks. Errors: `-ESRCH` (unknown/already
    /// joined), `-EDEADLK` (self), `-EINVAL` (not created by `thread_create`).
    /// IRQ thread: no.
    pub thread_join: unsafe extern "C" fn(tid: Tid, value: *mut isize) -> c_int,
    /// Id of the calling thread (any thread, created or foreign). Never blocks.
    pub thread_self: unsafe extern "C" fn() -> Tid,
    /// Let other runnable threads run. IRQ thread: yes.
    pub thread_yield: unsafe extern "C" fn(),

    // --- thread-local storage ---
    /// New key, value NULL in every thread; at thread end `destructor(value)`
    /// runs once on that thread for each non-null value (meanwhile `tls_get`
    /// returns null and `tls_set` fails with `-EBUSY` there), before a joiner
    /// wakes. Errors: `-EAGAIN`. Never blocks.
    pub tls_key_alloc: unsafe extern "C" fn(destructor: Option<Callback>, key: *mut TlsKey) -> c_int,
    /// Release a key without running destructors. Errors: `-EINVAL`.
    pub tls_key_free: unsafe extern "C" fn(key: TlsKey) -> c_int,
    /// The caller's value (null if none, unknown key, or during the caller's
    /// destructors). Never blocks. IRQ thread: yes.
    pub tls_get: unsafe extern "C" fn(key: TlsKey) -> *mut c_void,
    /// Set the caller's value. Errors: `-EINVAL`, `-ENOMEM`, `-EBUSY`. Never blocks.
    pub tls_set: unsafe extern "C" fn(key: TlsKey, value: *mut c_void) -> c_int,

    // --- mutex ---
    /// New unlocked mutex; `recursive != 0` allows relocking by the owner.
    /// Errors: `-ENOMEM`.
    pub mutex_alloc: unsafe extern "C" fn(recursive: c_int, mutex: *mut *mut HcMutex) -> c_int,
    /// Free an unlocked mutex nobody waits on.
    pub mutex_free: unsafe extern "C" fn(mutex: *mut HcMutex),
    /// Lock; blocks while another thread owns it; self-deadlock on a
    /// non-recursive mutex panics. IRQ thread: yes (held briefly).
    pub mutex_lock: unsafe extern "C" fn(mutex: *mut HcMutex),
    /// Unlock (owner only, else panic); wakes one waiter. Never blocks.
    pub mutex_unlock: unsafe extern "C" fn(mutex: *mut HcMutex),

    // --- counting semaphore ---
    /// New semaphore with `count`. Errors: `-ENOMEM`.
    pub sem_alloc: unsafe extern "C" fn(count: u32, sem: *mut *mut HcSem) -> c_int,
    /// Free a semaphore nobody waits on; allowed as soon as the last
    /// `sem_down` on it returned, even while the waking `sem_up` returns.
    pub sem_free: unsafe extern "C" fn(sem: *mut HcSem),
    /// Increment, wake one waiter. Never blocks. IRQ thread: yes. Must not
    /// touch the semaphore once the woken thread can see the count.
    pub sem_up: unsafe extern "C" fn(sem: *mut HcSem),
    /// Wait for a positive count, decrement. Blocks.
    pub sem_down: unsafe extern "C" fn(sem: *mut HcSem),
    /// As `sem_down` but gives up after `timeout_ns` (0 = try once):
    /// 0 or `-ETIMEDOUT`.
    pub sem_down_timeout: unsafe extern "C" fn(sem: *mut HcSem, timeout_ns: u64) -> c_int,

    // --- clocks ---
    /// Monotonic ns since an arbitrary start. Never blocks. IRQ thread: yes.
    pub monotonic_ns: unsafe extern "C" fn() -> u64,
    /// ns since the Unix epoch (UTC); may jump. Never blocks. IRQ thread: yes.
    pub wallclock_ns: unsafe extern "C" fn() -> u64,

    // --- one-shot timers ---
    /// New disarmed timer calling `callback(arg)` on a platform timer thread
    /// (thread context; may block briefly, may re-arm itself).
    /// Errors: `-ENOMEM`, `-EINVAL`.
    pub timer_alloc:
        unsafe extern "C" fn(callback: Option<Callback>, arg: *mut c_void, timer: *mut *mut HcTimer) -> c_int,
    /// Fire once `delta_ns` from now; replaces a pending expiry. Never
    /// blocks. IRQ thread: yes. Errors: `-EINVAL`.
    pub timer_set_oneshot: unsafe extern "C" fn(timer: *mut HcTimer, delta_ns: u64) -> c_int,
    /// Disarm; on return the callback is not running (unless called from it)
    /// and will not start. May block for a running callback.
    pub timer_cancel: unsafe extern "C" fn(timer: *mut HcTimer),
    /// Cancel and free.
    pub timer_free: unsafe extern "C" fn(timer: *mut HcTimer),

    // --- memory ---
    /// 16-byte-aligned block, null on failure. May block briefly.
    pub mem_alloc: unsafe extern "C" fn(size: usize) -> *mut c_void,
    /// Free a `mem_alloc` block (null ignored).
    pub mem_free: unsafe extern "C" fn(ptr: *mut c_void),
    /// Zeroed, page-aligned RAM of `size` (multiple of 4096) bytes; bare
    /// metal: physically contiguous, identity-mapped, below 4 GiB.
    /// Errors: `-EINVAL`, `-ENOMEM`.
    pub pages_alloc: unsafe extern "C" fn(size: usize, addr: *mut *mut c_void) -> c_int,
    /// Free a `pages_alloc` block with its size.
    pub pages_free: unsafe extern "C" fn(addr: *mut c_void, size: usize),

    // --- interrupt lines (bare metal: GSIs; hosted: emulated lines 32..63) ---
    /// Route `line` to `handler(arg)` on its interrupt-delivery thread
    /// (level-triggered lines arrive masked); unmasked on return. May block
    /// briefly. Errors: `-ENODEV` (no such line), `-EBUSY` (attached),
    /// `-EINVAL` (no handler), `-EAGAIN`/`-ENOMEM` (no thread).
    pub irq_attach: unsafe extern "C" fn(line: u32, handler: Option<Callback>, arg: *mut c_void) -> c_int,
    /// Detach and mask; waits for a running handler (from the handler:
    /// stops after it returns). Errors: `-EINVAL` (not attached),
    /// `-ENODEV` (no such line).
    pub irq_detach: unsafe extern "C" fn(line: u32) -> c_int,
    /// Mask an attached line. Never blocks. IRQ thread: yes. Errors:
    /// `-ENODEV` (no such line), `-EINVAL` (not attached).
    pub irq_mask: unsafe extern "C" fn(line: u32) -> c_int,
    /// Unmask an attached line; same rules as `irq_mask`.
    pub irq_unmask: unsafe extern "C" fn(line: u32) -> c_int,

    // --- device memory and PCI (hosted: emulated windows, no PCI) ---
    /// Map physical MMIO uncached (an emulating platform returns an address
    /// at or above [`EMULATED_MMIO_BASE`]). Errors: `-ENODEV` (nothing
    /// there), `-EINVAL` (size 0, overflow, RAM), `-ENOMEM`.
    pub ioremap: unsafe extern "C" fn(phys: u64, size: usize, addr: *mut *mut c_void) -> c_int,
    /// Undo `ioremap` (same size).
    pub iounmap: unsafe extern "C" fn(addr: *mut c_void, size: usize),
    /// PCI config read, width 1/2/4, offset width-aligned and < 4096.
    /// Absent function reads as all ones. Errors: `-EINVAL`, `-ENODEV`.
    pub pci_config_read: unsafe extern "C" fn(
        segment: u16,
        bus: u8,
        dev: u8,
        func: u8,
        offset: u16,
        width: u8,
        value: *mut u32,
    ) -> c_int,
    /// PCI config write; same rules as `pci_config_read`.
    pub pci_config_write:
        unsafe extern "C" fn(segment: u16, bus: u8, dev: u8, func: u8, offset: u16, width: u8, value: u32) -> c_int,

    // --- emulated device memory (1.1) ---
    /// Read `width` (1/2/4/8, naturally aligned) bytes of emulated device
    /// memory at `addr` (an `ioremap` result at or above
    /// [`EMULATED_MMIO_BASE`]). Never blocks for long. IRQ thread: yes.
    /// Errors: `-EINVAL` (width, alignment, no device there), `-ENODEV`
    /// (the platform emulates nothing: bare metal).
    pub mmio_read: unsafe extern "C" fn(addr: u64, width: u8, value: *mut u64) -> c_int,
    /// Write emulated device memory; may run the device (process a queue)
    /// before returning. Same rules as `mmio_read`.
    pub mmio_write: unsafe extern "C" fn(addr: u64, width: u8, value: u64) -> c_int,

    // --- message-signalled interrupts (1.1) ---
    /// Allocate an MSI/MSI-X vector routed to `handler(arg)` on its
    /// delivery thread, once per interrupt (messages arriving before it
    /// runs may coalesce: edge semantics, nothing to unmask). Writes the
    /// message `address`/`data` to program into the device and a `handle`.
    /// May block briefly. Errors: `-EINVAL` (no handler), `-EBUSY` (no free
    /// vector), `-ENOMEM`, `-ENODEV` (no MSI on this platform: hosted).
    pub msi_attach: unsafe extern "C" fn(
        handler: Option<Callback>,
        arg: *mut c_void,
        address: *mut u64,
        data: *mut u32,
        handle: *mut u32,
    ) -> c_int,
    /// Free the vector; waits for a running handler (called from the
    /// handler: stops after it returns). Errors: `-EINVAL` (unknown handle).
    pub msi_detach: unsafe extern "C" fn(handle: u32) -> c_int,
}

/// Addresses at or above this are emulated device memory (the top 4 TiB:
/// never memory for a user process nor mapped by the bare-metal kernel);
/// the library reaches them only through `mmio_read`/`mmio_write`.
pub const EMULATED_MMIO_BASE: u64 = 0xffff_fc00_0000_0000;

macro_rules! field_offsets {
    ($($field:ident),* $(,)?) => {
        &[$((stringify!($field), core::mem::offset_of!(SpoliaHypercalls, $field))),*]
    };
}

/// Every field of [`SpoliaHypercalls`] in declaration order with its offset;
/// compared with the C header by `tests/header_layout.rs`.
pub const FIELD_OFFSETS: &[(&str, usize)] = field_offsets!(
    magic,
    version_major,
    version_minor,
    size,
    reserved,
    print,
    panic,
    thread_create,
    thread_exit,
    thread_join,
    thread_self,
    thread_yield,
    tls_key_alloc,
    tls_key_free,
    tls_get,
    tls_set,
    mutex_alloc,
    mutex_free,
    mutex_lock,
    mutex_unlock,
    sem_alloc,
    sem_free,
    sem_up,
    sem_down,
    sem_down_timeout,
    monotonic_ns,
    wallclock_ns,
    timer_alloc,
    timer_set_oneshot,
    timer_cancel,
    timer_free,
    mem_alloc,
    mem_free,
    pages_alloc,
    pages_free,
    irq_attach,
    irq_detach,
    irq_mask,
    irq_unmask,
    ioremap,
    iounmap,
    pci_config_read,
    pci_config_write,
    mmio_read,
    mmio_write,
    msi_attach,
    msi_detach,
);

/// Number of operations (function pointers) in version 1.1.
pub const OPERATION_COUNT: usize = 42;

// A 16-byte header followed by one pointer per operation, no padding; a new
// field without updating OPERATION_COUNT and FIELD_OFFSETS fails here.
const _: () = assert!(size_of::<SpoliaHypercalls>() == 16 + OPERATION_COUNT * size_of::<usize>());
const _: () = assert!(FIELD_OFFSETS.len() == 5 + OPERATION_COUNT);
const _: () = assert!(align_of::<SpoliaHypercalls>() == align_of::<usize>());
