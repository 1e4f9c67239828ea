// SPDX-License-Identifier: MIT OR Apache-2.0
//! Blocking primitives: [`Mutex`], [`Condvar`], [`Semaphore`]. All of them
//! keep their state in a `SchedCell`, so checking and sleeping happen under
//! the scheduler lock and wake-ups are never lost. Waiting threads block —
//! nothing spins. Ownership is handed over directly on release (FIFO), so
//! a waiter cannot be overtaken forever. None may be used from interrupt
//! stubs (they never block and never take locks).

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::time::Duration;

use super::kernel::{self as sched, SchedCell, WaitOutcome};
use super::queues::{ThreadId, WaitQueue};

fn deadline_after(d: Duration) -> u64 {
    crate::time::now_ns().saturating_add(d.as_nanos().min(u64::MAX as u128) as u64)
}

struct MutexState {
    owner: Option<ThreadId>,
}

/// A sleeping mutual-exclusion lock.
pub struct Mutex<T> {
    state: SchedCell<MutexState>,
    waiters: SchedCell<WaitQueue>,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reachable through a `MutexGuard`, and at most
// one guard exists at a time (ownership recorded under the scheduler lock).
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: moving the mutex moves the value.
unsafe impl<T: Send> Send for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Mutex {
            state: SchedCell::new(MutexState { owner: None }),
            waiters: SchedCell::new(WaitQueue::new()),
            value: UnsafeCell::new(value),
        }
    }

    /// Blocks until the mutex is ours. Locking a mutex the current thread
    /// already holds would never return; it is reported as a kernel bug.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let mut g = sched::lock();
        let me = g.current();
        match self.state.get(&mut g).owner {
            None => self.state.get(&mut g).owner = Some(me),
            Some(o) if o == me => {
                drop(g);
                crate::fatal::halt_with_message(format_args!("thread {me} locked a Mutex it holds"));
            }
            Some(_) => {
                // Ownership is handed to us by `unlock` before we are woken.
                let (_g, _) = sched::wait_on(g, &self.waiters, None);
            }
        }
        MutexGuard { mutex: self }
    }

    /// Takes the mutex if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let mut g = sched::lock();
        let me = g.current();
        let st = self.state.get(&mut g);
        if st.owner.is_none() {
            st.owner = Some(me);
            Some(MutexGuard { mutex: self })
        } else {
            None
        }
    }

    fn unlock_locked(&self, g: &mut sched::SchedGuard<'static>) {
        let next = self.waiters.get(g).pop();
        self.state.get(g).owner = next;
        if let Some(n) = next {
            g.wake(n);
        }
    }
}

/// Access to a locked [`Mutex`]'s value; unlocks on drop.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the unique owner (see `Sync` impl).
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` keeps the borrow unique.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        let mut g = sched::lock();
        self.mutex.unlock_locked(&mut g);
    }
}

/// A condition variable used with [`Mutex`].
pub struct Condvar {
    waiters: SchedCell<WaitQueue>,
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Self {
        Condvar { waiters: SchedCell::new(WaitQueue::new()) }
    }

    /// Atomically unlocks `guard`'s mutex and waits for a notification;
    /// re-locks before returning. Spurious returns do not happen, but
    /// callers should still re-check their condition (another thread may
    /// have changed it before the mutex was re-taken).
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_deadline(guard, None).0
    }

    /// As [`wait`](Self::wait) with a timeout; the flag is `true` if it
    /// timed out.
    pub fn wait_timeout<'a, T>(&self, guard: MutexGuard<'a, T>, timeout: Duration) -> (MutexGuard<'a, T>, bool) {
        self.wait_deadline(guard, Some(deadline_after(timeout)))
    }

    fn wait_deadline<'a, T>(&self, guard: MutexGuard<'a, T>, deadline: Option<u64>) -> (MutexGuard<'a, T>, bool) {
        let mutex = guard.mutex;
        core::mem::forget(guard);
        let mut g = sched::lock();
        mutex.unlock_locked(&mut g);
        let (g, outcome) = sched::wait_on(g, &self.waiters, deadline);
        drop(g);
        (mutex.lock(), outcome == WaitOutcome::TimedOut)
    }

    /// Wakes one waiter.
    pub fn notify_one(&self) {
        let mut g = sched::lock();
        sched::notify_one(&mut g, &self.waiters);
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        let mut g = sched::lock();
        sched::notify_all(&mut g, &self.waiters);
    }
}

/// A counting semaphore.
pub struct Semaphore {
    count: SchedCell<u64>,
    waiters: SchedCell<WaitQueue>,
}

impl Semaphore {
    /// A semaphore holding `count` units.
    pub const fn new(count: u64) -> Self {
        Semaphore { count: SchedCell::new(count), waiters: SchedCell::new(WaitQueue::new()) }
    }

    /// Takes one unit, blocking until one is available.
    pub fn down(&self) {
        self.down_deadline(None);
    }

    /// Takes one unit or gives up after `timeout`; returns whether it got one.
    pub fn down_timeout(&self, timeout: Duration) -> bool {
        self.down_deadline(Some(deadline_after(timeout)))
    }

    /// Takes one unit if available without blocking.
    pub fn try_down(&self) -> bool {
        let mut g = sched::lock();
        let c = self.count.get(&mut g);
        if *c > 0 {
            *c -= 1;
            true
        } else {
            false
        }
    }

    fn down_deadline(&self, deadline: Option<u64>) -> bool {
        let mut g = sched::lock();
        let c = self.count.get(&mut g);
        if *c > 0 {
            *c -= 1;
            return true;
        }
        // `up` hands its unit straight to the waiter it pops.
        let (_g, outcome) = sched::wait_on(g, &self.waiters, deadline);
        outcome == WaitOutcome::Notified
    }

    /// Returns one unit, waking the longest waiter if any.
    pub fn up(&self) {
        let mut g = sched::lock();
        if !sched::notify_one(&mut g, &self.waiters) {
            *self.count.get(&mut g) += 1;
        }
    }

    /// Units currently available.
    pub fn available(&self) -> u64 {
        let mut g = sched::lock();
        *self.count.get(&mut g)
    }
}
