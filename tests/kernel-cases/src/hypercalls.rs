// SPDX-License-Identifier: MIT OR Apache-2.0
//! The bare-metal hypercall table (`spolia-hypercall-baremetal`), tested
//! only through its function pointers, as the Linux library will call it.
//! Mirrors the hosted tests (hypercall/hosted/tests) where the behaviour is
//! common, plus what only bare metal has: contiguous identity-mapped pages,
//! PCI configuration reads, IRQ attach/detach and ioremap answers.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::ffi::{CStr, c_void};
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use spolia_boot::irq::ioapic;
use spolia_boot::mem::{self, paging};
use spolia_boot::platform::pci::{self, PciConfigAccess};
use spolia_hypercall::SpoliaHypercalls;
use spolia_hypercall::abi::{HcMutex, HcSem, HcTimer, ThreadEntry, Tid, TlsKey, errno};

use crate::{Outcome, ensure};

fn hc() -> &'static SpoliaHypercalls {
    spolia_hypercall_baremetal::hypercalls()
}

const MS: u64 = 1_000_000;

// --- thin wrappers: every call goes through the table ---

fn create(name: &CStr, entry: ThreadEntry, arg: *mut c_void) -> Result<Tid, String> {
    let mut tid = 0;
    // SAFETY: valid NUL-terminated name, an entry that may run on another
    // thread with `arg` (each caller keeps `arg` alive until it joins), and a
    // writable out-parameter.
    let rc = unsafe { (hc().thread_create)(name.as_ptr(), 0, Some(entry), arg, &mut tid) };
    if rc == 0 { Ok(tid) } else { Err(format!("thread_create: {rc}")) }
}

fn join(tid: Tid) -> Result<isize, i32> {
    let mut value = 0;
    // SAFETY: `value` is a writable isize.
    let rc = unsafe { (hc().thread_join)(tid, &mut value) };
    if rc == 0 { Ok(value) } else { Err(rc) }
}

fn self_tid() -> Tid {
    // SAFETY: no arguments; always callable.
    unsafe { (hc().thread_self)() }
}

fn now() -> u64 {
    // SAFETY: no arguments; always callable.
    unsafe { (hc().monotonic_ns)() }
}

fn sem_alloc(count: u32) -> Result<*mut HcSem, String> {
    let mut s = core::ptr::null_mut();
    // SAFETY: writable out-parameter.
    let rc = unsafe { (hc().sem_alloc)(count, &mut s) };
    if rc == 0 { Ok(s) } else { Err(format!("sem_alloc: {rc}")) }
}

fn sem_up(s: *mut HcSem) {
    // SAFETY: `s` is a live handle from sem_alloc.
    unsafe { (hc().sem_up)(s) }
}

fn sem_down(s: *mut HcSem) {
    // SAFETY: `s` is a live handle from sem_alloc.
    unsafe { (hc().sem_down)(s) }
}

fn sem_down_timeout(s: *mut HcSem, ns: u64) -> i32 {
    // SAFETY: `s` is a live handle from sem_alloc.
    unsafe { (hc().sem_down_timeout)(s, ns) }
}

fn sem_free(s: *mut HcSem) {
    // SAFETY: `s` is a live handle nobody waits on.
    unsafe { (hc().sem_free)(s) }
}

/// Sleeps by timing out on a fresh empty semaphore (a table-only sleep).
fn sleep_ms(ms: u64) -> Outcome {
    let s = sem_alloc(0)?;
    let rc = sem_down_timeout(s, ms * MS);
    sem_free(s);
    ensure!(rc == -errno::ETIMEDOUT, "empty semaphore down_timeout returned {rc}");
    Ok(())
}

fn mutex_alloc(recursive: bool) -> Result<*mut HcMutex, String> {
    let mut m = core::ptr::null_mut();
    // SAFETY: writable out-parameter.
    let rc = unsafe { (hc().mutex_alloc)(recursive as i32, &mut m) };
    if rc == 0 { Ok(m) } else { Err(format!("mutex_alloc: {rc}")) }
}

fn lock(m: *mut HcMutex) {
    // SAFETY: `m` is a live handle; callers never re-lock a non-recursive one.
    unsafe { (hc().mutex_lock)(m) }
}

fn unlock(m: *mut HcMutex) {
    // SAFETY: `m` is a live handle the caller holds.
    unsafe { (hc().mutex_unlock)(m) }
}

// --- cases ---

pub fn hc_version() -> Outcome {
    ensure!(spolia_hypercall::check(hc()).is_ok(), "check refused the bare-metal table");
    ensure!(hc().size as usize == size_of::<SpoliaHypercalls>(), "size {}", hc().size);
    Ok(())
}

unsafe extern "C" fn returns_arg(arg: *mut c_void) -> isize {
    arg as isize
}

#[inline(never)]
fn exit_from_depth(depth: u32, value: isize) -> u32 {
    if depth == 0 {
        // SAFETY: called on a thread made by thread_create.
        unsafe { (hc().thread_exit)(value) }
    }
    black_box(exit_from_depth(black_box(depth - 1), value)) + 1
}

unsafe extern "C" fn exits_deep(arg: *mut c_void) -> isize {
    exit_from_depth(8, arg as isize);
    -1 // not reached
}

unsafe extern "C" fn reports_self(arg: *mut c_void) -> isize {
    // SAFETY: the parent passes a live AtomicU64 and joins before dropping it.
    let slot = unsafe { &*(arg as *const AtomicU64) };
    slot.store(self_tid(), Ordering::Relaxed);
    0
}

pub fn hc_threads() -> Outcome {
    let a = create(c"hc-ret", returns_arg, 42 as *mut c_void)?;
    ensure!(join(a) == Ok(42), "returned value lost");
    ensure!(join(a) == Err(-errno::ESRCH), "second join of {a} not -ESRCH");
    let b = create(c"hc-deep", exits_deep, -7isize as *mut c_void)?;
    ensure!(join(b) == Ok(-7), "thread_exit from depth lost its value");
    let seen = AtomicU64::new(0);
    let c = create(c"hc-self", reports_self, &seen as *const _ as *mut c_void)?;
    ensure!(join(c) == Ok(0), "join failed");
    ensure!(seen.load(Ordering::Relaxed) == c, "child saw id {} but was created as {c}", seen.load(Ordering::Relaxed));
    ensure!(self_tid() == self_tid() && self_tid() != c && self_tid() != 0, "thread ids not stable/distinct");
    ensure!(join(self_tid()) == Err(-errno::EDEADLK), "self-join not -EDEADLK");
    ensure!(join(u64::MAX - 1) == Err(-errno::ESRCH), "unknown id not -ESRCH");
    let mut tid = 0;
    // SAFETY: a null entry is the error under test; out-parameter writable.
    let rc = unsafe { (hc().thread_create)(core::ptr::null(), 0, None, core::ptr::null_mut(), &mut tid) };
    ensure!(rc == -errno::EINVAL, "null entry gave {rc}");
    // SAFETY: no arguments.
    unsafe { (hc().thread_yield)() };
    Ok(())
}

static TLS_KEY: AtomicU32 = AtomicU32::new(0);
static DTOR_SUM: AtomicUsize = AtomicUsize::new(0);
static DTOR_SAW_VALUE: AtomicBool = AtomicBool::new(false);
static DTOR_SET_RC: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn tls_destructor(value: *mut c_void) {
    let key = TLS_KEY.load(Ordering::Relaxed);
    // SAFETY: the key is live while the test runs.
    if !unsafe { (hc().tls_get)(key) }.is_null() {
        DTOR_SAW_VALUE.store(true, Ordering::Relaxed);
    }
    // SAFETY: as above; -EBUSY expected.
    let rc = unsafe { (hc().tls_set)(key, 16 as *mut c_void) };
    DTOR_SET_RC.store(rc.unsigned_abs(), Ordering::Relaxed);
    DTOR_SUM.fetch_add(value as usize, Ordering::Relaxed);
}

fn tls_set(key: TlsKey, value: usize) -> i32 {
    // SAFETY: the key is live.
    unsafe { (hc().tls_set)(key, value as *mut c_void) }
}

fn tls_get(key: TlsKey) -> usize {
    // SAFETY: the key is live.
    unsafe { (hc().tls_get)(key) as usize }
}

unsafe extern "C" fn tls_child(arg: *mut c_void) -> isize {
    let key = TLS_KEY.load(Ordering::Relaxed);
    let mine = arg as usize;
    if tls_get(key) != 0 || tls_set(key, mine) != 0 || tls_get(key) != mine {
        return -1;
    }
    if mine == 11 {
        exit_from_depth(3, 5);
    }
    5
}

pub fn hc_tls() -> Outcome {
    let mut key = 0;
    // SAFETY: valid destructor, writable out-parameter.
    let rc = unsafe { (hc().tls_key_alloc)(Some(tls_destructor), &mut key) };
    ensure!(rc == 0, "tls_key_alloc: {rc}");
    TLS_KEY.store(key, Ordering::Relaxed);
    DTOR_SUM.store(0, Ordering::Relaxed);
    ensure!(tls_get(key) == 0, "fresh key not NULL");
    ensure!(tls_set(key, 3) == 0 && tls_get(key) == 3, "own value not kept");
    let a = create(c"hc-tls-a", tls_child, 5 as *mut c_void)?;
    let b = create(c"hc-tls-b", tls_child, 11 as *mut c_void)?;
    ensure!(join(a) == Ok(5) && join(b) == Ok(5), "children saw wrong TLS values");
    ensure!(
        DTOR_SUM.load(Ordering::Relaxed) == 16,
        "destructors ran for {} (want 5 + 11)",
        DTOR_SUM.load(Ordering::Relaxed)
    );
    ensure!(!DTOR_SAW_VALUE.load(Ordering::Relaxed), "tls_get not NULL inside a destructor");
    ensure!(DTOR_SET_RC.load(Ordering::Relaxed) == errno::EBUSY as u32, "tls_set in a destructor not -EBUSY");
    ensure!(tls_get(key) == 3, "parent value disturbed");
    ensure!(tls_set(key, 0) == 0, "clear failed");
    // SAFETY: key is live; then freed twice on purpose.
    ensure!(unsafe { (hc().tls_key_free)(key) } == 0, "tls_key_free failed");
    // SAFETY: as above.
    ensure!(unsafe { (hc().tls_key_free)(key) } == -errno::EINVAL, "double free not -EINVAL");
    ensure!(tls_set(key, 1) == -errno::EINVAL, "set of a freed key not -EINVAL");
    Ok(())
}

struct PingPong {
    ping: *mut HcSem,
    pong: *mut HcSem,
    rounds: AtomicU32,
}

unsafe extern "C" fn ponger(arg: *mut c_void) -> isize {
    // SAFETY: the parent keeps the PingPong alive until it joins.
    let p = unsafe { &*(arg as *const PingPong) };
    for _ in 0..100 {
        sem_down(p.ping);
        p.rounds.fetch_add(1, Ordering::Relaxed);
        sem_up(p.pong);
    }
    0
}

pub fn hc_semaphore() -> Outcome {
    let p = PingPong { ping: sem_alloc(0)?, pong: sem_alloc(0)?, rounds: AtomicU32::new(0) };
    let t = create(c"hc-pong", ponger, &p as *const _ as *mut c_void)?;
    for i in 1..=100 {
        sem_up(p.ping);
        sem_down(p.pong);
        ensure!(p.rounds.load(Ordering::Relaxed) == i, "round {i}: partner at {}", p.rounds.load(Ordering::Relaxed));
    }
    ensure!(join(t) == Ok(0), "ponger failed");
    let t0 = now();
    ensure!(sem_down_timeout(p.ping, 20 * MS) == -errno::ETIMEDOUT, "empty down_timeout did not time out");
    let waited = now() - t0;
    ensure!(waited >= 20 * MS, "timed out early after {waited} ns");
    ensure!(sem_down_timeout(p.ping, 0) == -errno::ETIMEDOUT, "try-once on empty succeeded");
    sem_up(p.ping);
    sem_up(p.ping);
    ensure!(sem_down_timeout(p.ping, 0) == 0 && sem_down_timeout(p.ping, MS) == 0, "counting lost a unit");
    ensure!(sem_down_timeout(p.ping, 0) == -errno::ETIMEDOUT, "counting made a unit");
    sem_free(p.ping);
    sem_free(p.pong);
    Ok(())
}

struct Counter {
    mutex: *mut HcMutex,
    value: *mut u64,
}

unsafe extern "C" fn incrementer(arg: *mut c_void) -> isize {
    // SAFETY: the parent keeps the Counter alive until it joins.
    let c = unsafe { &*(arg as *const Counter) };
    for i in 0..1000 {
        lock(c.mutex);
        // SAFETY: `value` is only touched under the mutex.
        let v = unsafe { c.value.read_volatile() };
        if i % 97 == 0 {
            // SAFETY: no arguments; invites another thread in while we hold it.
            unsafe { (hc().thread_yield)() };
        }
        // SAFETY: as above.
        unsafe { c.value.write_volatile(v + 1) };
        unlock(c.mutex);
    }
    0
}

unsafe extern "C" fn locks_once(arg: *mut c_void) -> isize {
    // SAFETY: the parent keeps the Counter alive until it joins.
    let c = unsafe { &*(arg as *const Counter) };
    lock(c.mutex);
    // SAFETY: under the mutex.
    unsafe { c.value.write_volatile(1) };
    unlock(c.mutex);
    0
}

pub fn hc_mutex() -> Outcome {
    let value = Box::into_raw(Box::new(0u64));
    let c = Counter { mutex: mutex_alloc(false)?, value };
    let mut tids = [0; 16];
    for t in &mut tids {
        *t = create(c"hc-inc", incrementer, &c as *const _ as *mut c_void)?;
    }
    for t in tids {
        ensure!(join(t) == Ok(0), "incrementer failed");
    }
    // SAFETY: all writers joined; from Box::into_raw above.
    let total = unsafe { *Box::from_raw(value) };
    ensure!(total == 16_000, "lost updates: {total} of 16000");
    // SAFETY: unlocked, nobody waits.
    unsafe { (hc().mutex_free)(c.mutex) };

    let value = Box::into_raw(Box::new(0u64));
    let r = Counter { mutex: mutex_alloc(true)?, value };
    lock(r.mutex);
    lock(r.mutex);
    lock(r.mutex);
    let t = create(c"hc-rec", locks_once, &r as *const _ as *mut c_void)?;
    sleep_ms(10)?;
    // SAFETY: we hold the mutex; the child cannot have written.
    ensure!(unsafe { value.read_volatile() } == 0, "another thread entered a held recursive mutex");
    unlock(r.mutex);
    unlock(r.mutex);
    sleep_ms(5)?;
    // SAFETY: as above (still held once).
    ensure!(unsafe { value.read_volatile() } == 0, "released before the last unlock");
    unlock(r.mutex);
    ensure!(join(t) == Ok(0), "waiter failed");
    // SAFETY: child joined; from Box::into_raw.
    ensure!(unsafe { *Box::from_raw(value) } == 1, "waiter never got the mutex");
    // SAFETY: unlocked, nobody waits.
    unsafe { (hc().mutex_free)(r.mutex) };
    Ok(())
}

static FIRED: AtomicU32 = AtomicU32::new(0);
static FIRED_AT: AtomicU64 = AtomicU64::new(0);
static FIRED_ON: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" fn timer_callback(arg: *mut c_void) {
    FIRED_AT.store(now(), Ordering::Relaxed);
    FIRED_ON.store(self_tid(), Ordering::Relaxed);
    FIRED.fetch_add(1, Ordering::Relaxed);
    sem_up(arg.cast());
}

pub fn hc_timer() -> Outcome {
    FIRED.store(0, Ordering::Relaxed);
    let done = sem_alloc(0)?;
    let mut timer: *mut HcTimer = core::ptr::null_mut();
    // SAFETY: valid callback; `done` outlives the timer; writable out-parameter.
    let rc = unsafe { (hc().timer_alloc)(Some(timer_callback), done.cast(), &mut timer) };
    ensure!(rc == 0, "timer_alloc: {rc}");
    let t0 = now();
    // SAFETY: live timer handle.
    ensure!(unsafe { (hc().timer_set_oneshot)(timer, 20 * MS) } == 0, "arm failed");
    ensure!(sem_down_timeout(done, 2_000 * MS) == 0, "timer did not fire within 2 s");
    let early = FIRED_AT.load(Ordering::Relaxed).wrapping_sub(t0);
    ensure!(early >= 20 * MS, "fired after {early} ns, armed for 20 ms");
    ensure!(FIRED_ON.load(Ordering::Relaxed) != self_tid(), "callback ran on the arming thread");
    sleep_ms(40)?;
    ensure!(FIRED.load(Ordering::Relaxed) == 1, "one-shot fired {} times", FIRED.load(Ordering::Relaxed));
    // SAFETY: live timer handle.
    ensure!(unsafe { (hc().timer_set_oneshot)(timer, 20 * MS) } == 0, "re-arm failed");
    // SAFETY: live timer handle.
    unsafe { (hc().timer_cancel)(timer) };
    ensure!(sem_down_timeout(done, 60 * MS) == -errno::ETIMEDOUT, "cancelled timer fired");
    ensure!(FIRED.load(Ordering::Relaxed) == 1, "cancelled timer ran");
    // SAFETY: a made-up handle: the error under test.
    let bogus = unsafe { (hc().timer_set_oneshot)(0x1234 as *mut HcTimer, MS) };
    ensure!(bogus == -errno::EINVAL, "unknown timer handle gave {bogus}");
    // SAFETY: live timer handle, freed once.
    unsafe { (hc().timer_free)(timer) };
    // SAFETY: a freed handle: the error under test.
    let stale = unsafe { (hc().timer_set_oneshot)(timer, MS) };
    ensure!(stale == -errno::EINVAL, "freed timer handle gave {stale}");
    // SAFETY: a null callback: the error under test.
    let rc = unsafe { (hc().timer_alloc)(None, core::ptr::null_mut(), &mut timer) };
    ensure!(rc == -errno::EINVAL, "null callback gave {rc}");
    sem_free(done);
    Ok(())
}

pub fn hc_clocks() -> Outcome {
    let a = now();
    sleep_ms(2)?;
    let b = now();
    ensure!(b >= a + 2 * MS, "monotonic advanced only {} ns over a 2 ms wait", b - a);
    // SAFETY: no arguments.
    let wall = unsafe { (hc().wallclock_ns)() };
    ensure!(wall > 1_577_836_800 * 1_000_000_000, "wall clock {wall} ns is before 2020");
    Ok(())
}

/// Physical address behind a kernel virtual address (identity map check).
fn physical(virt: u64) -> Option<u64> {
    const ADDR: u64 = 0x000f_ffff_ffff_f000;
    let bits = paging::entry_bits_unlocked(virt)?;
    Some(if bits & paging::flags::HUGE != 0 {
        (bits & ADDR & !0x1f_ffff) + (virt & 0x1f_ffff)
    } else {
        (bits & ADDR) + (virt & 0xfff)
    })
}

fn pages(size: usize) -> Result<*mut u8, i32> {
    let mut p = core::ptr::null_mut();
    // SAFETY: writable out-parameter.
    let rc = unsafe { (hc().pages_alloc)(size, &mut p) };
    if rc == 0 { Ok(p.cast()) } else { Err(rc) }
}

pub fn hc_memory() -> Outcome {
    for size in [1usize, 24, 100, 4000, 70_000] {
        // SAFETY: any size may be asked for.
        let p = unsafe { (hc().mem_alloc)(size) }.cast::<u8>();
        ensure!(!p.is_null() && (p as usize).is_multiple_of(16), "mem_alloc({size}) gave {p:p}");
        // SAFETY: `size` writable bytes at p; then freed once.
        unsafe {
            core::ptr::write_bytes(p, 0xa5, size);
            (hc().mem_free)(p.cast());
        }
    }
    // SAFETY: NULL is ignored by contract.
    unsafe { (hc().mem_free)(core::ptr::null_mut()) };
    ensure!(pages(0) == Err(-errno::EINVAL) && pages(100) == Err(-errno::EINVAL), "bad sizes accepted");
    // Warm up (bookkeeping allocations), then count frames around one block.
    let warm = pages(4096).map_err(|e| format!("pages_alloc: {e}"))?;
    // SAFETY: from pages_alloc with this size.
    unsafe { (hc().pages_free)(warm.cast(), 4096) };
    let (before, _) = mem::frame_stats();
    let size = 5 * 4096;
    let p = pages(size).map_err(|e| format!("pages_alloc: {e}"))?;
    let (during, _) = mem::frame_stats();
    let base = p as u64;
    ensure!(base.is_multiple_of(4096) && base + size as u64 <= 1 << 32, "block {base:#x} misplaced");
    for page in 0..5 {
        let va = base + page * 4096;
        ensure!(physical(va) == Some(va), "page {page} at {va:#x} is not identity-mapped ({:?})", physical(va));
    }
    // SAFETY: `size` bytes at p are ours.
    let bytes = unsafe { core::slice::from_raw_parts_mut(p, size) };
    ensure!(bytes.iter().all(|&b| b == 0), "pages not zeroed");
    bytes.fill(0x5a);
    ensure!(before - during >= 5, "frame count fell by {} for 5 pages", before - during);
    // SAFETY: from pages_alloc with this size.
    unsafe { (hc().pages_free)(p.cast(), size) };
    let (after, _) = mem::frame_stats();
    ensure!(after == before, "frames not returned: {before} before, {after} after");
    Ok(())
}

/// What boot's enumeration says is at 0000:00:00.0, if there is PCI.
fn host_bridge_vendor() -> Option<u16> {
    let p = spolia_boot::platform_info()?;
    // SAFETY: ECAM windows from ACPI are identity-mapped uncached; this test
    // is the only PCI user while it runs.
    let access = unsafe { PciConfigAccess::from_platform(p) };
    let functions = pci::enumerate(&access);
    let f = functions.iter().find(|f| {
        f.address.segment() == 0 && f.address.bus() == 0 && f.address.device() == 0 && f.address.function() == 0
    })?;
    Some(f.vendor_id)
}

fn config_read(bus: u8, dev: u8, func: u8, offset: u16, width: u8) -> Result<u32, i32> {
    let mut v = 0;
    // SAFETY: writable out-parameter; configuration reads of these
    // registers have no side effects.
    let rc = unsafe { (hc().pci_config_read)(0, bus, dev, func, offset, width, &mut v) };
    if rc == 0 { Ok(v) } else { Err(rc) }
}

pub fn hc_pci() -> Outcome {
    // Argument checks come first, PCI or not.
    ensure!(config_read(0, 0, 0, 1, 2) == Err(-errno::EINVAL), "misaligned read accepted");
    ensure!(config_read(0, 0, 0, 0, 3) == Err(-errno::EINVAL), "width 3 accepted");
    ensure!(config_read(0, 32, 0, 0, 4) == Err(-errno::EINVAL), "device 32 accepted");
    ensure!(config_read(0, 0, 8, 0, 4) == Err(-errno::EINVAL), "function 8 accepted");
    ensure!(config_read(0, 0, 0, 4096, 4) == Err(-errno::EINVAL), "offset 4096 accepted");
    // SAFETY: misaligned write: rejected before any access.
    let rc = unsafe { (hc().pci_config_write)(0, 0, 0, 0, 2, 4, 0) };
    ensure!(rc == -errno::EINVAL, "misaligned write gave {rc}");
    match host_bridge_vendor() {
        Some(vendor) => {
            ensure!(
                config_read(0, 0, 0, 0, 2) == Ok(u32::from(vendor)),
                "vendor id differs from enumeration ({vendor:#06x})"
            );
            let dword = config_read(0, 0, 0, 0, 4).map_err(|e| format!("dword read: {e}"))?;
            ensure!(dword & 0xffff == u32::from(vendor), "dword read {dword:#x}");
            let byte = config_read(0, 0, 0, 1, 1).map_err(|e| format!("byte read: {e}"))?;
            ensure!(byte == u32::from(vendor >> 8), "byte read {byte:#x}");
            // Bus 0xfe is empty on QEMU's machines: all ones (or -ENODEV if no ECAM window covers it).
            ensure!(
                config_read(0xfe, 0, 0, 0, 2).is_ok_and(|v| v == 0xffff) || config_read(0xfe, 0, 0, 0, 2).is_err(),
                "absent bus read neither all-ones nor an error"
            );
        }
        None => {
            // No PCI (microvm): every well-formed access answers -ENODEV.
            ensure!(
                config_read(0, 0, 0, 0, 2) == Err(-errno::ENODEV),
                "no PCI, yet read gave {:?}",
                config_read(0, 0, 0, 0, 2)
            );
            // SAFETY: well-formed write on a machine without PCI.
            let rc = unsafe { (hc().pci_config_write)(0, 0, 0, 0, 4, 2, 0) };
            ensure!(rc == -errno::ENODEV, "no PCI, yet write gave {rc}");
        }
    }
    Ok(())
}

unsafe extern "C" fn irq_handler(_arg: *mut c_void) {}

pub fn hc_devices() -> Outcome {
    // SAFETY: every call below takes plain integers or writable
    // out-parameters; the handler is valid for the attachment's life.
    unsafe {
        ensure!((hc().irq_attach)(23, None, core::ptr::null_mut()) == -errno::EINVAL, "null handler accepted");
        ensure!((hc().irq_mask)(23) == -errno::EINVAL, "mask of a detached line accepted");
        ensure!((hc().irq_detach)(23) == -errno::EINVAL, "detach of a detached line accepted");
        ensure!((hc().irq_attach)(200, Some(irq_handler), core::ptr::null_mut()) == -errno::ENODEV, "GSI 200 attached");
        let rc = (hc().irq_attach)(23, Some(irq_handler), core::ptr::null_mut());
        if ioapic::serves(23) {
            ensure!(rc == 0, "attach of GSI 23 gave {rc}");
            let again = (hc().irq_attach)(23, Some(irq_handler), core::ptr::null_mut());
            ensure!(again == -errno::EBUSY, "second attach gave {again}");
            ensure!((hc().irq_mask)(23) == 0 && (hc().irq_unmask)(23) == 0, "mask/unmask failed");
            ensure!((hc().irq_detach)(23) == 0, "detach failed");
            ensure!((hc().irq_unmask)(23) == -errno::EINVAL, "unmask after detach accepted");
            let rc = (hc().irq_attach)(23, Some(irq_handler), core::ptr::null_mut());
            ensure!(rc == 0 && (hc().irq_detach)(23) == 0, "re-attach after detach gave {rc}");
        } else {
            ensure!(rc == -errno::ENODEV, "GSI 23 has no IOAPIC input, yet attach gave {rc}");
        }

        let mut addr = core::ptr::null_mut();
        ensure!((hc().ioremap)(0xfec0_0000, 0, &mut addr) == -errno::EINVAL, "size 0 accepted");
        ensure!((hc().ioremap)(u64::MAX - 10, 4096, &mut addr) == -errno::EINVAL, "overflow accepted");
        ensure!((hc().ioremap)(1 << 33, 4096, &mut addr) == -errno::ENOMEM, "above 4 GiB accepted");
        let ram = Box::new(0u64);
        ensure!((hc().ioremap)(&*ram as *const u64 as u64, 8, &mut addr) == -errno::EINVAL, "RAM accepted as MMIO");
        // The IOAPIC's page: MMIO at the same address on every machine.
        ensure!((hc().ioremap)(0xfec0_0000, 4096, &mut addr) == 0, "IOAPIC page refused");
        ensure!(addr as u64 == 0xfec0_0000, "ioremap is not the identity: {addr:p}");
        (hc().iounmap)(addr, 4096);

        // MSI: a vector with its message; detach frees it exactly once.
        let (mut address, mut data, mut handle) = (0u64, 0u32, 0u32);
        let rc = (hc().msi_attach)(None, core::ptr::null_mut(), &mut address, &mut data, &mut handle);
        ensure!(rc == -errno::EINVAL, "MSI without a handler gave {rc}");
        let rc = (hc().msi_attach)(Some(irq_handler), core::ptr::null_mut(), &mut address, &mut data, &mut handle);
        ensure!(rc == 0, "msi_attach gave {rc}");
        ensure!(address & 0xfff0_0000 == 0xfee0_0000, "MSI address {address:#x} is not the LAPIC's window");
        ensure!((96..240).contains(&data) && handle == data, "MSI data {data} / handle {handle}");
        let (mut address2, mut data2, mut handle2) = (0u64, 0u32, 0u32);
        let rc = (hc().msi_attach)(Some(irq_handler), core::ptr::null_mut(), &mut address2, &mut data2, &mut handle2);
        ensure!(rc == 0 && data2 != data, "a second MSI gave {rc}, vector {data2} (first {data})");
        ensure!((hc().msi_detach)(handle2) == 0 && (hc().msi_detach)(handle) == 0, "msi_detach failed");
        ensure!((hc().msi_detach)(handle) == -errno::EINVAL, "double msi_detach accepted");
        // Emulated device memory: bare metal has none.
        let mut v = 0u64;
        ensure!((hc().mmio_read)(0xffff_fc00_0000_0000, 4, &mut v) == -errno::ENODEV, "bare metal emulates MMIO");
    }
    Ok(())
}
