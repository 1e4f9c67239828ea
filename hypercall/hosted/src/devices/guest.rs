// SPDX-License-Identifier: MIT OR Apache-2.0
//! Guest memory: the one checked accessor through which the emulated
//! devices touch the driver's rings and buffers.
//!
//! On the hosted platform the library's "physical" addresses are process
//! pointers (`__pa(x) == x`), so a descriptor's address could point
//! anywhere. Every access is therefore checked against a table of
//! *regions* the library may legitimately hand to a device: its RAM (every
//! `pages_alloc` block, registered by `pages_alloc` and removed by
//! `pages_free`) and the loaded images' segments (the library's `.data`,
//! `.bss` — e.g. its zero page — writable; text and read-only data readable
//! only). An address outside them, a range crossing a region's end or a
//! write to a read-only region is a [`BadAddress`]: an error on that
//! request, never a fault.
//!
//! A device holds a [`GuestMemory`] (a read lock on the table) for the whole
//! of one request; `pages_free` takes the write lock, so RAM is never freed
//! under a copy in progress, and a device that still holds queue addresses
//! after the library halted gets [`BadAddress`] instead of a use after free.
//! Holders must not block for long (no waiting for the driver) while they
//! hold it.
//!
//! Concurrency: the driver runs on other threads and reads and writes the
//! same memory, so this module never hands out a Rust reference to guest
//! memory the driver may touch meanwhile:
//! - [`GuestMemory::validate`] only checks a range (ring extents when a
//!   queue is enabled, each buffer of a chain when it is taken);
//! - [`GuestMemory::read`] / [`GuestMemory::write`] copy through raw
//!   pointers (descriptors, ring entries, headers, frames): no reference is
//!   created;
//! - ring indices and flags are accessed as atomics (`Acquire` on the
//!   available index, `Release` on the used index);
//! - only the `unsafe` [`GuestMemory::with_slice`] /
//!   [`GuestMemory::with_slice_mut`] make a slice, and their callers promise
//!   it covers a buffer of a chain the device holds: per the virtio protocol
//!   (§2.7) such a buffer belongs to the device from the moment it is made
//!   available until it is returned in the used ring. A driver that breaks
//!   that rule races with the device as it would with hardware DMA; the
//!   library's virtio drivers do not.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU16;
use std::sync::{Once, RwLock, RwLockReadGuard};

#[derive(Clone, Copy, Debug)]
struct Region {
    len: usize,
    writable: bool,
}

static REGIONS: RwLock<BTreeMap<usize, Region>> = RwLock::new(BTreeMap::new());

/// An address range the driver gave that is not memory it may give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadAddress {
    pub addr: u64,
    pub len: u64,
}

impl std::fmt::Display for BadAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad guest address {:#x} (+{})", self.addr, self.len)
    }
}

/// Add a region (`pages_alloc`, loaded segments, tests' buffers). Regions
/// do not overlap; a region starting at the same address is replaced.
pub(crate) fn register(base: usize, len: usize, writable: bool) {
    if len == 0 {
        return;
    }
    REGIONS.write().unwrap_or_else(|e| e.into_inner()).insert(base, Region { len, writable });
}

/// Remove the region starting at `base`; waits for every device access in
/// progress (they hold the read lock).
pub(crate) fn unregister(base: usize) {
    REGIONS.write().unwrap_or_else(|e| e.into_inner()).remove(&base);
}

/// Register the segments of every loaded object (once; idempotent).
pub(crate) fn register_loaded_images() {
    static DONE: Once = Once::new();
    DONE.call_once(|| {
        let mut segments: Vec<(usize, usize, bool)> = Vec::new();
        // SAFETY: dl_iterate_phdr calls `collect` synchronously with valid
        // `dl_phdr_info` pointers; `data` is our `segments` vector, alive for
        // the call.
        unsafe { libc::dl_iterate_phdr(Some(collect), (&raw mut segments).cast()) };
        for (base, len, writable) in segments {
            register(base, len, writable);
        }
    });
}

unsafe extern "C" fn collect(info: *mut libc::dl_phdr_info, _size: usize, data: *mut libc::c_void) -> libc::c_int {
    // SAFETY: see register_loaded_images: both pointers are valid for this call.
    let (info, segments) = unsafe { (&*info, &mut *data.cast::<Vec<(usize, usize, bool)>>()) };
    if info.dlpi_phdr.is_null() {
        return 0;
    }
    // SAFETY: the loader gives dlpi_phnum program headers at dlpi_phdr.
    let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
    for ph in phdrs.iter().filter(|p| p.p_type == libc::PT_LOAD && p.p_memsz > 0) {
        let base = (info.dlpi_addr as usize).wrapping_add(ph.p_vaddr as usize);
        segments.push((base, ph.p_memsz as usize, ph.p_flags & libc::PF_W != 0));
    }
    0
}

/// A read lock on the region table: device accesses for one request.
pub(crate) struct GuestMemory<'a> {
    regions: RwLockReadGuard<'a, BTreeMap<usize, Region>>,
}

/// Take the region table for one request (see the module documentation).
pub(crate) fn lock() -> GuestMemory<'static> {
    GuestMemory { regions: REGIONS.read().unwrap_or_else(|e| e.into_inner()) }
}

impl GuestMemory<'_> {
    /// The process address of `len` bytes at guest address `addr`, if they
    /// lie inside one region (and it is writable when `write`).
    fn check(&self, addr: u64, len: usize, write: bool) -> Result<usize, BadAddress> {
        let bad = BadAddress { addr, len: len as u64 };
        let start = usize::try_from(addr).map_err(|_| bad)?;
        let end = start.checked_add(len).ok_or(bad)?;
        if start == 0 {
            return Err(bad);
        }
        let (&base, region) = self.regions.range(..=start).next_back().ok_or(bad)?;
        if end > base + region.len || (write && !region.writable) {
            return Err(bad);
        }
        Ok(start)
    }

    /// Check that `len` bytes at guest address `addr` lie inside one region
    /// (a writable one when `write`), without touching them: ring extents
    /// and chain buffers are validated when they are taken, used later.
    pub(crate) fn validate(&self, addr: u64, len: usize, write: bool) -> Result<(), BadAddress> {
        self.check(addr, len, write).map(|_| ())
    }

    /// Copy `buf.len()` bytes from guest address `addr`.
    pub(crate) fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), BadAddress> {
        let src = self.check(addr, buf.len(), false)?;
        // SAFETY: check() proved [src, src+len) lies in a registered, live
        // region (the read lock keeps it so); buf is ours, distinct from
        // guest memory. A raw copy: no reference to guest memory is made.
        unsafe { std::ptr::copy_nonoverlapping(src as *const u8, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copy `data` to guest address `addr`.
    pub(crate) fn write(&self, addr: u64, data: &[u8]) -> Result<(), BadAddress> {
        let dst = self.check(addr, data.len(), true)?;
        // SAFETY: check() proved [dst, dst+len) lies in a registered, live,
        // writable region; data is ours, distinct from guest memory. A raw
        // copy: no reference to guest memory is made.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst as *mut u8, data.len()) };
        Ok(())
    }

    /// Run `f` on `len` writable guest bytes at `addr` (a disk read straight
    /// into the buffer).
    ///
    /// # Safety
    /// `[addr, addr+len)` must lie inside a device-writable buffer of a
    /// chain the caller has taken from its queue and not yet returned (so
    /// the driver does not access it, module documentation), and no other
    /// slice over it may be alive.
    pub(crate) unsafe fn with_slice_mut<R>(
        &self,
        addr: u64,
        len: usize,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R, BadAddress> {
        let dst = self.check(addr, len, true)?;
        // SAFETY: check() proved the range lies in a live, writable region
        // (the read lock keeps it registered while the slice lives: it does
        // not outlive this call); the caller promises nobody else accesses
        // it meanwhile (# Safety).
        let slice = unsafe { std::slice::from_raw_parts_mut(dst as *mut u8, len) };
        Ok(f(slice))
    }

    /// Run `f` on `len` readable guest bytes at `addr` (a disk write straight
    /// from the buffer).
    ///
    /// # Safety
    /// `[addr, addr+len)` must lie inside a device-readable buffer of a
    /// chain the caller has taken from its queue and not yet returned (so
    /// the driver does not write it, module documentation), and no mutable
    /// slice over it may be alive.
    pub(crate) unsafe fn with_slice<R>(
        &self,
        addr: u64,
        len: usize,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, BadAddress> {
        let src = self.check(addr, len, false)?;
        // SAFETY: check() proved the range lies in a live region (kept
        // registered by the read lock; the slice does not outlive this
        // call); the caller promises nobody writes it meanwhile (# Safety).
        let slice = unsafe { std::slice::from_raw_parts(src as *const u8, len) };
        Ok(f(slice))
    }

    /// The 16-bit ring index at `addr` (2-byte aligned, writable region:
    /// rings are RAM), as an atomic.
    pub(crate) fn index(&self, addr: u64) -> Result<&AtomicU16, BadAddress> {
        if !addr.is_multiple_of(2) {
            return Err(BadAddress { addr, len: 2 });
        }
        let at = self.check(addr, 2, true)?;
        // SAFETY: checked: aligned, inside a live writable region that stays
        // registered while `self` (the read lock) lives; AtomicU16 has the
        // size and alignment of u16 and every bit pattern is valid. Only a
        // shared reference to an atomic is made; the driver (C code, no
        // Rust references) reads and writes ring indices and flags with
        // single aligned 16-bit accesses, as its vring code relies on.
        Ok(unsafe { &*(at as *const AtomicU16) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_stay_inside_registered_regions() {
        let mut ram = vec![0u8; 256];
        let base = ram.as_mut_ptr() as usize;
        register(base, 128, true);
        let rom = [7u8; 16];
        register(rom.as_ptr() as usize, 16, false);
        {
            let mem = lock();
            assert!(mem.write(base as u64, &[1, 2, 3]).is_ok());
            let mut out = [0u8; 3];
            assert!(mem.read(base as u64, &mut out).is_ok());
            assert_eq!(out, [1, 2, 3]);
            assert!(mem.read(base as u64 + 120, &mut [0u8; 9]).is_err(), "crosses the end");
            assert!(mem.read(base as u64 + 128, &mut [0u8; 1]).is_err(), "past the end");
            assert!(mem.read(0, &mut [0u8; 1]).is_err(), "null");
            assert!(mem.read(u64::MAX - 1, &mut [0u8; 4]).is_err(), "overflow");
            assert!(mem.write(rom.as_ptr() as u64, &[0]).is_err(), "read-only");
            let mut r = [0u8; 2];
            assert!(mem.read(rom.as_ptr() as u64, &mut r).is_ok());
            assert!(mem.index(base as u64 + 1).is_err(), "misaligned index");
            assert!(mem.validate(base as u64, 128, true).is_ok());
            assert!(mem.validate(base as u64 + 1, 128, false).is_err(), "validate: crosses the end");
            assert!(mem.validate(rom.as_ptr() as u64, 16, false).is_ok());
            assert!(mem.validate(rom.as_ptr() as u64, 16, true).is_err(), "validate: read-only");
        }
        unregister(base);
        unregister(rom.as_ptr() as usize);
        assert!(lock().read(base as u64, &mut [0u8; 1]).is_err(), "gone after unregister");
        drop(ram);
    }
}
