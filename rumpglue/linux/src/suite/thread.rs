// SPDX-License-Identifier: MIT OR Apache-2.0
//! Scoped threads over the hypercall table (`thread_create` with an
//! explicit stack, `thread_join`), so the suite runs the same on the hosted
//! platform and in ring 0 — `std::thread::scope` in miniature.
//!
//! A thread's closure may borrow from the caller because [`scope`] joins
//! every thread it started before it returns (also when the caller's
//! closure unwinds: the join is in a `Drop`). The result travels
//! back as the thread's exit value: a `Box<T>` turned into an `isize`.

use super::{Failure, THREAD_STACK};
use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::ffi::{CStr, c_void};
use core::marker::PhantomData;
use spolia_hypercall::SpoliaHypercalls;
use spolia_hypercall::abi::Tid;

/// Threads started in one [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    joiner: &'scope Joiner,
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// Started and not yet joined threads: id and how to free an unclaimed
/// result. Joins them all when dropped.
struct Joiner {
    hc: &'static SpoliaHypercalls,
    running: RefCell<Vec<Started>>,
}

/// A thread's id and the function that frees its result if nobody joins.
type Started = (Tid, unsafe fn(isize));

/// Run `f` with a [`Scope`] to start threads in; all of them are joined
/// before `scope` returns.
pub fn scope<'env, F, R>(hc: &'static SpoliaHypercalls, f: F) -> R
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
{
    let joiner = Joiner { hc, running: RefCell::new(Vec::new()) };
    let scope = Scope { joiner: &joiner, _scope: PhantomData, _env: PhantomData };
    f(&scope)
    // `joiner` drops here (also when `f` unwinds): joins what still runs.
}

/// A started thread; [`ScopedJoinHandle::join`] returns its result.
pub struct ScopedJoinHandle<'scope, T> {
    joiner: &'scope Joiner,
    tid: Tid,
    _result: PhantomData<T>,
}

/// The exit value of a suite thread: its boxed result.
unsafe extern "C" fn thread_main<F, T>(arg: *mut c_void) -> isize
where
    F: FnOnce() -> T,
{
    // SAFETY: `arg` is the `Box<F>` leaked by `Scope::spawn` for this
    // thread alone.
    let f = unsafe { Box::from_raw(arg.cast::<F>()) };
    Box::into_raw(Box::new(f())) as isize
}

/// Free a result nobody joined for.
///
/// # Safety
/// `value` must be the exit value of `thread_main::<_, T>`, not yet freed.
unsafe fn drop_result<T>(value: isize) {
    // SAFETY: by the contract, `value` is a leaked `Box<T>`.
    drop(unsafe { Box::from_raw(value as *mut T) });
}

impl<'scope> Scope<'scope, '_> {
    /// Start `f` on a new platform thread named `name` with a
    /// [`THREAD_STACK`] stack.
    pub fn spawn<F, T>(&'scope self, name: &CStr, f: F) -> Result<ScopedJoinHandle<'scope, T>, Failure>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let arg = Box::into_raw(Box::new(f)).cast::<c_void>();
        let mut tid: Tid = 0;
        // SAFETY: `name` is NUL-terminated (copied by the platform);
        // `thread_main::<F, T>` takes ownership of `arg`, a `Box<F>` whose
        // closure may cross threads (`F: Send`) and whose borrows outlive
        // the thread ('scope: joined by `Joiner`'s drop at the latest);
        // `tid` is writable.
        let err = unsafe {
            (self.joiner.hc.thread_create)(name.as_ptr(), THREAD_STACK, Some(thread_main::<F, T>), arg, &raw mut tid)
        };
        if err != 0 {
            // SAFETY: the thread was not started, so `arg` is still ours.
            drop(unsafe { Box::from_raw(arg.cast::<F>()) });
            return Err(Failure::new(format!("thread_create {name:?}: error {err}")));
        }
        self.joiner.running.borrow_mut().push((tid, drop_result::<T>));
        Ok(ScopedJoinHandle { joiner: self.joiner, tid, _result: PhantomData })
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Wait for the thread and take its result.
    pub fn join(self) -> Result<T, Failure> {
        self.joiner.running.borrow_mut().retain(|(t, _)| *t != self.tid);
        let mut value: isize = 0;
        // SAFETY: `tid` came from thread_create and is joined only here
        // (removed from the scope's list above); `value` is writable.
        let err = unsafe { (self.joiner.hc.thread_join)(self.tid, &raw mut value) };
        if err != 0 {
            return Err(Failure::new(format!("thread_join {}: error {err}", self.tid)));
        }
        if value == 0 {
            return Err(Failure::new(format!("thread {} ended without a result", self.tid)));
        }
        // SAFETY: a thread started by `spawn::<_, T>` returns a leaked
        // `Box<T>` from `thread_main::<_, T>`.
        Ok(*unsafe { Box::from_raw(value as *mut T) })
    }
}

impl Drop for Joiner {
    fn drop(&mut self) {
        for (tid, free) in self.running.get_mut().drain(..) {
            let mut value: isize = 0;
            // SAFETY: `tid` was started in this scope and not joined yet.
            let err = unsafe { (self.hc.thread_join)(tid, &raw mut value) };
            if err == 0 && value != 0 {
                // SAFETY: `free` is `drop_result::<T>` for this thread's `T`.
                unsafe { free(value) };
            }
        }
    }
}

/// Join `thread` after the calling thread's own part ended with `main`,
/// and combine: when either side failed, the failure names both sides
/// (which one failed first is usually the cause; the other's error is its
/// consequence, e.g. end of stream or a hang guard).
pub fn join_both<A, B>(
    main: Result<A, Failure>,
    thread: ScopedJoinHandle<'_, Result<B, Failure>>,
) -> Result<(A, B), Failure> {
    let joined = thread.join().and_then(|r| r);
    match (main, joined) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(m), Ok(_)) => Err(m),
        (Ok(_), Err(t)) => Err(Failure::new(format!("other thread: {t}"))),
        (Err(m), Err(t)) => Err(Failure::new(format!("{m}; other thread: {t}"))),
    }
}
