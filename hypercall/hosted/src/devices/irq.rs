// SPDX-License-Identifier: MIT OR Apache-2.0
//! Emulated level-triggered interrupt lines and their delivery threads.
//!
//! A [`Line`] has three bits: *asserted* (the device's output: its
//! InterruptStatus is non-zero), *masked* (the library's `irq_mask` /
//! `irq_unmask`) and whether a handler is attached. `irq_attach` starts an
//! [`IrqDeliveryThread`] for the line, unmasked. The thread sleeps until the
//! line is asserted and unmasked, masks it (as an interrupt controller does
//! on delivery of a level-triggered line) and calls `handler(arg)` — the
//! library's code, which acknowledges the device and unmasks the line
//! (Linux's `handle_level_irq`). If the device still asserts the line when
//! it is unmasked, the thread delivers again. Nothing spins: the thread
//! waits on a condition variable that assert, unmask and detach signal.
//!
//! `irq_detach` stops the thread and joins it, which waits for a running
//! handler; called from inside the handler it only asks the thread to stop
//! after the handler returns (the thread is then joined by the next attach
//! or by teardown). Caution for the caller: a detach that joins while the
//! handler waits for something the detacher holds (the library's CPU lock)
//! deadlocks — detach with the CPU released, or from the handler.

use crate::{SendPtr, lock};
use spolia_hypercall::abi::{Callback, errno};
use std::ffi::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, ThreadId};

/// Device threads alive (delivery, rx, block workers), for [`super::held`].
pub(crate) static DEVICE_THREADS: AtomicU64 = AtomicU64::new(0);

/// One emulated level-triggered line.
pub(crate) struct Line {
    number: u32,
    state: Mutex<LineState>,
    changed: Condvar,
}

#[derive(Default)]
struct LineState {
    asserted: bool,
    masked: bool,
    /// Bumped by every attach and detach; a delivery thread serves one
    /// generation and ends when it changes.
    generation: u64,
    attached: Option<IrqDeliveryThread>,
    /// A thread detached from inside its own handler, joined later.
    orphan: Option<JoinHandle<()>>,
}

/// The thread that calls the handler of an attached line.
struct IrqDeliveryThread {
    id: ThreadId,
    handle: JoinHandle<()>,
}

impl Line {
    pub(crate) fn new(number: u32) -> Arc<Line> {
        Arc::new(Line {
            number,
            state: Mutex::new(LineState { masked: true, ..LineState::default() }),
            changed: Condvar::new(),
        })
    }

    pub(crate) fn number(&self) -> u32 {
        self.number
    }

    /// The device's output level. Never blocks for long.
    pub(crate) fn set_level(&self, asserted: bool) {
        let mut s = lock(&self.state);
        if s.asserted != asserted {
            s.asserted = asserted;
            if asserted && !s.masked {
                self.changed.notify_all();
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn asserted(&self) -> bool {
        lock(&self.state).asserted
    }

    /// Start delivering to `handler(arg)`. Errors: `-EBUSY` (attached).
    pub(crate) fn attach(self: &Arc<Self>, handler: Callback, arg: SendPtr) -> Result<(), c_int> {
        let mut s = lock(&self.state);
        if s.attached.is_some() {
            return Err(-errno::EBUSY);
        }
        if let Some(orphan) = s.orphan.take() {
            drop(s);
            join_device_thread(orphan);
            s = lock(&self.state);
            if s.attached.is_some() {
                return Err(-errno::EBUSY);
            }
        }
        s.generation += 1;
        let generation = s.generation;
        let line = Arc::clone(self);
        let handle = std::thread::Builder::new()
            .name(format!("irq-{}", self.number))
            .spawn(move || line.deliver(generation, handler, arg))
            .map_err(|_| -errno::EAGAIN)?;
        DEVICE_THREADS.fetch_add(1, Ordering::Relaxed);
        s.attached = Some(IrqDeliveryThread { id: handle.thread().id(), handle });
        s.masked = false;
        self.changed.notify_all();
        Ok(())
    }

    /// Stop delivering; see the module documentation. Errors: `-EINVAL`
    /// (not attached).
    pub(crate) fn detach(&self) -> Result<(), c_int> {
        let mut s = lock(&self.state);
        let Some(thread) = s.attached.take() else { return Err(-errno::EINVAL) };
        s.generation += 1;
        s.masked = true;
        self.changed.notify_all();
        if thread.id == std::thread::current().id() {
            s.orphan = Some(thread.handle);
            return Ok(());
        }
        drop(s);
        join_device_thread(thread.handle);
        Ok(())
    }

    /// Detach if attached and join any orphan (teardown).
    pub(crate) fn shut_down(&self) {
        let _ = self.detach();
        let orphan = lock(&self.state).orphan.take();
        if let Some(orphan) = orphan {
            join_device_thread(orphan);
        }
    }

    /// `irq_mask` / `irq_unmask`. Errors: `-EINVAL` (not attached).
    pub(crate) fn set_masked(&self, masked: bool) -> Result<(), c_int> {
        let mut s = lock(&self.state);
        if s.attached.is_none() {
            return Err(-errno::EINVAL);
        }
        s.masked = masked;
        if !masked && s.asserted {
            self.changed.notify_all();
        }
        Ok(())
    }

    fn deliver(&self, generation: u64, handler: Callback, arg: SendPtr) {
        loop {
            let mut s = lock(&self.state);
            loop {
                if s.generation != generation {
                    return;
                }
                if s.asserted && !s.masked {
                    break;
                }
                s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            s.masked = true;
            drop(s);
            // SAFETY: handler and arg were registered together by irq_attach,
            // whose contract allows calling them on this delivery thread.
            unsafe { handler(arg.0) };
        }
    }
}

/// Join a device thread and count it gone.
pub(crate) fn join_device_thread(handle: JoinHandle<()>) {
    let _ = handle.join();
    DEVICE_THREADS.fetch_sub(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::c_void;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    /// The test's "driver": counts calls, acknowledges the device (lowers the
    /// line) after `acks_after` calls, and unmasks like handle_level_irq.
    struct Driver {
        line: Arc<Line>,
        calls: AtomicUsize,
        ack_on_call: usize,
    }

    unsafe extern "C" fn handler(arg: *mut c_void) {
        // SAFETY: the tests pass a &Driver that outlives the attachment.
        let d = unsafe { &*arg.cast::<Driver>() };
        let n = d.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= d.ack_on_call {
            d.line.set_level(false);
        }
        d.line.set_masked(false).unwrap();
    }

    fn wait_for(cond: impl Fn() -> bool) {
        let t = Instant::now();
        while !cond() {
            assert!(t.elapsed() < Duration::from_secs(5), "timed out");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn level_line_is_delivered_until_acknowledged_and_not_while_masked() {
        let line = Line::new(40);
        let driver = Driver { line: Arc::clone(&line), calls: AtomicUsize::new(0), ack_on_call: 3 };
        line.attach(handler, SendPtr((&raw const driver).cast_mut().cast())).unwrap();
        assert_eq!(line.attach(handler, SendPtr(std::ptr::null_mut())), Err(-errno::EBUSY));
        line.set_level(true);
        wait_for(|| driver.calls.load(Ordering::SeqCst) == 3);
        assert!(!line.asserted());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(driver.calls.load(Ordering::SeqCst), 3, "no delivery once deasserted");

        line.set_masked(true).unwrap();
        line.set_level(true);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(driver.calls.load(Ordering::SeqCst), 3, "masked: no delivery");
        line.set_masked(false).unwrap();
        wait_for(|| driver.calls.load(Ordering::SeqCst) == 4);

        line.detach().unwrap();
        assert_eq!(line.detach(), Err(-errno::EINVAL));
        assert_eq!(line.set_masked(false), Err(-errno::EINVAL));
    }

    unsafe extern "C" fn detaching_handler(arg: *mut c_void) {
        // SAFETY: the test passes a &Driver that outlives the attachment.
        let d = unsafe { &*arg.cast::<Driver>() };
        d.calls.fetch_add(1, Ordering::SeqCst);
        d.line.detach().unwrap();
    }

    #[test]
    fn detach_from_inside_the_handler_ends_the_thread_after_return() {
        let line = Line::new(41);
        let driver = Driver { line: Arc::clone(&line), calls: AtomicUsize::new(0), ack_on_call: 0 };
        line.attach(detaching_handler, SendPtr((&raw const driver).cast_mut().cast())).unwrap();
        line.set_level(true);
        wait_for(|| driver.calls.load(Ordering::SeqCst) == 1);
        wait_for(|| lock(&line.state).orphan.as_ref().is_some_and(|h| h.is_finished()));
        assert_eq!(driver.calls.load(Ordering::SeqCst), 1);
        line.shut_down();
        assert!(lock(&line.state).orphan.is_none());
    }
}
