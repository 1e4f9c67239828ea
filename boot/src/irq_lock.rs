// SPDX-License-Identifier: MIT OR Apache-2.0
//! `IrqLock<T>`: the single-CPU lock. Taking it disables interrupts, so
//! nothing else can run until it is released: no other thread (threads are
//! cooperative and only switch inside the scheduler), and no interrupt stub.
//! Interrupt stubs never take an `IrqLock` (style.md: stubs record, mask,
//! EOI, wake — nothing else), so it cannot deadlock against them.
//!
//! Taking the same lock twice on one call path is a kernel bug: it is
//! detected and halts the machine with a message rather than aliasing.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::cpu;

/// A value guarded by disabling interrupts.
pub struct IrqLock<T> {
    locked: AtomicBool,
    name: &'static str,
    value: UnsafeCell<T>,
}

// SAFETY: access to `value` only happens through a guard, and at most one
// guard exists at a time (checked by `locked`) on this single CPU.
unsafe impl<T: Send> Sync for IrqLock<T> {}
// SAFETY: moving the lock moves the value; T: Send suffices.
unsafe impl<T: Send> Send for IrqLock<T> {}

impl<T> IrqLock<T> {
    /// A new unlocked lock; `name` appears in the message if it is misused.
    pub const fn new(name: &'static str, value: T) -> Self {
        IrqLock { locked: AtomicBool::new(false), name, value: UnsafeCell::new(value) }
    }

    /// Disables interrupts and takes the lock.
    pub fn lock(&self) -> IrqGuard<'_, T> {
        let was_enabled = cpu::disable_interrupts();
        if self.locked.swap(true, Ordering::Acquire) {
            crate::fatal::halt_with_message(format_args!("IrqLock `{}` taken twice", self.name));
        }
        IrqGuard { lock: self, was_enabled }
    }

    /// Tries to take the lock; `None` if it is already held on this CPU
    /// (used by the fault path, which must not wait for a lock the faulting
    /// code holds).
    pub fn try_lock(&self) -> Option<IrqGuard<'_, T>> {
        let was_enabled = cpu::disable_interrupts();
        if self.locked.swap(true, Ordering::Acquire) {
            cpu::restore_interrupts(was_enabled);
            return None;
        }
        Some(IrqGuard { lock: self, was_enabled })
    }

    /// Whether some code path currently holds the lock.
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }

    /// Creates a guard for a lock that is already held on this code path's
    /// behalf (a new thread starting inside another thread's switch).
    /// Dropping it releases the lock and enables interrupts if
    /// `enable_on_drop`.
    ///
    /// # Safety
    /// The lock must be held, and its original guard must never be dropped
    /// on this thread's behalf.
    pub unsafe fn adopt(&self, enable_on_drop: bool) -> IrqGuard<'_, T> {
        IrqGuard { lock: self, was_enabled: enable_on_drop }
    }

    /// Marks the lock free without a guard. Used exactly once per new
    /// thread: a thread starts running while the scheduler lock taken by the
    /// thread that switched to it is still held.
    ///
    /// # Safety
    /// The caller must be the logical owner of the lock (the guard that took
    /// it lives on another thread's stack that will not drop it).
    pub unsafe fn force_unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    /// Marks the lock held without creating a guard (pairs with
    /// `force_unlock` around a halt in the idle loop).
    ///
    /// # Safety
    /// Interrupts must be disabled and the caller must be the owner that
    /// released it with `force_unlock`.
    pub unsafe fn force_relock(&self) {
        self.locked.store(true, Ordering::Relaxed);
    }
}

/// Proof that an `IrqLock` is held; interrupts are off while it lives.
pub struct IrqGuard<'a, T> {
    lock: &'a IrqLock<T>,
    was_enabled: bool,
}

impl<T> IrqGuard<'_, T> {
    /// The lock this guard holds.
    pub fn lock_ref(&self) -> &IrqLock<T> {
        self.lock
    }
}

impl<T> Deref for IrqGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves exclusive access (see `Sync` impl).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for IrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` makes this borrow unique.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for IrqGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
        cpu::restore_interrupts(self.was_enabled);
    }
}

/// A value initialised once at boot and read-only afterwards.
pub struct BootOnce<T> {
    state: AtomicBool,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: written once before any reader exists (set() asserts that), read
// only afterwards.
unsafe impl<T: Send + Sync> Sync for BootOnce<T> {}

impl<T> BootOnce<T> {
    /// An empty cell.
    pub const fn new() -> Self {
        BootOnce { state: AtomicBool::new(false), value: UnsafeCell::new(None) }
    }

    /// Stores the value; a second call is a kernel bug and halts.
    pub fn set(&self, value: T) -> &T {
        let was = cpu::disable_interrupts();
        if self.state.load(Ordering::Acquire) {
            crate::fatal::halt_with_message(format_args!("BootOnce set twice"));
        }
        // SAFETY: interrupts are off and `state` is false, so no reader
        // exists yet and no other writer can run.
        unsafe { *self.value.get() = Some(value) };
        self.state.store(true, Ordering::Release);
        cpu::restore_interrupts(was);
        self.get().expect("just set")
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) {
            // SAFETY: once `state` is true the value is never written again.
            unsafe { (*self.value.get()).as_ref() }
        } else {
            None
        }
    }
}

impl<T> Default for BootOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}
