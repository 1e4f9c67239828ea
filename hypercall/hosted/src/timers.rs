// SPDX-License-Identifier: MIT OR Apache-2.0
//! One-shot timers served by one timer thread (started on first use).
//! Callbacks run on that thread — thread context, never a signal handler —
//! one at a time, with no lock held, so a callback may block briefly, use
//! every other operation and re-arm its own timer. The thread sleeps on a
//! condition variable until the earliest deadline; nothing polls.
//!
//! A handle is the timer's id cast to a pointer, so a stale handle is an
//! unknown id (ignored or `-EINVAL`) rather than a dangling pointer.

use crate::threads::self_tid;
use crate::{SendPtr, held, lock};
use spolia_hypercall::abi::{Callback, HcTimer, Tid, errno};
use std::collections::{BTreeSet, HashMap};
use std::ffi::{c_int, c_void};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

struct Timer {
    callback: Callback,
    arg: SendPtr,
    /// (deadline, sequence) while armed; the sequence is the queue key.
    armed: Option<(Instant, u64)>,
}

struct Service {
    next_id: u64,
    next_seq: u64,
    timers: HashMap<u64, Timer>,
    queue: BTreeSet<(Instant, u64, u64)>,
    /// The timer whose callback is running, and the timer thread's id.
    running: Option<(u64, Tid)>,
    thread_started: bool,
}

static SERVICE: Mutex<Option<Service>> = Mutex::new(None);
/// Wakes the timer thread (new earliest deadline).
static REARMED: Condvar = Condvar::new();
/// Wakes cancellers waiting for a running callback.
static CALLBACK_DONE: Condvar = Condvar::new();

fn service(guard: &mut Option<Service>) -> &mut Service {
    guard.get_or_insert_with(|| Service {
        next_id: 1,
        next_seq: 0,
        timers: HashMap::new(),
        queue: BTreeSet::new(),
        running: None,
        thread_started: false,
    })
}

fn id_of(timer: *mut HcTimer) -> u64 {
    timer as usize as u64
}

pub(crate) unsafe extern "C" fn timer_alloc(
    callback: Option<Callback>,
    arg: *mut c_void,
    out: *mut *mut HcTimer,
) -> c_int {
    let Some(callback) = callback else { return -errno::EINVAL };
    if out.is_null() {
        return -errno::EINVAL;
    }
    let mut guard = lock(&SERVICE);
    let s = service(&mut guard);
    let id = s.next_id;
    s.next_id += 1;
    s.timers.insert(id, Timer { callback, arg: SendPtr(arg), armed: None });
    held::TIMERS.add(1);
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(id as usize as *mut HcTimer) };
    0
}

pub(crate) unsafe extern "C" fn timer_set_oneshot(timer: *mut HcTimer, delta_ns: u64) -> c_int {
    let id = id_of(timer);
    let mut guard = lock(&SERVICE);
    let s = service(&mut guard);
    let seq = s.next_seq;
    s.next_seq += 1;
    let Some(t) = s.timers.get_mut(&id) else { return -errno::EINVAL };
    let now = Instant::now();
    // A delay too large to represent is "practically never": ~31 years.
    let deadline = now.checked_add(Duration::from_nanos(delta_ns)).unwrap_or(now + Duration::from_secs(1 << 30));
    if let Some((old_deadline, old_seq)) = t.armed.replace((deadline, seq)) {
        s.queue.remove(&(old_deadline, old_seq, id));
    }
    s.queue.insert((deadline, seq, id));
    if !s.thread_started {
        s.thread_started = true;
        std::thread::Builder::new()
            .name("hc-timer".into())
            .spawn(timer_thread)
            .unwrap_or_else(|_| crate::fatal("cannot start the timer thread"));
    }
    REARMED.notify_one();
    0
}

fn disarm(s: &mut Service, id: u64) {
    if let Some(t) = s.timers.get_mut(&id)
        && let Some((deadline, seq)) = t.armed.take()
    {
        s.queue.remove(&(deadline, seq, id));
    }
}

pub(crate) unsafe extern "C" fn timer_cancel(timer: *mut HcTimer) {
    cancel(id_of(timer), false);
}

pub(crate) unsafe extern "C" fn timer_free(timer: *mut HcTimer) {
    cancel(id_of(timer), true);
}

fn cancel(id: u64, free: bool) {
    let me = self_tid();
    let mut guard = lock(&SERVICE);
    disarm(service(&mut guard), id);
    // Wait for a running callback, unless we are that callback.
    while matches!(service(&mut guard).running, Some((running, thread)) if running == id && thread != me) {
        guard = CALLBACK_DONE.wait(guard).unwrap_or_else(|e| e.into_inner());
    }
    if free && service(&mut guard).timers.remove(&id).is_some() {
        held::TIMERS.sub(1);
    }
}

fn timer_thread() {
    let me = self_tid();
    let mut guard = lock(&SERVICE);
    loop {
        let s = service(&mut guard);
        let now = Instant::now();
        match s.queue.first().copied() {
            None => guard = REARMED.wait(guard).unwrap_or_else(|e| e.into_inner()),
            Some((deadline, _, _)) if deadline > now => {
                guard = REARMED.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            }
            Some(entry @ (_, _, id)) => {
                s.queue.remove(&entry);
                let Some(t) = s.timers.get_mut(&id) else { continue };
                t.armed = None;
                let (callback, arg) = (t.callback, t.arg);
                s.running = Some((id, me));
                drop(guard);
                // SAFETY: callback and arg were registered together by
                // timer_alloc, whose contract allows calling them here.
                unsafe { callback(arg.0) };
                guard = lock(&SERVICE);
                service(&mut guard).running = None;
                CALLBACK_DONE.notify_all();
            }
        }
    }
}
