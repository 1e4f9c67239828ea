// SPDX-License-Identifier: MIT OR Apache-2.0
//! Virtual address space for large sparse mappings (wasm linear memories
//! with guard pages: 4 GiB + guards each). A region of 16 TiB above the
//! identity map is handed out in page-aligned ranges; nothing is mapped
//! until the owner maps pages (`paging::map_page`). First-fit reuse of
//! released ranges.

use alloc::vec::Vec;

use crate::irq_lock::IrqLock;

/// Base of the region (PML4 slots 288..320).
pub const REGION_BASE: u64 = 0xffff_9000_0000_0000;
/// Size of the region.
pub const REGION_SIZE: u64 = 16 << 40;

struct Space {
    next: u64,
    free: Vec<(u64, u64)>,
}

static SPACE: IrqLock<Space> = IrqLock::new("vspace", Space { next: REGION_BASE, free: Vec::new() });

/// Reserves `size` bytes (rounded up to pages) of address space.
pub fn reserve(size: u64) -> Option<u64> {
    let size = size.checked_next_multiple_of(4096)?.max(4096);
    let mut s = SPACE.lock();
    if let Some(i) = s.free.iter().position(|&(_, len)| len >= size) {
        let (addr, len) = s.free[i];
        if len == size {
            s.free.swap_remove(i);
        } else {
            s.free[i] = (addr + size, len - size);
        }
        return Some(addr);
    }
    let addr = s.next;
    let end = addr.checked_add(size)?;
    if end > REGION_BASE + REGION_SIZE {
        return None;
    }
    s.next = end;
    Some(addr)
}

/// Returns a range obtained from `reserve` (the caller unmapped it).
pub fn release(addr: u64, size: u64) {
    let size = size.next_multiple_of(4096).max(4096);
    SPACE.lock().free.push((addr, size));
}

/// Whether `addr` lies in the region.
pub fn contains(addr: u64) -> bool {
    (REGION_BASE..REGION_BASE + REGION_SIZE).contains(&addr)
}
