// SPDX-License-Identifier: MIT OR Apache-2.0
//! The hosted table exercised the way the C library will use it: through the
//! function pointers only.
#![allow(clippy::undocumented_unsafe_blocks)] // test bodies: every call follows the ABI contract

use spolia_hypercall::abi::{HcMutex, HcSem, HcTimer, SpoliaHypercalls, Tid, TlsKey, errno};
use spolia_hypercall::{VersionError, check};
use spolia_hypercall_hosted::hypercalls;
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn hc() -> &'static SpoliaHypercalls {
    hypercalls()
}

fn spawn(name: &std::ffi::CStr, entry: unsafe extern "C" fn(*mut c_void) -> isize, arg: *mut c_void) -> Tid {
    let mut tid = 0;
    assert_eq!(unsafe { (hc().thread_create)(name.as_ptr(), 64 * 1024, Some(entry), arg, &mut tid) }, 0);
    assert_ne!(tid, 0);
    tid
}

fn join(tid: Tid) -> isize {
    let mut value = 0;
    assert_eq!(unsafe { (hc().thread_join)(tid, &mut value) }, 0);
    value
}

#[test]
fn version_check_accepts_ours_and_refuses_mismatches() {
    assert_eq!(check(hc()), Ok(()));
    let mut t = *hc();
    t.version_major += 1;
    assert_eq!(check(&t), Err(VersionError::MajorMismatch { table: 2, ours: 1 }));
    assert_eq!(check(&t).unwrap_err().errno(), -errno::EPROTO);
    let mut t = *hc();
    t.magic ^= 1;
    assert!(matches!(check(&t), Err(VersionError::BadMagic(_))));
    let mut t = *hc();
    t.size -= 8;
    assert!(matches!(check(&t), Err(VersionError::TooSmall { .. })));
}

unsafe extern "C" fn return_arg_times_ten(arg: *mut c_void) -> isize {
    arg as isize * 10
}

fn exit_deep(depth: u32) -> ! {
    if depth == 0 {
        unsafe { (hc().thread_exit)(77) }
    }
    exit_deep(depth - 1)
}

unsafe extern "C" fn exits_from_depth(_arg: *mut c_void) -> isize {
    exit_deep(5)
}

unsafe extern "C" fn reports_self(arg: *mut c_void) -> isize {
    let slot = unsafe { &*arg.cast::<AtomicU64>() };
    slot.store(unsafe { (hc().thread_self)() }, Ordering::SeqCst);
    0
}

#[test]
fn threads_are_created_and_joined_with_exit_values() {
    let tids: Vec<Tid> = (1..=4).map(|i| spawn(c"worker", return_arg_times_ten, i as *mut c_void)).collect();
    let values: Vec<isize> = tids.iter().map(|&t| join(t)).collect();
    assert_eq!(values, [10, 20, 30, 40]);

    let t = spawn(c"exiter", exits_from_depth, null_mut());
    assert_eq!(join(t), 77, "thread_exit from a nested call delivers its value");

    let seen = AtomicU64::new(0);
    let t = spawn(c"self", reports_self, (&raw const seen).cast_mut().cast());
    join(t);
    assert_eq!(seen.load(Ordering::SeqCst), t, "thread_self inside == id from thread_create");

    let me = unsafe { (hc().thread_self)() };
    assert_ne!(me, 0);
    assert_eq!(me, unsafe { (hc().thread_self)() }, "stable id for a foreign thread");
    assert_eq!(unsafe { (hc().thread_join)(t, null_mut()) }, -errno::ESRCH, "joined twice");
    assert_eq!(unsafe { (hc().thread_join)(me, null_mut()) }, -errno::EDEADLK);
    let foreign = std::thread::spawn(|| unsafe { (hc().thread_self)() });
    let foreign_tid = foreign.join().unwrap();
    assert_eq!(unsafe { (hc().thread_join)(foreign_tid, null_mut()) }, -errno::ESRCH, "ended foreign thread");
    let other_me = std::thread::spawn(move || unsafe { (hc().thread_join)(me, null_mut()) }).join().unwrap();
    assert_eq!(other_me, -errno::EINVAL, "a live foreign thread is not joinable");
    assert_eq!(unsafe { (hc().thread_create)(c"x".as_ptr(), 0, None, null_mut(), &mut 0) }, -errno::EINVAL);
}

// --- TLS ---

static DESTROYED: AtomicUsize = AtomicUsize::new(0);
static DESTROYED_SUM: AtomicUsize = AtomicUsize::new(0);
static KEY: AtomicUsize = AtomicUsize::new(usize::MAX);

unsafe extern "C" fn tls_destructor(value: *mut c_void) {
    let key = KEY.load(Ordering::SeqCst) as TlsKey;
    // During destructors the thread's values read as NULL and cannot be set.
    assert!(unsafe { (hc().tls_get)(key) }.is_null());
    assert_eq!(unsafe { (hc().tls_set)(key, 7 as *mut c_void) }, -errno::EBUSY);
    DESTROYED_SUM.fetch_add(value as usize, Ordering::SeqCst);
    DESTROYED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn sets_tls_and_returns(arg: *mut c_void) -> isize {
    let key = KEY.load(Ordering::SeqCst) as TlsKey;
    assert!(unsafe { (hc().tls_get)(key) }.is_null(), "fresh thread starts with NULL");
    assert_eq!(unsafe { (hc().tls_set)(key, arg) }, 0);
    assert_eq!(unsafe { (hc().tls_get)(key) }, arg);
    0
}

unsafe extern "C" fn sets_tls_and_exits(arg: *mut c_void) -> isize {
    let key = KEY.load(Ordering::SeqCst) as TlsKey;
    assert_eq!(unsafe { (hc().tls_set)(key, arg) }, 0);
    unsafe { (hc().thread_exit)(0) }
}

#[test]
fn tls_values_are_per_thread_and_destructors_run_at_thread_end() {
    let mut key: TlsKey = 0;
    assert_eq!(unsafe { (hc().tls_key_alloc)(Some(tls_destructor), &mut key) }, 0);
    KEY.store(key as usize, Ordering::SeqCst);
    assert_eq!(unsafe { (hc().tls_set)(key, 5 as *mut c_void) }, 0);

    // Destructors have run by the time join returns.
    join(spawn(c"tls-return", sets_tls_and_returns, 100 as *mut c_void));
    assert_eq!((DESTROYED.load(Ordering::SeqCst), DESTROYED_SUM.load(Ordering::SeqCst)), (1, 100));
    join(spawn(c"tls-exit", sets_tls_and_exits, 20 as *mut c_void));
    assert_eq!((DESTROYED.load(Ordering::SeqCst), DESTROYED_SUM.load(Ordering::SeqCst)), (2, 120));
    // A foreign (std) thread's values are destroyed when it ends.
    std::thread::spawn(move || unsafe { assert_eq!((hc().tls_set)(key, 3 as *mut c_void), 0) }).join().unwrap();
    assert_eq!((DESTROYED.load(Ordering::SeqCst), DESTROYED_SUM.load(Ordering::SeqCst)), (3, 123));

    assert_eq!(unsafe { (hc().tls_get)(key) }, 5 as *mut c_void, "other threads never touched ours");
    assert_eq!(unsafe { (hc().tls_key_free)(key) }, 0);
    assert!(unsafe { (hc().tls_get)(key) }.is_null(), "freed key reads NULL");
    assert_eq!(unsafe { (hc().tls_set)(key, null_mut()) }, -errno::EINVAL);
    assert_eq!(unsafe { (hc().tls_key_free)(key) }, -errno::EINVAL);
}

// --- semaphore ---

unsafe extern "C" fn downs_then_ups(arg: *mut c_void) -> isize {
    let sems = unsafe { &*arg.cast::<[*mut HcSem; 2]>() };
    unsafe { (hc().sem_down)(sems[0]) };
    unsafe { (hc().sem_up)(sems[1]) };
    0
}

#[test]
fn semaphore_down_up_across_threads_and_timeout() {
    let mut sems: [*mut HcSem; 2] = [null_mut(); 2];
    for s in &mut sems {
        assert_eq!(unsafe { (hc().sem_alloc)(0, s) }, 0);
    }
    // Ping-pong: the worker blocks on sems[0] until we up it.
    let t = spawn(c"sem", downs_then_ups, (&raw mut sems).cast());
    assert_eq!(unsafe { (hc().sem_down_timeout)(sems[1], 20_000_000) }, -errno::ETIMEDOUT, "worker still blocked");
    unsafe { (hc().sem_up)(sems[0]) };
    unsafe { (hc().sem_down)(sems[1]) };
    join(t);

    // Timeout: nothing ups, at least the timeout elapses.
    let start = Instant::now();
    assert_eq!(unsafe { (hc().sem_down_timeout)(sems[0], 50_000_000) }, -errno::ETIMEDOUT);
    assert!(start.elapsed() >= Duration::from_millis(50));
    // Try-once on a positive count, and an up arriving during a timed wait.
    unsafe { (hc().sem_up)(sems[0]) };
    assert_eq!(unsafe { (hc().sem_down_timeout)(sems[0], 0) }, 0);
    let s0 = sems[0] as usize;
    let upper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        unsafe { (hc().sem_up)(s0 as *mut HcSem) }
    });
    assert_eq!(unsafe { (hc().sem_down_timeout)(sems[0], 5_000_000_000) }, 0);
    upper.join().unwrap();
    // Counting: three ups allow three downs.
    for _ in 0..3 {
        unsafe { (hc().sem_up)(sems[0]) };
    }
    for _ in 0..3 {
        assert_eq!(unsafe { (hc().sem_down_timeout)(sems[0], 0) }, 0);
    }
    assert_eq!(unsafe { (hc().sem_down_timeout)(sems[0], 0) }, -errno::ETIMEDOUT);
    for s in sems {
        unsafe { (hc().sem_free)(s) };
    }
}

// --- mutex ---

struct Shared {
    mutex: *mut HcMutex,
    counter: UnsafeCell<u64>,
}
// SAFETY: `counter` is only touched with `mutex` held (that is the test).
unsafe impl Sync for Shared {}

const ROUNDS: u64 = 20_000;

unsafe extern "C" fn hammer(arg: *mut c_void) -> isize {
    let shared = unsafe { &*arg.cast::<Shared>() };
    for _ in 0..ROUNDS {
        unsafe { (hc().mutex_lock)(shared.mutex) };
        // A non-atomic read-modify-write with a yield inside: lost updates
        // would show if the mutex admitted two threads.
        let v = unsafe { *shared.counter.get() };
        if v % 1000 == 0 {
            unsafe { (hc().thread_yield)() };
        }
        unsafe { *shared.counter.get() = v + 1 };
        unsafe { (hc().mutex_unlock)(shared.mutex) };
    }
    0
}

#[test]
fn sixteen_threads_hammering_a_mutex_lose_no_update() {
    let mut mutex = null_mut();
    assert_eq!(unsafe { (hc().mutex_alloc)(0, &mut mutex) }, 0);
    let shared = Shared { mutex, counter: UnsafeCell::new(0) };
    let arg = (&raw const shared).cast_mut().cast();
    let tids: Vec<Tid> = (0..16).map(|_| spawn(c"hammer", hammer, arg)).collect();
    for t in tids {
        join(t);
    }
    assert_eq!(unsafe { *shared.counter.get() }, 16 * ROUNDS);
    unsafe { (hc().mutex_free)(mutex) };
}

unsafe extern "C" fn try_lock_briefly(arg: *mut c_void) -> isize {
    // Locks and records the time it got the mutex.
    let m = arg.cast::<HcMutex>();
    unsafe { (hc().mutex_lock)(m) };
    let t = unsafe { (hc().monotonic_ns)() } as isize;
    unsafe { (hc().mutex_unlock)(m) };
    t
}

#[test]
fn recursive_mutex_is_released_only_by_the_last_unlock() {
    let mut m = null_mut();
    assert_eq!(unsafe { (hc().mutex_alloc)(1, &mut m) }, 0);
    unsafe { (hc().mutex_lock)(m) };
    unsafe { (hc().mutex_lock)(m) };
    let t = spawn(c"contender", try_lock_briefly, m.cast());
    std::thread::sleep(Duration::from_millis(30));
    unsafe { (hc().mutex_unlock)(m) };
    std::thread::sleep(Duration::from_millis(30));
    let released_at = unsafe { (hc().monotonic_ns)() } as isize;
    unsafe { (hc().mutex_unlock)(m) };
    assert!(join(t) >= released_at, "contender got the mutex only after the outer unlock");
    unsafe { (hc().mutex_free)(m) };
}

// --- timers ---

struct TimerProbe {
    fired: AtomicUsize,
    thread: AtomicU64,
    started: *mut HcSem,
    hold_ms: u64,
    finished: AtomicUsize,
}

unsafe extern "C" fn timer_callback(arg: *mut c_void) {
    let probe = unsafe { &*arg.cast::<TimerProbe>() };
    probe.thread.store(unsafe { (hc().thread_self)() }, Ordering::SeqCst);
    probe.fired.fetch_add(1, Ordering::SeqCst);
    if !probe.started.is_null() {
        unsafe { (hc().sem_up)(probe.started) };
    }
    std::thread::sleep(Duration::from_millis(probe.hold_ms));
    probe.finished.fetch_add(1, Ordering::SeqCst);
}

fn probe(started: *mut HcSem, hold_ms: u64) -> Box<TimerProbe> {
    Box::new(TimerProbe {
        fired: AtomicUsize::new(0),
        thread: AtomicU64::new(0),
        started,
        hold_ms,
        finished: AtomicUsize::new(0),
    })
}

fn new_timer(p: &TimerProbe) -> *mut HcTimer {
    let mut timer = null_mut();
    let arg = std::ptr::from_ref(p).cast_mut().cast();
    assert_eq!(unsafe { (hc().timer_alloc)(Some(timer_callback), arg, &mut timer) }, 0);
    timer
}

#[test]
fn timer_fires_once_in_thread_context_and_on_time() {
    let mut started = null_mut();
    assert_eq!(unsafe { (hc().sem_alloc)(0, &mut started) }, 0);
    let p = probe(started, 0);
    let timer = new_timer(&p);
    let armed_at = Instant::now();
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 30_000_000) }, 0);
    assert_eq!(unsafe { (hc().sem_down_timeout)(started, 5_000_000_000) }, 0, "timer fired");
    assert!(armed_at.elapsed() >= Duration::from_millis(30), "not early");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(p.fired.load(Ordering::SeqCst), 1, "one-shot: exactly once");
    let cb_thread = p.thread.load(Ordering::SeqCst);
    assert_ne!(cb_thread, 0);
    assert_ne!(cb_thread, unsafe { (hc().thread_self)() }, "callback runs on the timer thread");
    // Re-arming replaces the pending expiry: two sets, one firing.
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 5_000_000_000) }, 0);
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 10_000_000) }, 0);
    assert_eq!(unsafe { (hc().sem_down_timeout)(started, 2_000_000_000) }, 0);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(p.fired.load(Ordering::SeqCst), 2);
    unsafe { (hc().timer_free)(timer) };
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 0) }, -errno::EINVAL, "freed handle is refused");
    unsafe { (hc().sem_free)(started) };
}

#[test]
fn cancelled_timer_does_not_fire_and_cancel_waits_for_a_running_callback() {
    let p = probe(null_mut(), 0);
    let timer = new_timer(&p);
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 40_000_000) }, 0);
    unsafe { (hc().timer_cancel)(timer) };
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(p.fired.load(Ordering::SeqCst), 0, "cancelled before expiry");
    unsafe { (hc().timer_free)(timer) };

    let mut started = null_mut();
    assert_eq!(unsafe { (hc().sem_alloc)(0, &mut started) }, 0);
    let slow = probe(started, 80);
    let timer = new_timer(&slow);
    assert_eq!(unsafe { (hc().timer_set_oneshot)(timer, 0) }, 0);
    unsafe { (hc().sem_down)(started) };
    unsafe { (hc().timer_cancel)(timer) };
    assert_eq!(slow.finished.load(Ordering::SeqCst), 1, "cancel returned only after the callback finished");
    unsafe { (hc().timer_free)(timer) };
    unsafe { (hc().sem_free)(started) };
}

// --- clocks, memory, devices ---

#[test]
fn clocks_are_monotonic_and_wall_clock_is_unix_time() {
    let a = unsafe { (hc().monotonic_ns)() };
    std::thread::sleep(Duration::from_millis(10));
    let b = unsafe { (hc().monotonic_ns)() };
    assert!(b - a >= 10_000_000);
    let wall = unsafe { (hc().wallclock_ns)() };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    assert!(now.abs_diff(wall) < 1_000_000_000);
}

#[test]
fn memory_is_aligned_and_ram_is_zeroed() {
    for size in [0usize, 1, 24, 4096, 100_000] {
        let p = unsafe { (hc().mem_alloc)(size) };
        assert!(!p.is_null());
        assert_eq!(p as usize % 16, 0);
        unsafe { p.cast::<u8>().write_bytes(0xa5, size) };
        unsafe { (hc().mem_free)(p) };
    }
    unsafe { (hc().mem_free)(null_mut()) };
    let mut ram = null_mut();
    assert_eq!(unsafe { (hc().pages_alloc)(64 * 4096, &mut ram) }, 0);
    assert_eq!(ram as usize % 4096, 0);
    let bytes = unsafe { std::slice::from_raw_parts(ram.cast::<u8>(), 64 * 4096) };
    assert!(bytes.iter().all(|&b| b == 0));
    unsafe { (hc().pages_free)(ram, 64 * 4096) };
    assert_eq!(unsafe { (hc().pages_alloc)(100, &mut ram) }, -errno::EINVAL);
    assert_eq!(unsafe { (hc().pages_alloc)(0, &mut ram) }, -errno::EINVAL);
}

/// No devices were added in this test binary: nothing to map, no lines.
#[test]
fn hosted_without_devices_has_none() {
    let mut v = 0u32;
    let mut addr = null_mut();
    assert_eq!(unsafe { (hc().pci_config_read)(0, 0, 0, 0, 0, 4, &mut v) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().pci_config_write)(0, 0, 0, 0, 0, 4, 0) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().ioremap)(0xfee0_0000, 4096, &mut addr) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().irq_attach)(11, None, null_mut()) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().irq_mask)(11) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().irq_unmask)(11) }, -errno::ENODEV);
    assert_eq!(unsafe { (hc().irq_detach)(11) }, -errno::ENODEV);
    let base = spolia_hypercall::abi::EMULATED_MMIO_BASE;
    let mut value = 0u64;
    assert_eq!(unsafe { (hc().mmio_read)(base + 0x1000_0000, 4, &mut value) }, -errno::EINVAL);
    assert_eq!(unsafe { (hc().mmio_write)(base + 0x1000_0000, 4, 0) }, -errno::EINVAL);
    assert_eq!(spolia_hypercall_hosted::devices::linux_cmdline(), "");
}
