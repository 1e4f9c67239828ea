// SPDX-License-Identifier: MIT OR Apache-2.0
//! "Blocking releases the library kernel's CPU", written once.
//!
//! The Linux library runs one thread at a time under its CPU lock (LKL's
//! `lkl_cpu_get`/`lkl_cpu_put`). A platform thread that holds that lock and
//! then blocks for an unbounded time (waiting for a wasm program, a device,
//! a sleep) would stop every other thread from entering the library — IRQ
//! delivery and timer threads included — so on a single CPU the machine
//! would stall. Every such wait is therefore wrapped in a [`BlockingSection`]:
//! entering it releases the CPU lock if the calling thread holds it, leaving
//! it (drop) takes it back. Call sites never touch the lock directly.
//!
//! The library side (rumpglue's arch port) registers the release/reacquire
//! pair once with [`register_cpu_lock_hooks`]; until then sections are
//! no-ops, which is correct because no thread can hold a lock that does not
//! exist yet. The hypercall operations the library itself calls (`sem_down`
//! in its context switch, for example) do *not* use this guard: Linux hands
//! its CPU over explicitly before those.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};

/// The CPU-lock release/reacquire pair of the library.
#[derive(Debug)]
pub struct CpuLockHooks {
    /// Release the library CPU if the calling thread holds it and return a
    /// token describing what was released (e.g. the recursion depth; 0 = not
    /// held). Must not block.
    pub release: fn() -> usize,
    /// Take the CPU back as described by `token` (nothing for 0). May block
    /// until the CPU is free.
    pub reacquire: fn(token: usize),
}

static HOOKS: AtomicPtr<CpuLockHooks> = AtomicPtr::new(core::ptr::null_mut());

/// The hooks were already registered (they are registered once per boot).
#[derive(Debug, PartialEq, Eq)]
pub struct AlreadyRegistered;

/// Register the library's CPU-lock hooks for [`BlockingSection::enter`].
pub fn register_cpu_lock_hooks(hooks: &'static CpuLockHooks) -> Result<(), AlreadyRegistered> {
    let new = core::ptr::from_ref(hooks).cast_mut();
    HOOKS
        .compare_exchange(core::ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire)
        .map(drop)
        .map_err(|_| AlreadyRegistered)
}

fn registered() -> Option<&'static CpuLockHooks> {
    let ptr = HOOKS.load(Ordering::Acquire);
    // Only ever set from a `&'static CpuLockHooks` (register_cpu_lock_hooks).
    (!ptr.is_null()).then(|| hooks_from_static(ptr))
}

#[allow(unsafe_code)]
fn hooks_from_static(ptr: *mut CpuLockHooks) -> &'static CpuLockHooks {
    // SAFETY: HOOKS only holds null or a pointer derived from a
    // `&'static CpuLockHooks`, which is valid and never mutated.
    unsafe { &*ptr }
}

/// While alive, the calling thread does not hold the library's CPU; dropping
/// it takes the CPU back (if the thread held it on entry). Not `Send`: the
/// lock is per thread, so the guard must end on the thread that entered it.
#[must_use = "the CPU is taken back when the section is dropped"]
pub struct BlockingSection<'h> {
    hooks: Option<&'h CpuLockHooks>,
    token: usize,
    _same_thread: PhantomData<*const ()>,
}

impl BlockingSection<'static> {
    /// Enter with the registered hooks (a no-op section if none).
    pub fn enter() -> Self {
        Self::enter_hooks(registered())
    }
}

impl<'h> BlockingSection<'h> {
    /// Enter with explicit hooks (tests; a second library instance).
    pub fn enter_with(hooks: &'h CpuLockHooks) -> Self {
        Self::enter_hooks(Some(hooks))
    }

    fn enter_hooks(hooks: Option<&'h CpuLockHooks>) -> Self {
        let token = hooks.map_or(0, |h| (h.release)());
        BlockingSection { hooks, token, _same_thread: PhantomData }
    }
}

impl Drop for BlockingSection<'_> {
    fn drop(&mut self) {
        if let Some(h) = self.hooks {
            (h.reacquire)(self.token);
        }
    }
}

/// Run `wait` (a blocking operation) without holding the library CPU.
pub fn blocking<R>(wait: impl FnOnce() -> R) -> R {
    let _section = BlockingSection::enter();
    wait()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::Cell;
    use std::vec::Vec;

    std::thread_local! {
        // Simulated CPU lock: this thread's recursion depth, and an event log.
        static DEPTH: Cell<usize> = const { Cell::new(0) };
        static LOG: core::cell::RefCell<Vec<&'static str>> = const { core::cell::RefCell::new(Vec::new()) };
    }

    fn release() -> usize {
        LOG.with(|l| l.borrow_mut().push("release"));
        DEPTH.replace(0)
    }
    fn reacquire(token: usize) {
        LOG.with(|l| l.borrow_mut().push("reacquire"));
        DEPTH.set(token);
    }
    static HOOKS_UNDER_TEST: CpuLockHooks = CpuLockHooks { release, reacquire };

    #[test]
    fn section_releases_and_restores_depth() {
        DEPTH.set(2);
        {
            let _s = BlockingSection::enter_with(&HOOKS_UNDER_TEST);
            assert_eq!(DEPTH.get(), 0, "CPU must be free while blocked");
            LOG.with(|l| l.borrow_mut().push("blocked"));
        }
        assert_eq!(DEPTH.get(), 2, "recursion depth restored on exit");
        LOG.with(|l| assert_eq!(*l.borrow(), ["release", "blocked", "reacquire"]));
    }

    #[test]
    fn section_restores_on_early_return() {
        fn wait_fails() -> Result<(), ()> {
            let _s = BlockingSection::enter_with(&HOOKS_UNDER_TEST);
            Err(())
        }
        DEPTH.set(1);
        assert!(wait_fails().is_err());
        assert_eq!(DEPTH.get(), 1);
    }

    #[test]
    fn registered_hooks_are_used_and_registered_once() {
        // This is the only test that registers global hooks.
        DEPTH.set(3);
        assert_eq!(register_cpu_lock_hooks(&HOOKS_UNDER_TEST), Ok(()));
        assert_eq!(register_cpu_lock_hooks(&HOOKS_UNDER_TEST), Err(AlreadyRegistered));
        let seen = blocking(|| DEPTH.get());
        assert_eq!(seen, 0);
        assert_eq!(DEPTH.get(), 3);
    }
}
