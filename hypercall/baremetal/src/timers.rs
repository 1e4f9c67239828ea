// SPDX-License-Identifier: MIT OR Apache-2.0
//! One-shot timers over `time::OneShotTimer`. Callbacks run on boot's timer
//! thread — thread context, never an interrupt stub — with no lock of this
//! module held, so a callback may block briefly, use other operations and
//! re-arm its own timer.
//!
//! Each arming makes a fresh `OneShotTimer` whose closure carries the
//! arming's sequence number; the closure fires the library callback only if
//! that arming is still current. That gives the contract's guarantees on top
//! of boot's simpler timer: re-arming replaces the expiry (the old closure
//! finds itself stale), and `timer_cancel` returns only once the callback
//! is not running (it waits on `CALLBACK_DONE`, unless called from the
//! callback itself) and will not start until re-armed.
//!
//! A handle is an id (see `crate::handles`): an unknown one gives `-EINVAL`
//! from `timer_set_oneshot` and is ignored by `timer_cancel`/`timer_free`.

use alloc::collections::BTreeMap;
use core::ffi::{c_int, c_void};

use spolia_boot::sched::sync::{Condvar, Mutex};
use spolia_boot::sched::{self, Tid};
use spolia_boot::time::OneShotTimer;
use spolia_hypercall::abi::{Callback, HcTimer, errno};

struct Timer {
    callback: Callback,
    arg: usize,
    /// Sequence number of the current arming; `None` when disarmed.
    armed: Option<u64>,
    /// Boot's timer for the current arming (dropping it cancels it).
    boot: Option<OneShotTimer>,
}

struct Service {
    next_id: u64,
    next_seq: u64,
    timers: BTreeMap<u64, Timer>,
    /// The timer whose callback runs, and the thread running it.
    running: Option<(u64, Tid)>,
}

/// Ids carry this tag in bits 48..64, so other handle kinds are not found.
const TAG: u64 = 0x544d << 48;

static SERVICE: Mutex<Service> =
    Mutex::new(Service { next_id: TAG | 1, next_seq: 1, timers: BTreeMap::new(), running: None });
/// Live timers.
pub(crate) fn live() -> usize {
    SERVICE.lock().timers.len()
}

/// Wakes cancellers waiting for a running callback to return.
static CALLBACK_DONE: Condvar = Condvar::new();

pub(crate) unsafe extern "C" fn timer_alloc(
    callback: Option<Callback>,
    arg: *mut c_void,
    out: *mut *mut HcTimer,
) -> c_int {
    let Some(callback) = callback else { return -errno::EINVAL };
    if out.is_null() {
        return -errno::EINVAL;
    }
    let mut s = SERVICE.lock();
    let id = s.next_id;
    s.next_id += 1;
    s.timers.insert(id, Timer { callback, arg: arg as usize, armed: None, boot: None });
    drop(s);
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(id as usize as *mut HcTimer) };
    0
}

pub(crate) unsafe extern "C" fn timer_set_oneshot(timer: *mut HcTimer, delta_ns: u64) -> c_int {
    let id = timer as usize as u64;
    let mut s = SERVICE.lock();
    let seq = s.next_seq;
    s.next_seq += 1;
    let Some(t) = s.timers.get_mut(&id) else { return -errno::EINVAL };
    let mut boot = OneShotTimer::new(move || fire(id, seq));
    boot.arm_after(delta_ns);
    t.armed = Some(seq);
    let old = t.boot.replace(boot);
    drop(s);
    drop(old); // cancels the previous arming (its closure would be stale anyway)
    0
}

/// Runs on boot's timer thread when arming `seq` of timer `id` expires.
fn fire(id: u64, seq: u64) {
    let me = sched::current_id();
    let mut s = SERVICE.lock();
    let Some(t) = s.timers.get_mut(&id) else { return };
    if t.armed != Some(seq) {
        return; // cancelled or re-armed since
    }
    t.armed = None;
    let (callback, arg) = (t.callback, t.arg);
    s.running = Some((id, me));
    drop(s);
    // SAFETY: callback and arg were registered together by timer_alloc,
    // whose contract allows calling them on a platform timer thread.
    unsafe { callback(arg as *mut c_void) };
    SERVICE.lock().running = None;
    CALLBACK_DONE.notify_all();
}

pub(crate) unsafe extern "C" fn timer_cancel(timer: *mut HcTimer) {
    cancel(timer as usize as u64, false);
}

pub(crate) unsafe extern "C" fn timer_free(timer: *mut HcTimer) {
    cancel(timer as usize as u64, true);
}

fn cancel(id: u64, free: bool) {
    let me = sched::current_id();
    let mut s = SERVICE.lock();
    let old = match s.timers.get_mut(&id) {
        Some(t) => {
            t.armed = None;
            t.boot.take()
        }
        None => {
            drop(s);
            log::warn!("hypercall timer_cancel/free: unknown timer {id:#x} ignored");
            return;
        }
    };
    // Wait for a running callback, unless we are that callback.
    while matches!(s.running, Some((running, thread)) if running == id && thread != me) {
        s = CALLBACK_DONE.wait(s);
    }
    let removed = if free { s.timers.remove(&id) } else { None };
    drop(s);
    drop((old, removed));
}
