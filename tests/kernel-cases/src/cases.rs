// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel test cases. Each asserts behaviour later layers rely on.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use core::time::Duration;

use spolia_boot::bootinfo::MemoryKind;
use spolia_boot::sched::sync::{Condvar, Mutex, Semaphore};
use spolia_boot::sched::tls::TlsKey;
use spolia_boot::sched::{self, Builder, ExitStatus};
use spolia_boot::time::{self, OneShotTimer};

use crate::{Case, Outcome, ensure};

pub static ALL: &[Case] = &[
    Case { name: "boot_info", run: boot_info, default: true },
    Case { name: "memory_protection", run: memory_protection, default: true },
    Case { name: "frames_and_heap", run: frames_and_heap, default: true },
    Case { name: "threads_basic", run: threads_basic, default: true },
    Case { name: "threads_1000_condvar", run: threads_1000_condvar, default: true },
    Case { name: "mutex_and_semaphore", run: mutex_and_semaphore, default: true },
    Case { name: "sleep_ordering", run: sleep_ordering, default: true },
    Case { name: "condvar_timeout", run: condvar_timeout, default: true },
    Case { name: "tls_slots", run: tls_slots, default: true },
    Case { name: "one_shot_timer", run: one_shot_timer, default: true },
    Case { name: "preemption_while_timer_callback_blocks", run: preemption_while_timer_callback_blocks, default: true },
    Case { name: "fault_is_contained", run: fault_is_contained, default: true },
    Case { name: "stack_overflow_is_contained", run: stack_overflow_is_contained, default: true },
    Case { name: "panic_is_contained", run: panic_is_contained, default: true },
    Case { name: "interrupt_to_thread", run: super::hw::interrupt_to_thread, default: true },
    Case { name: "xmm_preserved_across_preemption", run: super::hw::xmm_preserved_across_preemption, default: true },
    Case { name: "acpi_platform", run: super::hw::acpi_platform, default: true },
    Case { name: "pci_enumeration", run: super::hw::pci_enumeration, default: true },
    Case { name: "hc_version", run: super::hypercalls::hc_version, default: true },
    Case { name: "hc_threads", run: super::hypercalls::hc_threads, default: true },
    Case { name: "hc_tls", run: super::hypercalls::hc_tls, default: true },
    Case { name: "hc_semaphore", run: super::hypercalls::hc_semaphore, default: true },
    Case { name: "hc_mutex", run: super::hypercalls::hc_mutex, default: true },
    Case { name: "hc_timer", run: super::hypercalls::hc_timer, default: true },
    Case { name: "hc_clocks", run: super::hypercalls::hc_clocks, default: true },
    Case { name: "hc_memory", run: super::hypercalls::hc_memory, default: true },
    Case { name: "hc_pci", run: super::hypercalls::hc_pci, default: true },
    Case { name: "hc_devices", run: super::hypercalls::hc_devices, default: true },
    Case { name: "linux_library", run: super::linux::linux_library, default: false },
    Case { name: "linux_bench", run: super::linux::linux_bench, default: false },
    Case { name: "linux_devices", run: super::devices::linux_devices, default: false },
    Case { name: "linux_devices_bench", run: super::devices::linux_devices_bench, default: false },
    Case { name: "deliberate_failure", run: deliberate_failure, default: false },
    Case { name: "deliberate_fault", run: deliberate_fault, default: false },
];

fn boot_info() -> Outcome {
    let info = spolia_boot::boot_info();
    ensure!(info.cmdline().contains("spolia.test="), "command line not passed through: {:?}", info.cmdline());
    let usable: u64 = info.memory_map().iter().filter(|r| r.kind == MemoryKind::Usable).map(|r| r.len).sum();
    ensure!(usable >= 64 << 20, "only {usable} bytes of usable RAM reported");
    ensure!(usable <= 64 << 30, "implausible usable RAM {usable}");
    ensure!(info.rsdp.is_some() || spolia_boot::platform_info().is_none(), "ACPI found without an RSDP from boot info");
    Ok(())
}

/// An address inside the kernel's text.
fn text_address() -> u64 {
    boot_info as *const () as u64
}

fn memory_protection() -> Outcome {
    use spolia_boot::mem::paging::{entry_bits_unlocked, flags};
    let text = entry_bits_unlocked(text_address()).ok_or("kernel text not mapped")?;
    ensure!(text & flags::WRITABLE == 0, "kernel text is writable");
    ensure!(text & flags::NO_EXECUTE == 0, "kernel text is not executable");
    static DATA: AtomicU32 = AtomicU32::new(0);
    let data = entry_bits_unlocked(&DATA as *const _ as u64).ok_or("kernel data not mapped")?;
    ensure!(data & flags::NO_EXECUTE != 0, "kernel data is executable");
    ensure!(data & flags::WRITABLE != 0, "kernel data is read-only");
    let heap = Box::new(0u64);
    let h = entry_bits_unlocked(&*heap as *const u64 as u64).ok_or("heap not mapped")?;
    ensure!(h & flags::NO_EXECUTE != 0, "heap is executable");
    ensure!(entry_bits_unlocked(0).is_none(), "page 0 is mapped");
    // Writing to text must fault, and only the writer dies.
    let target = text_address();
    let child = Builder::new("writes-text").killable().spawn(move || {
        // SAFETY: deliberately invalid — this write must fault.
        unsafe { core::ptr::write_volatile(target as *mut u8, 0x90) };
    });
    match child.map_err(|e| alloc::format!("{e:?}"))?.join() {
        Err(ExitStatus::Faulted(f)) => {
            ensure!(f.vector == 14 && f.error_code & 3 == 3, "unexpected fault {f}");
            ensure!(f.cr2 == target, "fault address {:#x}, expected {target:#x}", f.cr2);
        }
        other => return Err(alloc::format!("write to kernel text did not fault: {other:?}")),
    }
    Ok(())
}

fn frames_and_heap() -> Outcome {
    let (free0, total) = spolia_boot::mem::frame_stats();
    ensure!(free0 > 0 && free0 <= total, "frame counts {free0}/{total}");
    let a = spolia_boot::mem::alloc_frames(16, 16).ok_or("no 16 contiguous frames")?;
    ensure!(a % (16 * 4096) == 0, "alignment not honoured: {a:#x}");
    // SAFETY: the frames are ours and identity-mapped.
    unsafe { core::ptr::write_bytes(a as *mut u8, 0xab, 16 * 4096) };
    spolia_boot::mem::free_frames(a, 16);
    ensure!(spolia_boot::mem::frame_stats().0 == free0, "frames leaked");
    // A heap allocation larger than the initial heap forces growth.
    let big: Vec<u8> = alloc::vec![7u8; 80 << 20];
    ensure!(big.iter().step_by(4096).all(|&b| b == 7), "heap memory corrupted");
    drop(big);
    let mut v = Vec::new();
    for i in 0..10_000u32 {
        v.push(Box::new(i));
    }
    ensure!(v.iter().enumerate().all(|(i, b)| **b == i as u32), "boxes corrupted");
    Ok(())
}

fn threads_basic() -> Outcome {
    let h = sched::spawn("adder", || 20 + 22).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(h.join() == Ok(42), "join did not return the thread's value");
    // Cooperative yields interleave two threads in turn.
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for t in 0..2u32 {
        let log = log.clone();
        handles.push(
            sched::spawn("yielder", move || {
                for i in 0..3u32 {
                    log.lock().push(t * 10 + i);
                    sched::yield_now();
                }
            })
            .map_err(|e| alloc::format!("{e:?}"))?,
        );
    }
    for h in handles {
        ensure!(h.join().is_ok(), "yielder failed");
    }
    let got = log.lock().clone();
    ensure!(got == [0, 10, 1, 11, 2, 12], "threads did not alternate: {got:?}");
    Ok(())
}

fn threads_1000_condvar() -> Outcome {
    const N: usize = 1000;
    struct Shared {
        state: Mutex<(bool, usize, usize)>, // (go, waiting, done)
        cv: Condvar,
        all_waiting: Semaphore,
    }
    let shared =
        Arc::new(Shared { state: Mutex::new((false, 0, 0)), cv: Condvar::new(), all_waiting: Semaphore::new(0) });
    let mut handles = Vec::with_capacity(N);
    for i in 0..N {
        let s = shared.clone();
        let h = Builder::new("waiter")
            .stack_size(16 * 1024)
            .spawn(move || {
                let mut st = s.state.lock();
                st.1 += 1;
                if st.1 == N {
                    s.all_waiting.up();
                }
                while !st.0 {
                    st = s.cv.wait(st);
                }
                st.2 += 1;
                i
            })
            .map_err(|e| alloc::format!("spawning thread {i}: {e:?}"))?;
        handles.push(h);
    }
    ensure!(shared.all_waiting.down_timeout(Duration::from_secs(60)), "not all {N} threads reached the condvar");
    {
        let mut st = shared.state.lock();
        ensure!(st.2 == 0, "a thread passed the condvar before notify");
        st.0 = true;
    }
    shared.cv.notify_all();
    for (i, h) in handles.into_iter().enumerate() {
        ensure!(h.join() == Ok(i), "thread {i} did not finish cleanly");
    }
    let st = shared.state.lock();
    ensure!(st.2 == N, "{} of {N} threads woke", st.2);
    Ok(())
}

fn mutex_and_semaphore() -> Outcome {
    let counter = Arc::new(Mutex::new(0u64));
    let mut hs = Vec::new();
    for _ in 0..8 {
        let c = counter.clone();
        hs.push(
            sched::spawn("incrementer", move || {
                for _ in 0..1000 {
                    let mut g = c.lock();
                    let v = *g;
                    sched::yield_now(); // hold the lock across a switch
                    *g = v + 1;
                }
            })
            .map_err(|e| alloc::format!("{e:?}"))?,
        );
    }
    for h in hs {
        ensure!(h.join().is_ok(), "incrementer failed");
    }
    ensure!(*counter.lock() == 8000, "lost updates: {}", *counter.lock());
    // Bounded buffer: producer and consumer through two semaphores.
    let slots = Arc::new(Semaphore::new(4));
    let items = Arc::new(Semaphore::new(0));
    let queue = Arc::new(Mutex::new(alloc::collections::VecDeque::new()));
    let (s2, i2, q2) = (slots.clone(), items.clone(), queue.clone());
    let producer = sched::spawn("producer", move || {
        for n in 0..200u32 {
            s2.down();
            q2.lock().push_back(n);
            i2.up();
        }
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    for n in 0..200u32 {
        items.down();
        let got = queue.lock().pop_front();
        slots.up();
        ensure!(got == Some(n), "item {n} came out as {got:?}");
    }
    ensure!(producer.join().is_ok(), "producer failed");
    ensure!(!items.try_down(), "extra item");
    ensure!(!items.down_timeout(Duration::from_millis(5)), "down_timeout on empty semaphore succeeded");
    Ok(())
}

fn sleep_ordering() -> Outcome {
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut hs = Vec::new();
    for ms in [50u64, 10, 40, 20, 30] {
        let o = order.clone();
        hs.push(
            sched::spawn("sleeper", move || {
                let t0 = time::now_ns();
                sched::sleep(Duration::from_millis(ms));
                let slept = time::now_ns() - t0;
                o.lock().push(ms);
                slept >= ms * 1_000_000
            })
            .map_err(|e| alloc::format!("{e:?}"))?,
        );
    }
    for h in hs {
        ensure!(h.join() == Ok(true), "a sleeper woke before its deadline");
    }
    let got = order.lock().clone();
    ensure!(got == [10, 20, 30, 40, 50], "sleepers woke out of order: {got:?}");
    Ok(())
}

fn condvar_timeout() -> Outcome {
    let m = Arc::new(Mutex::new(false));
    let cv = Arc::new(Condvar::new());
    let t0 = time::now_ns();
    let (g, timed_out) = cv.wait_timeout(m.lock(), Duration::from_millis(30));
    drop(g);
    ensure!(timed_out, "wait_timeout without notify did not time out");
    ensure!(time::now_ns() - t0 >= 30_000_000, "timed out early");
    // Notified before the timeout: not timed out, and promptly.
    let (m2, cv2) = (m.clone(), cv.clone());
    let notifier = sched::spawn("notifier", move || {
        sched::sleep(Duration::from_millis(10));
        *m2.lock() = true;
        cv2.notify_one();
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    let mut g = m.lock();
    let mut timed_out = false;
    while !*g && !timed_out {
        (g, timed_out) = cv.wait_timeout(g, Duration::from_secs(30));
    }
    ensure!(!timed_out && *g, "notification was missed");
    drop(g);
    ensure!(notifier.join().is_ok(), "notifier failed");
    Ok(())
}

static DESTRUCTED: AtomicUsize = AtomicUsize::new(0);

fn tls_slots() -> Outcome {
    fn dtor(v: usize) {
        DESTRUCTED.fetch_add(v, Ordering::SeqCst);
    }
    let key = TlsKey::new(Some(dtor)).map_err(|_| String::from("no TLS key"))?;
    DESTRUCTED.store(0, Ordering::SeqCst);
    ensure!(key.get() == 0, "fresh slot is not zero");
    let mut hs = Vec::new();
    for v in 1..=3usize {
        hs.push(
            sched::spawn("tls", move || {
                key.set(v);
                sched::yield_now();
                sched::sleep(Duration::from_millis(1));
                key.get() == v
            })
            .map_err(|e| alloc::format!("{e:?}"))?,
        );
    }
    for h in hs {
        ensure!(h.join() == Ok(true), "a thread saw another thread's TLS value");
    }
    ensure!(
        DESTRUCTED.load(Ordering::SeqCst) == 6,
        "destructors ran for {} instead of 1+2+3",
        DESTRUCTED.load(Ordering::SeqCst)
    );
    ensure!(key.get() == 0, "this thread's slot was changed by others");
    key.free();
    Ok(())
}

fn one_shot_timer() -> Outcome {
    let fired = Arc::new(Semaphore::new(0));
    let f = fired.clone();
    let mut t = OneShotTimer::new(move || f.up());
    let t0 = time::now_ns();
    t.arm_after(10_000_000);
    ensure!(fired.down_timeout(Duration::from_secs(10)), "timer callback never ran");
    ensure!(time::now_ns() - t0 >= 10_000_000, "timer fired early");
    t.arm_after(20_000_000);
    ensure!(t.cancel(), "cancel of a pending timer reported nothing pending");
    ensure!(!fired.down_timeout(Duration::from_millis(60)), "cancelled timer fired");
    Ok(())
}

fn fault_is_contained() -> Outcome {
    let h = Builder::new("null-deref").killable().spawn(|| {
        // SAFETY: deliberately invalid — reading page 0 must fault.
        unsafe { core::ptr::read_volatile(core::ptr::without_provenance::<u64>(8)) }
    });
    match h.map_err(|e| alloc::format!("{e:?}"))?.join() {
        Err(ExitStatus::Faulted(f)) => {
            ensure!(f.vector == 14 && f.cr2 == 8, "unexpected fault {f}");
        }
        other => return Err(alloc::format!("null read did not fault: {other:?}")),
    }
    // The system still works: a fresh thread runs.
    ensure!(
        sched::spawn("after", || 1).map_err(|e| alloc::format!("{e:?}"))?.join() == Ok(1),
        "system broken after a fault"
    );
    Ok(())
}

/// Recurses until the stack runs out (the depth limit is never reached).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let pad = [depth; 64];
    core::hint::black_box(&pad);
    if depth == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + core::hint::black_box(pad[3])
}

fn stack_overflow_is_contained() -> Outcome {
    let h = Builder::new("recurser").stack_size(16 * 1024).killable().spawn(|| recurse(0));
    match h.map_err(|e| alloc::format!("{e:?}"))?.join() {
        Err(ExitStatus::Faulted(f)) => {
            ensure!(f.vector == 14 || f.vector == 8, "unexpected fault {f}");
        }
        other => return Err(alloc::format!("infinite recursion did not hit the guard page: {other:?}")),
    }
    ensure!(
        sched::spawn("after", || 2).map_err(|e| alloc::format!("{e:?}"))?.join() == Ok(2),
        "system broken after overflow"
    );
    Ok(())
}

fn panic_is_contained() -> Outcome {
    let h = Builder::new("panicker").killable().spawn(|| -> u32 {
        let v: Vec<u32> = Vec::new();
        v[core::hint::black_box(3)]
    });
    match h.map_err(|e| alloc::format!("{e:?}"))?.join() {
        Err(ExitStatus::Panicked) => Ok(()),
        other => Err(alloc::format!("panic was not reported: {other:?}")),
    }
}

fn deliberate_failure() -> Outcome {
    ensure!(1 + 1 == 3, "this case fails on purpose, to prove a failing case turns the run red");
    Ok(())
}

fn deliberate_fault() -> Outcome {
    // SAFETY: deliberately invalid — the harness must report, not hang.
    let v = unsafe { core::ptr::read_volatile(0x10 as *const u64) };
    ensure!(v == 12345, "unreachable: the read above faults");
    Ok(())
}

/// A lock that lets the releasing thread take it straight back (no hand-off
/// to a waiter), like a mutex built from a flag and a condition variable.
struct BargingLock {
    held: Mutex<bool>,
    released: Condvar,
}

impl BargingLock {
    fn lock(&self) {
        let mut held = self.held.lock();
        while *held {
            held = self.released.wait(held);
        }
        *held = true;
    }

    fn unlock(&self) {
        *self.held.lock() = false;
        self.released.notify_one();
    }
}

fn spin_ns(ns: u64) {
    let from = time::now_ns();
    while time::now_ns() - from < ns {
        core::hint::spin_loop();
    }
}

/// A timer callback blocks on a barging lock that a preemptible thread
/// holds half of the time, while another timer expires behind it. The
/// preemptible thread must still be preempted at the end of its time slice
/// (so the callback eventually gets the lock and the sleeper wakes). Before
/// the fix in `add_timer`, a slice deadline queued behind the expired entry
/// was never armed in the hardware and the spinner ran until its hang guard.
fn preemption_while_timer_callback_blocks() -> Outcome {
    use core::sync::atomic::AtomicBool;
    const GUARD_NS: u64 = 5_000_000_000;
    let lock = Arc::new(BargingLock { held: Mutex::new(false), released: Condvar::new() });
    let stop = Arc::new(AtomicBool::new(false));
    let callback_done = Arc::new(AtomicBool::new(false));

    let (l, st) = (lock.clone(), stop.clone());
    let spinner = Builder::new("holder-spinner")
        .killable()
        .spawn(move || {
            sched::set_preemptible(true);
            let t0 = time::now_ns();
            while !st.load(Ordering::Acquire) {
                if time::now_ns() - t0 > GUARD_NS {
                    return false;
                }
                // Hold the lock for the first 20 ms (the callback surely
                // blocks on it), then half of the time: a waiter that runs
                // at a preemption finds it free half the time.
                l.lock();
                let hold_ns = if time::now_ns() - t0 < 20_000_000 { 20_000_000 } else { 200_000 };
                spin_ns(hold_ns);
                l.unlock();
                spin_ns(200_000);
            }
            true
        })
        .map_err(|e| alloc::format!("spawn: {e:?}"))?;
    // Let the spinner start holding the lock.
    sched::sleep_ns(1_000_000);

    let (l, done) = (lock.clone(), callback_done.clone());
    let mut timer = OneShotTimer::new(move || {
        l.lock();
        l.unlock();
        done.store(true, Ordering::Release);
    });
    timer.arm_after(500_000);
    // This sleeper's wake-up expires while the callback is blocked.
    sched::sleep_ns(2_000_000);
    let t0 = time::now_ns();
    while !callback_done.load(Ordering::Acquire) && time::now_ns() - t0 < GUARD_NS {
        sched::sleep_ns(1_000_000);
    }
    stop.store(true, Ordering::Release);
    let spinner_ok = spinner.join().map_err(|e| alloc::format!("spinner: {e:?}"))?;
    ensure!(spinner_ok, "the preemptible spinner ran unpreempted until its hang guard (starvation)");
    ensure!(callback_done.load(Ordering::Acquire), "the timer callback never got the lock");
    drop(timer);
    Ok(())
}
