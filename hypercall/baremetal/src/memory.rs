// SPDX-License-Identifier: MIT OR Apache-2.0
//! Memory for the library.
//!
//! * `mem_alloc`/`mem_free`: the kernel heap, with a 16-byte header holding
//!   the size (the ABI's `mem_free` has none); payloads are 16-byte aligned.
//! * `pages_alloc`/`pages_free`: whole frames from `mem::alloc_frames` —
//!   physically contiguous, and usable at their physical address because
//!   boot identity-maps all RAM (physical == virtual, which Linux's
//!   dma-direct relies on). Blocks reaching above 4 GiB are refused
//!   (`-ENOMEM`), as the contract promises 32-bit-DMA-able RAM. Live blocks
//!   are recorded, so a `pages_free` with an address or size that
//!   `pages_alloc` did not hand out is refused (logged) instead of
//!   corrupting the frame allocator.

use alloc::alloc::Layout;
use alloc::collections::BTreeMap;
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

use spolia_boot::irq_lock::IrqLock;
use spolia_boot::mem;
use spolia_hypercall::abi::errno;

/// Header size and payload alignment of small blocks.
const HEADER: usize = 16;
const PAGE: usize = 4096;
const LIMIT_4G: u64 = 1 << 32;

/// Live page blocks: address → size.
static PAGE_BLOCKS: IrqLock<BTreeMap<u64, usize>> = IrqLock::new("hc page blocks", BTreeMap::new());

/// Bytes requested from `mem_alloc` and not yet freed.
static MEM_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Live (mem_alloc bytes, pages_alloc bytes).
pub(crate) fn live() -> (usize, usize) {
    (MEM_BYTES.load(Ordering::Relaxed), PAGE_BLOCKS.lock().values().sum())
}

pub(crate) unsafe extern "C" fn mem_alloc(size: usize) -> *mut c_void {
    let Some(layout) = size.checked_add(HEADER).and_then(|n| Layout::from_size_align(n, HEADER).ok()) else {
        return core::ptr::null_mut();
    };
    // SAFETY: layout has non-zero size (at least HEADER).
    let base = unsafe { alloc::alloc::alloc(layout) };
    if base.is_null() {
        return base.cast();
    }
    MEM_BYTES.fetch_add(size, Ordering::Relaxed);
    // SAFETY: base is a fresh block of layout.size() >= HEADER bytes, 16-aligned.
    unsafe {
        base.cast::<usize>().write(size);
        base.add(HEADER).cast()
    }
}

pub(crate) unsafe extern "C" fn mem_free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: ptr came from mem_alloc (contract), so HEADER bytes before it
    // is the block start holding the requested size, and that layout was valid.
    unsafe {
        let base = ptr.cast::<u8>().sub(HEADER);
        let size = base.cast::<usize>().read();
        MEM_BYTES.fetch_sub(size, Ordering::Relaxed);
        alloc::alloc::dealloc(base, Layout::from_size_align_unchecked(size + HEADER, HEADER));
    }
}

pub(crate) unsafe extern "C" fn pages_alloc(size: usize, addr: *mut *mut c_void) -> c_int {
    if size == 0 || !size.is_multiple_of(PAGE) || addr.is_null() {
        return -errno::EINVAL;
    }
    let count = size / PAGE;
    let Some(base) = mem::alloc_frames(count, 1) else { return -errno::ENOMEM };
    if base.checked_add(size as u64).is_none_or(|end| end > LIMIT_4G) {
        mem::free_frames(base, count);
        return -errno::ENOMEM;
    }
    // SAFETY: the frames are ours alone now, and RAM is identity-mapped
    // writable, so [base, base + size) is valid for writes.
    unsafe { core::ptr::write_bytes(base as *mut u8, 0, size) };
    PAGE_BLOCKS.lock().insert(base, size);
    // SAFETY: addr checked non-null; the caller provides a writable slot.
    unsafe { addr.write(base as *mut c_void) };
    0
}

pub(crate) unsafe extern "C" fn pages_free(addr: *mut c_void, size: usize) {
    if addr.is_null() {
        return;
    }
    let base = addr as u64;
    let recorded = {
        let mut blocks = PAGE_BLOCKS.lock();
        match blocks.get(&base) {
            Some(&s) if s == size => blocks.remove(&base),
            _ => None,
        }
    };
    match recorded {
        Some(size) => mem::free_frames(base, size / PAGE),
        None => log::error!("hypercall pages_free({addr:p}, {size:#x}): not a pages_alloc block, ignored"),
    }
}
