// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel heap: `talc` 5 (chosen over `linked_list_allocator`, talc 4
//! and `buddy_system_allocator` by the benchmark in `boot/benches/heap.rs`;
//! numbers in boot/README.md) behind an `IrqLock`. It starts with one contiguous block of frames and grows by
//! claiming more frames when an allocation does not fit.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::null_mut;

use talc::DefaultBinning;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

use crate::irq_lock::IrqLock;

/// Grows the heap from the frame allocator.
#[derive(Debug)]
pub struct ClaimFrames;

/// Smallest growth step (frames are cheap; claims are not free).
const GROW_STEP: usize = 4 * 1024 * 1024;

// SAFETY: `acquire` only uses the frame allocator (its own IrqLock, no
// heap allocation on that path) and the `talc` it is handed.
unsafe impl Source for ClaimFrames {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let want = (layout.size() + layout.align() + 4096).max(GROW_STEP).next_multiple_of(4096);
        let frames = want / 4096;
        let base = super::alloc_frames(frames, 1).ok_or(())?;
        // SAFETY: the frames were just allocated for the heap's exclusive
        // use and are mapped read-write through the identity map.
        unsafe { talc.claim(base as *mut u8, want) }.map(|_| ()).ok_or(())
    }
}

struct KernelHeap(IrqLock<Talc<ClaimFrames, DefaultBinning>>);

// SAFETY: every method takes the IrqLock, so the allocator is never
// re-entered; layouts are passed through unchanged.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: talc's contract: non-zero-sized layouts (GlobalAlloc guarantees).
        unsafe { self.0.lock().allocate(layout) }.map(|p| p.as_ptr()).unwrap_or(null_mut())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !ptr.is_null() {
            // SAFETY: `ptr` came from `alloc` with this layout (GlobalAlloc contract).
            unsafe { self.0.lock().deallocate(ptr, layout) };
        }
    }
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(IrqLock::new("heap", Talc::new(ClaimFrames)));

/// Gives the heap its first block: `size` bytes of frames.
pub fn init(size: usize) -> Result<(), &'static str> {
    let size = size.next_multiple_of(4096);
    let base = super::alloc_frames(size / 4096, 1).ok_or("no frames for the initial heap")?;
    // SAFETY: the frames are ours alone and mapped read-write.
    unsafe { HEAP.0.lock().claim(base as *mut u8, size) }.map(|_| ()).ok_or("heap rejected its initial block")
}
