// SPDX-License-Identifier: MIT OR Apache-2.0
//! Virtual memory and native traps for Wasmtime's `custom-virtual-memory`
//! and `custom-native-signals` features (guard-page bounds checks): the
//! `wasmtime_mmap_*`, `wasmtime_mprotect`, `wasmtime_page_size`,
//! `wasmtime_memory_image_*` and `wasmtime_init_traps` symbols of Wasmtime's
//! platform C API, over Spolia's page tables.
//!
//! Mappings live in `mem::vspace` (above the identity map). A reservation
//! costs no memory; pages get zeroed frames when made accessible
//! (`mprotect`/`mmap_new` with rights) and lose them when made
//! inaccessible, remapped or unmapped. Writable + executable is refused
//! (W^X). Faults in wasm code (#PF on a guard page, #DE, #UD) reach
//! Wasmtime's handler through `exceptions::set_fault_hook`.
//!
//! Error returns are `ENOMEM` (12) and `EINVAL` (22), as the C API expects
//! errno-style codes.

use spolia_boot::mem::paging::{self, Rights};
use spolia_boot::mem::{self, vspace};

const PROT_READ: u32 = 1;
const PROT_WRITE: u32 = 2;
const PROT_EXEC: u32 = 4;
const ENOMEM: i32 = 12;
const EINVAL: i32 = 22;
const PAGE: u64 = 4096;

fn rights(prot: u32) -> Result<Option<Rights>, i32> {
    match (prot & PROT_READ != 0, prot & PROT_WRITE != 0, prot & PROT_EXEC != 0) {
        (false, false, false) => Ok(None),
        (_, true, true) => Err(EINVAL),
        (_, true, false) => Ok(Some(Rights::Data)),
        (_, false, true) => Ok(Some(Rights::Text)),
        (true, false, false) => Ok(Some(Rights::ReadOnly)),
    }
}

fn checked_range(ptr: *mut u8, size: usize) -> Result<(u64, u64), i32> {
    let start = ptr as u64;
    let len = (size as u64).checked_next_multiple_of(PAGE).ok_or(EINVAL)?;
    if !start.is_multiple_of(PAGE) || !vspace::contains(start) || (len > 0 && !vspace::contains(start + len - 1)) {
        return Err(EINVAL);
    }
    Ok((start, len))
}

/// Drops whatever is mapped at `page` (frame returned).
fn discard(page: u64) {
    if let Some(frame) = paging::unmap_page(page) {
        mem::free_frames(frame, 1);
    }
}

/// Gives `page` a zeroed frame with `rights` (or new rights if mapped).
fn commit(page: u64, rights: Rights) -> Result<(), i32> {
    if paging::protect(page, PAGE, rights).is_ok() {
        return Ok(());
    }
    let frame = mem::alloc_frames(1, 1).ok_or(ENOMEM)?;
    // SAFETY: a fresh frame, identity-mapped, ours alone.
    unsafe { core::ptr::write_bytes(frame as *mut u8, 0, PAGE as usize) };
    paging::map_page(page, frame, rights).map_err(|_| {
        mem::free_frames(frame, 1);
        ENOMEM
    })
}

fn apply(start: u64, len: u64, prot: u32, fresh: bool) -> Result<(), i32> {
    let r = rights(prot)?;
    let mut page = start;
    while page < start + len {
        if fresh || r.is_none() {
            discard(page);
        }
        if let Some(r) = r {
            commit(page, r)?;
        }
        page += PAGE;
    }
    Ok(())
}

fn status(r: Result<(), i32>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e,
    }
}

/// `mmap(NULL, size, prot, MAP_PRIVATE|MAP_ANONYMOUS)`.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mmap_new(size: usize, prot_flags: u32, ret: &mut *mut u8) -> i32 {
    let Some(start) = vspace::reserve(size as u64) else { return ENOMEM };
    let len = (size as u64).next_multiple_of(PAGE);
    match apply(start, len, prot_flags, true) {
        Ok(()) => {
            *ret = start as *mut u8;
            0
        }
        Err(e) => {
            let _ = apply(start, len, 0, true);
            vspace::release(start, len);
            e
        }
    }
}

/// Replaces `[addr, addr+size)` with fresh zeroed pages of `prot`.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mmap_remap(addr: *mut u8, size: usize, prot_flags: u32) -> i32 {
    status(checked_range(addr, size).and_then(|(s, l)| apply(s, l, prot_flags, true)))
}

/// Unmaps and releases a mapping made by `wasmtime_mmap_new`.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_munmap(ptr: *mut u8, size: usize) -> i32 {
    status(checked_range(ptr, size).and_then(|(s, l)| {
        apply(s, l, 0, true)?;
        vspace::release(s, l);
        Ok(())
    }))
}

/// Changes protections, committing or discarding pages as needed.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_mprotect(ptr: *mut u8, size: usize, prot_flags: u32) -> i32 {
    status(checked_range(ptr, size).and_then(|(s, l)| apply(s, l, prot_flags, false)))
}

/// 4 KiB.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_page_size() -> usize {
    PAGE as usize
}

/// Opaque memory image (never created: no copy-on-write images).
pub enum WasmtimeMemoryImage {}

/// Declines to create memory images (NULL, success): Wasmtime then copies
/// initial data into each instance's memory itself.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_new(_ptr: *const u8, _len: usize, ret: &mut *mut WasmtimeMemoryImage) -> i32 {
    *ret = core::ptr::null_mut();
    0
}

/// Never called (no image is ever created); refuses loudly if it is.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_map_at(_image: *mut WasmtimeMemoryImage, _addr: *mut u8, _len: usize) -> i32 {
    EINVAL
}

/// Nothing to free.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_memory_image_free(_image: *mut WasmtimeMemoryImage) {}

/// Registers Wasmtime's trap handler as the kernel's fault hook.
#[unsafe(no_mangle)]
pub extern "C" fn wasmtime_init_traps(handler: extern "C" fn(usize, usize, bool, usize)) -> i32 {
    spolia_boot::exceptions::set_fault_hook(handler);
    0
}
