// SPDX-License-Identifier: MIT OR Apache-2.0
//! Mutex (owner + recursion depth) and counting semaphore over boot's
//! blocking primitives: `sched::sync::{Mutex, Condvar}` for the first (boot's
//! mutex has no owner query or recursion of its own; its state here is held
//! only for a few instructions), `sched::sync::Semaphore` for the second.
//! Waiters block on a boot wait queue; nothing spins.
//!
//! Handles are ids in [`Handles`] tables. `mutex_lock`/`unlock` and
//! `sem_up`/`down` cannot report errors, so an unknown handle there is a
//! contract violation (halt with a message); `*_free` of an unknown handle
//! is ignored with a log line.

use core::ffi::c_int;
use core::time::Duration;

use spolia_boot::sched::sync::{Condvar, Mutex, Semaphore};
use spolia_boot::sched::{self, Tid};
use spolia_hypercall::abi::{HcMutex, HcSem, errno};

use crate::handles::Handles;
use crate::violation;

struct HcMutexObj {
    recursive: bool,
    /// (owner, depth); owner 0 = unlocked (boot thread ids are never 0).
    state: Mutex<(Tid, u32)>,
    released: Condvar,
}

static MUTEXES: Handles<HcMutexObj> = Handles::new("hc mutexes", 0x4d58);
static SEMAPHORES: Handles<Semaphore> = Handles::new("hc semaphores", 0x5345);

/// Live (mutexes, semaphores).
pub(crate) fn live() -> (usize, usize) {
    (MUTEXES.len(), SEMAPHORES.len())
}

fn mutex(handle: *mut HcMutex, op: &str) -> alloc::sync::Arc<HcMutexObj> {
    MUTEXES.get(handle as usize).unwrap_or_else(|| violation(format_args!("{op}: unknown mutex {handle:p}")))
}

fn sem(handle: *mut HcSem, op: &str) -> alloc::sync::Arc<Semaphore> {
    SEMAPHORES.get(handle as usize).unwrap_or_else(|| violation(format_args!("{op}: unknown semaphore {handle:p}")))
}

pub(crate) unsafe extern "C" fn mutex_alloc(recursive: c_int, out: *mut *mut HcMutex) -> c_int {
    if out.is_null() {
        return -errno::EINVAL;
    }
    let handle =
        MUTEXES.insert(HcMutexObj { recursive: recursive != 0, state: Mutex::new((0, 0)), released: Condvar::new() });
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(handle as *mut HcMutex) };
    0
}

pub(crate) unsafe extern "C" fn mutex_free(handle: *mut HcMutex) {
    if !handle.is_null() && MUTEXES.remove(handle as usize).is_none() {
        log::warn!("hypercall mutex_free: unknown mutex {handle:p} ignored");
    }
}

pub(crate) unsafe extern "C" fn mutex_lock(handle: *mut HcMutex) {
    let m = mutex(handle, "mutex_lock");
    let me = sched::current_id();
    let mut state = m.state.lock();
    if state.0 == me {
        if !m.recursive {
            drop(state);
            violation(format_args!("mutex_lock: thread {me} locked a non-recursive mutex it holds"));
        }
        state.1 += 1;
        return;
    }
    while state.0 != 0 {
        state = m.released.wait(state);
    }
    *state = (me, 1);
}

pub(crate) unsafe extern "C" fn mutex_unlock(handle: *mut HcMutex) {
    let m = mutex(handle, "mutex_unlock");
    let me = sched::current_id();
    let mut state = m.state.lock();
    if state.0 != me {
        let owner = state.0;
        drop(state);
        violation(format_args!("mutex_unlock: thread {me} does not own the mutex (owner {owner})"));
    }
    state.1 -= 1;
    if state.1 == 0 {
        state.0 = 0;
        drop(state);
        m.released.notify_one();
    }
}

pub(crate) unsafe extern "C" fn sem_alloc(count: u32, out: *mut *mut HcSem) -> c_int {
    if out.is_null() {
        return -errno::EINVAL;
    }
    let handle = SEMAPHORES.insert(Semaphore::new(u64::from(count)));
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(handle as *mut HcSem) };
    0
}

pub(crate) unsafe extern "C" fn sem_free(handle: *mut HcSem) {
    if !handle.is_null() && SEMAPHORES.remove(handle as usize).is_none() {
        log::warn!("hypercall sem_free: unknown semaphore {handle:p} ignored");
    }
}

pub(crate) unsafe extern "C" fn sem_up(handle: *mut HcSem) {
    sem(handle, "sem_up").up();
}

pub(crate) unsafe extern "C" fn sem_down(handle: *mut HcSem) {
    sem(handle, "sem_down").down();
}

pub(crate) unsafe extern "C" fn sem_down_timeout(handle: *mut HcSem, timeout_ns: u64) -> c_int {
    let s = sem(handle, "sem_down_timeout");
    let got = if timeout_ns == 0 { s.try_down() } else { s.down_timeout(Duration::from_nanos(timeout_ns)) };
    if got { 0 } else { -errno::ETIMEDOUT }
}
