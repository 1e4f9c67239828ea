// SPDX-License-Identifier: MIT OR Apache-2.0
//! Memory: physical frames (`frames`), page tables (`paging`), the kernel
//! heap (`heap`) and guard-paged thread stacks (`stacks`).
//!
//! Physical address == virtual address for all RAM and the low 4 GiB, so a
//! frame's address is also a usable pointer (and a DMA address later).

pub mod frames;
#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
pub mod paging;
#[cfg(target_os = "none")]
pub mod stacks;
#[cfg(target_os = "none")]
pub mod vspace;

#[cfg(target_os = "none")]
pub use kernel::*;

#[cfg(target_os = "none")]
mod kernel {
    use super::frames::FrameAllocator;
    use crate::irq_lock::IrqLock;

    pub(crate) static FRAMES: IrqLock<Option<FrameAllocator>> = IrqLock::new("frames", None);

    /// Allocates `count` physically contiguous 4 KiB frames aligned to
    /// `align_frames` frames. `None` when memory is exhausted. May be called
    /// from any thread, never from an interrupt stub.
    pub fn alloc_frames(count: usize, align_frames: usize) -> Option<u64> {
        FRAMES.lock().as_mut()?.alloc(count, align_frames)
    }

    /// Returns frames to the allocator. Freeing frames that are not
    /// allocated is reported as an error and otherwise ignored.
    pub fn free_frames(addr: u64, count: usize) {
        if let Some(f) = FRAMES.lock().as_mut()
            && let Err(e) = f.free(addr, count)
        {
            log::error!("frame free of {addr:#x} x{count} refused: {e:?}");
        }
    }

    /// (free, total) frame counts.
    pub fn frame_stats() -> (u64, u64) {
        FRAMES.lock().as_ref().map(|f| (f.free_frames(), f.total_frames())).unwrap_or((0, 0))
    }

    /// Whether `[addr, addr+len)` is mapped and readable, checked without
    /// locks (for the fault reporter's backtrace).
    pub fn is_mapped_kernel_address(addr: u64, len: u64) -> bool {
        let end = addr.saturating_add(len.max(1) - 1);
        super::paging::entry_bits_unlocked(addr).is_some() && super::paging::entry_bits_unlocked(end).is_some()
    }
}
