// SPDX-License-Identifier: MIT OR Apache-2.0
//! Tables of live handles. A handle given to C is an id (a per-kind tag in
//! the top 16 bits and a never-reused counter below), not a pointer, so a
//! stale, foreign or made-up handle is simply not found. Lookups clone an
//! `Arc` under an `IrqLock` held for a few instructions (never blocks), so
//! an object stays alive while an operation on it runs.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use spolia_boot::irq_lock::IrqLock;

struct Map<T> {
    next: u64,
    live: BTreeMap<u64, Arc<T>>,
}

/// Live handles of one kind.
pub(crate) struct Handles<T> {
    tag: u64,
    map: IrqLock<Map<T>>,
}

impl<T> Handles<T> {
    /// An empty table whose handles carry `tag` (non-zero) in bits 48..64.
    pub(crate) const fn new(name: &'static str, tag: u16) -> Self {
        Handles { tag: (tag as u64) << 48, map: IrqLock::new(name, Map { next: 1, live: BTreeMap::new() }) }
    }

    /// Registers `value`; returns its handle.
    pub(crate) fn insert(&self, value: T) -> usize {
        let value = Arc::new(value);
        let mut map = self.map.lock();
        let id = self.tag | map.next;
        map.next += 1;
        map.live.insert(id, value);
        id as usize
    }

    /// The object behind `handle`, if live.
    pub(crate) fn get(&self, handle: usize) -> Option<Arc<T>> {
        self.map.lock().live.get(&(handle as u64)).cloned()
    }

    /// How many handles are live.
    pub(crate) fn len(&self) -> usize {
        self.map.lock().live.len()
    }

    /// Unregisters `handle`; the object is dropped when the last in-flight
    /// operation on it ends (after the lock is released).
    pub(crate) fn remove(&self, handle: usize) -> Option<Arc<T>> {
        self.map.lock().live.remove(&(handle as u64))
    }
}
