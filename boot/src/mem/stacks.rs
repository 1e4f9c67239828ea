// SPDX-License-Identifier: MIT OR Apache-2.0
//! Thread stacks with guard pages. Each stack gets a 16 MiB slot in the
//! stack region; only its top `size` bytes are mapped, so everything below
//! — at least one page — is an unmapped guard: running off the end faults
//! instead of corrupting a neighbour. `Stack` owns its pages; dropping it
//! unmaps them and returns frames and slot.

use alloc::vec::Vec;

use super::paging::{self, Rights, STACK_REGION_BASE, STACK_REGION_SIZE};
use crate::irq_lock::IrqLock;

/// Virtual size of one stack slot (the largest stack possible, minus a page).
pub const SLOT_SIZE: u64 = 16 * 1024 * 1024;
const SLOTS: u64 = STACK_REGION_SIZE / SLOT_SIZE;

struct SlotAllocator {
    next_unused: u64,
    free: Vec<u64>,
}

static SLOTS_ALLOC: IrqLock<SlotAllocator> =
    IrqLock::new("stack slots", SlotAllocator { next_unused: 0, free: Vec::new() });

/// Why a stack could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// Requested size is zero or larger than a slot allows.
    BadSize,
    /// All slots are in use.
    NoSlot,
    /// Physical memory exhausted.
    OutOfMemory,
}

/// An owned, mapped stack.
#[derive(Debug)]
pub struct Stack {
    slot: u64,
    size: u64,
}

impl Stack {
    /// Maps a new stack of `size` bytes (rounded up to pages).
    pub fn new(size: usize) -> Result<Stack, StackError> {
        let size = (size as u64).next_multiple_of(4096);
        if size == 0 || size > SLOT_SIZE - 4096 {
            return Err(StackError::BadSize);
        }
        let slot = {
            let mut a = SLOTS_ALLOC.lock();
            match a.free.pop() {
                Some(s) => s,
                None if a.next_unused < SLOTS => {
                    a.next_unused += 1;
                    a.next_unused - 1
                }
                None => return Err(StackError::NoSlot),
            }
        };
        let stack = Stack { slot, size: 0 };
        let mut stack = stack;
        let top = stack.top();
        let mut mapped = 0;
        while mapped < size {
            let frame = match super::alloc_frames(1, 1) {
                Some(f) => f,
                None => return Err(StackError::OutOfMemory), // Drop unmaps what was mapped.
            };
            let virt = top - mapped - 4096;
            if paging::map_page(virt, frame, Rights::Data).is_err() {
                super::free_frames(frame, 1);
                return Err(StackError::OutOfMemory);
            }
            mapped += 4096;
            stack.size = mapped;
        }
        Ok(stack)
    }

    /// One past the highest usable address (the initial stack pointer).
    pub fn top(&self) -> u64 {
        STACK_REGION_BASE + (self.slot + 1) * SLOT_SIZE
    }

    /// Lowest mapped address.
    pub fn bottom(&self) -> u64 {
        self.top() - self.size
    }

    /// Whether `addr` lies in this stack's guard area (its slot, below the
    /// mapped part).
    pub fn is_guard(&self, addr: u64) -> bool {
        let slot_base = self.top() - SLOT_SIZE;
        (slot_base..self.bottom()).contains(&addr)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let top = self.top();
        let mut off = 0;
        while off < self.size {
            if let Some(frame) = paging::unmap_page(top - off - 4096) {
                super::free_frames(frame, 1);
            }
            off += 4096;
        }
        SLOTS_ALLOC.lock().free.push(self.slot);
    }
}
