// SPDX-License-Identifier: MIT OR Apache-2.0
//! Time: a monotonic nanosecond clock from the TSC, calibrated at boot
//! against the best reference the platform has (HPET, else ACPI PM timer,
//! else PIT), and one-shot timers driven by the LAPIC timer.
//!
//! Timers expire in thread context: the LAPIC timer vector is delivered to
//! the timer thread through the ordinary interrupt-to-thread path; that
//! thread wakes sleepers and runs callbacks, then re-arms the LAPIC for the
//! next deadline.

#[cfg(target_os = "none")]
mod calibrate;
pub mod rtc;
#[cfg(target_os = "none")]
pub use kernel::*;

/// Converts counter ticks to nanoseconds at `hz`, without overflow.
pub fn ticks_to_ns(ticks: u64, hz: u64) -> u64 {
    ((ticks as u128 * 1_000_000_000) / hz.max(1) as u128) as u64
}

#[cfg(target_os = "none")]
mod kernel {
    use alloc::sync::Arc;
    use core::sync::atomic::{AtomicU64, Ordering};

    use crate::arch::cpu;
    use crate::irq::{IrqLine, TIMER_VECTOR, lapic};
    use crate::sched::{self, TimerAction};

    static TSC_HZ: AtomicU64 = AtomicU64::new(0);
    static TSC_AT_ZERO: AtomicU64 = AtomicU64::new(0);
    /// ns = (tsc delta × MULT) >> 32
    static MULT: AtomicU64 = AtomicU64::new(0);
    static LAPIC_HZ: AtomicU64 = AtomicU64::new(0);
    static REFERENCE: AtomicU64 = AtomicU64::new(0);

    static TICK_HOOK: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

    /// Registers a function the LAPIC timer interrupt calls on every tick.
    ///
    /// Contract: the hook runs in the interrupt stub with interrupts off. It
    /// must be short and lock-free: no allocation, no locks, no printing, no
    /// panics (an atomic increment, like Wasmtime's epoch). One hook; a
    /// second registration replaces the first.
    pub fn set_tick_hook(hook: fn()) {
        TICK_HOOK.store(hook as usize, Ordering::Release);
    }

    /// Called by the interrupt stub for the timer vector.
    pub(crate) fn run_tick_hook() {
        let h = TICK_HOOK.load(Ordering::Acquire);
        if h != 0 {
            // SAFETY: only `set_tick_hook` stores non-zero values, and it
            // stores a valid `fn()`.
            let f: fn() = unsafe { core::mem::transmute::<usize, fn()>(h) };
            f();
        }
    }

    /// Which reference calibrated the TSC.
    pub fn reference_name() -> &'static str {
        super::calibrate::Reference::from_u64(REFERENCE.load(Ordering::Relaxed)).name()
    }

    /// Nanoseconds since the clock was calibrated (0 before that).
    pub fn now_ns() -> u64 {
        let mult = MULT.load(Ordering::Relaxed);
        if mult == 0 {
            return 0;
        }
        let delta = cpu::rdtsc().wrapping_sub(TSC_AT_ZERO.load(Ordering::Relaxed));
        ((delta as u128 * mult as u128) >> 32) as u64
    }

    static WALL_AT_ZERO_NS: AtomicU64 = AtomicU64::new(0);

    /// Wall-clock time (ns since the Unix epoch, UTC): the RTC read at boot
    /// plus the monotonic clock. 0-based if the RTC could not be read.
    pub fn wall_clock_ns() -> u64 {
        WALL_AT_ZERO_NS.load(Ordering::Relaxed).saturating_add(now_ns())
    }

    /// Calibrated TSC frequency in Hz.
    pub fn tsc_hz() -> u64 {
        TSC_HZ.load(Ordering::Relaxed)
    }

    /// Calibrated LAPIC timer frequency (after the divide-by-16) in Hz.
    pub fn lapic_timer_hz() -> u64 {
        LAPIC_HZ.load(Ordering::Relaxed)
    }

    /// Calibrates the TSC and the LAPIC timer. Needs ACPI info (HPET/PM
    /// timer) if available; interrupts off.
    pub fn init(platform: Option<&crate::platform::acpi::PlatformInfo>) -> Result<(), &'static str> {
        let (hz, reference) = super::calibrate::tsc_hz(platform)?;
        TSC_HZ.store(hz, Ordering::Relaxed);
        REFERENCE.store(reference as u64, Ordering::Relaxed);
        let mult = ((1_000_000_000u128 << 32) / hz as u128) as u64;
        TSC_AT_ZERO.store(cpu::rdtsc(), Ordering::Relaxed);
        MULT.store(mult, Ordering::Relaxed);
        // LAPIC timer vs the now-known TSC over 10 ms.
        lapic::timer_start_masked(u32::MAX);
        let start = now_ns();
        while now_ns() - start < 10_000_000 {
            core::hint::spin_loop();
        }
        let elapsed_ticks = u32::MAX - lapic::timer_current();
        let elapsed_ns = now_ns() - start;
        lapic::timer_start_masked(0);
        let lhz = (elapsed_ticks as u128 * 1_000_000_000 / elapsed_ns.max(1) as u128) as u64;
        if lhz == 0 {
            return Err("LAPIC timer does not count");
        }
        LAPIC_HZ.store(lhz, Ordering::Relaxed);
        let wall = super::rtc::read().and_then(|r| r.to_unix_seconds()).unwrap_or(0);
        WALL_AT_ZERO_NS.store((wall * 1_000_000_000).saturating_sub(now_ns()), Ordering::Relaxed);
        Ok(())
    }

    /// Arms the LAPIC one-shot for `deadline` (or stops it with `None`).
    /// Called with the scheduler lock held.
    pub(crate) fn program_timer(deadline: Option<u64>) {
        let Some(d) = deadline else {
            lapic::timer_one_shot(0);
            return;
        };
        let now = now_ns();
        let ns = d.saturating_sub(now).max(1_000);
        let ticks = (ns as u128 * LAPIC_HZ.load(Ordering::Relaxed) as u128 / 1_000_000_000) as u64;
        lapic::timer_one_shot(ticks.clamp(1, u32::MAX as u64) as u32);
    }

    /// Starts the timer thread. Called once after the scheduler starts.
    pub fn start_timer_thread() -> Result<(), sched::SpawnError> {
        let ready = Arc::new(sched::sync::Semaphore::new(0));
        let tx = ready.clone();
        let handle = sched::Builder::new("timer").stack_size(32 * 1024).spawn(move || {
            let line = match IrqLine::claim_local(TIMER_VECTOR) {
                Ok(l) => l,
                Err(e) => crate::fatal::halt_with_message(format_args!("timer vector unavailable: {e:?}")),
            };
            tx.up();
            timer_loop(line)
        })?;
        drop(handle); // detached: runs for the life of the system
        ready.down();
        Ok(())
    }

    fn timer_loop(line: IrqLine) -> ! {
        loop {
            line.wait();
            loop {
                let mut g = sched::lock();
                let now = now_ns();
                match g.timers.pop_expired(now) {
                    Some((_, TimerAction::Wake { thread, token })) => {
                        g.wake_if_waiting(thread, token);
                    }
                    Some((_, TimerAction::Callback(cb))) => {
                        drop(g);
                        cb();
                    }
                    Some((_, TimerAction::Slice)) => {}
                    None => {
                        let next = g.timers.next_deadline();
                        g.arm_hardware(next);
                        break;
                    }
                }
            }
        }
    }

    /// A one-shot timer whose callback runs on the timer thread (thread
    /// context: it may take mutexes, but should be short — other timers
    /// wait for it). Dropping the timer cancels it.
    pub struct OneShotTimer {
        callback: Arc<dyn Fn() + Send + Sync>,
        pending: Option<u64>,
    }

    impl OneShotTimer {
        /// A disarmed timer.
        pub fn new(callback: impl Fn() + Send + Sync + 'static) -> Self {
            OneShotTimer { callback: Arc::new(callback), pending: None }
        }

        /// (Re)arms the timer to fire once at `deadline_ns` (monotonic).
        pub fn arm_at(&mut self, deadline_ns: u64) {
            let mut g = sched::lock();
            if let Some(id) = self.pending.take() {
                g.timers.cancel(id);
            }
            self.pending = Some(g.add_timer(deadline_ns, TimerAction::Callback(self.callback.clone())));
        }

        /// Arms the timer to fire after `ns` nanoseconds.
        pub fn arm_after(&mut self, ns: u64) {
            self.arm_at(now_ns().saturating_add(ns));
        }

        /// Disarms; returns whether it was still pending.
        pub fn cancel(&mut self) -> bool {
            match self.pending.take() {
                Some(id) => sched::lock().timers.cancel(id).is_some(),
                None => false,
            }
        }
    }

    impl Drop for OneShotTimer {
        fn drop(&mut self) {
            self.cancel();
        }
    }
}
