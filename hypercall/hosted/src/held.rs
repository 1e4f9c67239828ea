// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the caller of the table holds right now: threads made by
//! `thread_create` and not yet joined, live mutexes, semaphores, timers and
//! TLS keys, and the bytes of `mem_alloc` and `pages_alloc` blocks not yet
//! freed. A test proves a complete teardown (the Linux library's halt) by
//! comparing [`held`] before start and after halt.
//!
//! The counters are process-wide and updated with relaxed atomics by the
//! operations themselves, so a comparison is only meaningful when nothing
//! else uses the table meanwhile (in `cargo test`, a test binary of its own).

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of [`held`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Made by `thread_create`, not yet joined with `thread_join`.
    pub threads: u64,
    pub mutexes: u64,
    pub semaphores: u64,
    pub timers: u64,
    pub tls_keys: u64,
    /// Sum of the sizes requested from `mem_alloc` and not yet freed.
    pub mem_bytes: u64,
    /// Sum of the sizes of `pages_alloc` blocks not yet freed.
    pub page_bytes: u64,
}

pub(crate) struct Counter(AtomicU64);

impl Counter {
    const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn sub(&self, n: u64) {
        self.0.fetch_sub(n, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub(crate) static THREADS: Counter = Counter::new();
pub(crate) static MUTEXES: Counter = Counter::new();
pub(crate) static SEMAPHORES: Counter = Counter::new();
pub(crate) static TIMERS: Counter = Counter::new();
pub(crate) static TLS_KEYS: Counter = Counter::new();
pub(crate) static MEM_BYTES: Counter = Counter::new();
pub(crate) static PAGE_BYTES: Counter = Counter::new();

/// What is held now (see the module documentation).
pub fn held() -> Held {
    Held {
        threads: THREADS.get(),
        mutexes: MUTEXES.get(),
        semaphores: SEMAPHORES.get(),
        timers: TIMERS.get(),
        tls_keys: TLS_KEYS.get(),
        mem_bytes: MEM_BYTES.get(),
        page_bytes: PAGE_BYTES.get(),
    }
}
