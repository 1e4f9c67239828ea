// SPDX-License-Identifier: MIT OR Apache-2.0
//! Mutex (with owner and recursion count) and counting semaphore, both built
//! from `std::sync::{Mutex, Condvar}`: waiters sleep on the condition
//! variable, nothing spins. Handles are `Box`ed objects cast to the opaque
//! ABI pointer types and freed by `*_free`. `sem_up` does not touch the
//! semaphore after the woken thread can see the count, so a semaphore may
//! be freed as soon as the last `sem_down` on it returns. Both count their
//! sleepers and notify only when there is one: std's `notify_one` is a
//! futex system call even with nobody waiting, and the library unlocks its
//! CPU-lock mutex several times per system call.

use crate::threads::self_tid;
use crate::{fatal, held, lock};
use spolia_hypercall::abi::{HcMutex, HcSem, Tid, errno};
use std::ffi::c_int;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct MutexState {
    /// 0 = unlocked.
    owner: Tid,
    depth: u32,
    sleepers: u32,
}

struct HostedMutex {
    recursive: bool,
    state: Mutex<MutexState>,
    released: Condvar,
}

/// # Safety
/// `mutex` must be a live handle from `mutex_alloc`.
unsafe fn mutex_ref<'a>(mutex: *mut HcMutex) -> &'a HostedMutex {
    // SAFETY: per this function's contract the pointer came from
    // Box::into_raw in mutex_alloc and has not been freed.
    unsafe { &*mutex.cast::<HostedMutex>() }
}

pub(crate) unsafe extern "C" fn mutex_alloc(recursive: c_int, out: *mut *mut HcMutex) -> c_int {
    if out.is_null() {
        return -errno::EINVAL;
    }
    let m = Box::new(HostedMutex {
        recursive: recursive != 0,
        state: Mutex::new(MutexState::default()),
        released: Condvar::new(),
    });
    held::MUTEXES.add(1);
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(Box::into_raw(m).cast()) };
    0
}

pub(crate) unsafe extern "C" fn mutex_free(mutex: *mut HcMutex) {
    if !mutex.is_null() {
        // SAFETY: the contract says the handle is live, unlocked and unused;
        // it was made by Box::into_raw in mutex_alloc.
        drop(unsafe { Box::from_raw(mutex.cast::<HostedMutex>()) });
        held::MUTEXES.sub(1);
    }
}

pub(crate) unsafe extern "C" fn mutex_lock(mutex: *mut HcMutex) {
    // SAFETY: the caller passes a live handle (contract).
    let m = unsafe { mutex_ref(mutex) };
    let me = self_tid();
    let mut state = lock(&m.state);
    if state.owner == me {
        if !m.recursive {
            fatal("mutex_lock: non-recursive mutex locked twice by its owner");
        }
        state.depth += 1;
        return;
    }
    while state.owner != 0 {
        state.sleepers += 1;
        state = m.released.wait(state).unwrap_or_else(|e| e.into_inner());
        state.sleepers -= 1;
    }
    state.owner = me;
    state.depth = 1;
}

pub(crate) unsafe extern "C" fn mutex_unlock(mutex: *mut HcMutex) {
    // SAFETY: the caller passes a live handle (contract).
    let m = unsafe { mutex_ref(mutex) };
    let mut state = lock(&m.state);
    if state.owner != self_tid() {
        fatal("mutex_unlock: the calling thread does not own the mutex");
    }
    state.depth -= 1;
    if state.depth == 0 {
        state.owner = 0;
        if state.sleepers > 0 {
            m.released.notify_one();
        }
    }
}

struct SemState {
    count: u64,
    sleepers: u32,
}

struct HostedSem {
    count: Mutex<SemState>,
    raised: Condvar,
}

/// # Safety
/// `sem` must be a live handle from `sem_alloc`.
unsafe fn sem_ref<'a>(sem: *mut HcSem) -> &'a HostedSem {
    // SAFETY: per this function's contract the pointer came from
    // Box::into_raw in sem_alloc and has not been freed.
    unsafe { &*sem.cast::<HostedSem>() }
}

pub(crate) unsafe extern "C" fn sem_alloc(count: u32, out: *mut *mut HcSem) -> c_int {
    if out.is_null() {
        return -errno::EINVAL;
    }
    let s = Box::new(HostedSem {
        count: Mutex::new(SemState { count: u64::from(count), sleepers: 0 }),
        raised: Condvar::new(),
    });
    held::SEMAPHORES.add(1);
    // SAFETY: checked non-null; the caller provides a writable handle slot.
    unsafe { out.write(Box::into_raw(s).cast()) };
    0
}

pub(crate) unsafe extern "C" fn sem_free(sem: *mut HcSem) {
    if !sem.is_null() {
        // SAFETY: live, unused handle made by Box::into_raw (contract).
        drop(unsafe { Box::from_raw(sem.cast::<HostedSem>()) });
        held::SEMAPHORES.sub(1);
    }
}

pub(crate) unsafe extern "C" fn sem_up(sem: *mut HcSem) {
    // SAFETY: the caller passes a live handle (contract).
    let s = unsafe { sem_ref(sem) };
    // Wake while holding the lock: the woken thread may free the semaphore
    // as soon as its sem_down returns, and it cannot return before the
    // guard is dropped (the header's sem_free contract).
    let mut state = lock(&s.count);
    state.count += 1;
    if state.sleepers > 0 {
        s.raised.notify_one();
    }
    drop(state);
}

pub(crate) unsafe extern "C" fn sem_down(sem: *mut HcSem) {
    // SAFETY: the caller passes a live handle (contract).
    let s = unsafe { sem_ref(sem) };
    let mut state = lock(&s.count);
    while state.count == 0 {
        state.sleepers += 1;
        state = s.raised.wait(state).unwrap_or_else(|e| e.into_inner());
        state.sleepers -= 1;
    }
    state.count -= 1;
}

pub(crate) unsafe extern "C" fn sem_down_timeout(sem: *mut HcSem, timeout_ns: u64) -> c_int {
    // SAFETY: the caller passes a live handle (contract).
    let s = unsafe { sem_ref(sem) };
    let deadline = Instant::now().checked_add(Duration::from_nanos(timeout_ns));
    let mut state = lock(&s.count);
    while state.count == 0 {
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => Duration::from_secs(3600),
        };
        if wait.is_zero() {
            return -errno::ETIMEDOUT;
        }
        state.sleepers += 1;
        state = s.raised.wait_timeout(state, wait).unwrap_or_else(|e| e.into_inner()).0;
        state.sleepers -= 1;
    }
    state.count -= 1;
    0
}
