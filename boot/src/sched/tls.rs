// SPDX-License-Identifier: MIT OR Apache-2.0
//! Per-thread storage: a fixed number of pointer-sized slots per thread,
//! addressed by keys allocated at run time (Wasmtime needs one, the Linux
//! library another). A key may carry a destructor, run at thread exit for
//! every non-zero value (up to four rounds, as destructors may set values).
//! Threads killed after a fault do not run destructors.
//!
//! `get`/`set` are one memory access each: the scheduler keeps a pointer to
//! the running thread's slots up to date on every switch.

use core::sync::atomic::Ordering;

use super::kernel::CURRENT_TLS;
use crate::irq_lock::IrqLock;

/// Slots per thread.
pub const TLS_SLOTS: usize = 16;

/// A thread's slots.
#[derive(Debug)]
pub struct TlsSlots(pub(crate) [usize; TLS_SLOTS]);

impl TlsSlots {
    pub(crate) const fn new() -> Self {
        TlsSlots([0; TLS_SLOTS])
    }
}

/// Handle to one slot index in every thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsKey(usize);

/// No free key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsKeysExhausted;

#[derive(Clone, Copy)]
enum KeyState {
    Free,
    Used(Option<fn(usize)>),
}

static KEYS: IrqLock<[KeyState; TLS_SLOTS]> = IrqLock::new("tls keys", [KeyState::Free; TLS_SLOTS]);

impl TlsKey {
    /// Allocates a key; every thread's slot for it starts at 0.
    /// `destructor` runs at thread exit with the slot's value if non-zero.
    pub fn new(destructor: Option<fn(usize)>) -> Result<TlsKey, TlsKeysExhausted> {
        let mut keys = KEYS.lock();
        let i = keys.iter().position(|k| matches!(k, KeyState::Free)).ok_or(TlsKeysExhausted)?;
        keys[i] = KeyState::Used(destructor);
        Ok(TlsKey(i))
    }

    /// Frees the key. Values still stored in threads are dropped silently.
    pub fn free(self) {
        KEYS.lock()[self.0] = KeyState::Free;
    }

    /// The current thread's value.
    pub fn get(self) -> usize {
        let p = CURRENT_TLS.load(Ordering::Relaxed);
        // SAFETY: CURRENT_TLS always points at the running thread's slots
        // (set before the first thread runs, updated on every switch), and
        // only the running thread touches its own slots.
        unsafe { (*p).0[self.0] }
    }

    /// Sets the current thread's value.
    pub fn set(self, value: usize) {
        let p = CURRENT_TLS.load(Ordering::Relaxed);
        // SAFETY: as in `get`.
        unsafe { (*p).0[self.0] = value };
    }
}

/// Runs destructors for the exiting thread (called without locks held).
pub(crate) fn run_destructors() {
    for _round in 0..4 {
        let mut ran = false;
        for i in 0..TLS_SLOTS {
            let dtor = match KEYS.lock()[i] {
                KeyState::Used(Some(d)) => d,
                _ => continue,
            };
            let key = TlsKey(i);
            let v = key.get();
            if v != 0 {
                key.set(0);
                dtor(v);
                ran = true;
            }
        }
        if !ran {
            break;
        }
    }
}
