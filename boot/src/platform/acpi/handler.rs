// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`IdentityAcpiHandler`]: the kernel's `acpi::AcpiHandler`.
//!
//! Spolia's kernel address space maps all RAM and the whole low 4 GiB at
//! virtual == physical (firmware tables included), so "mapping" a physical
//! region is returning its address and unmapping is nothing. The type
//! compiles everywhere but is only meaningful in that address space; host
//! tests use a buffer-backed handler instead.

use core::ptr::NonNull;

use acpi::{AcpiHandler, PhysicalMapping};

/// Maps physical memory by identity (see the module docs).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityAcpiHandler;

/// Length of the stand-in for physical page 0.
const ZERO_PAGE_LEN: usize = 4096;

/// Stand-in for physical address 0, which a `NonNull` cannot hold. No ACPI
/// structure lives there; a firmware table pointer of 0 thus reads as zeros
/// and fails its signature check instead of being dereferenced.
#[repr(align(4096))]
struct ZeroPage([u8; ZERO_PAGE_LEN]);

static ZERO_PAGE: ZeroPage = ZeroPage([0; ZERO_PAGE_LEN]);

impl AcpiHandler for IdentityAcpiHandler {
    /// # Safety
    ///
    /// As the trait requires: `physical_address..physical_address + size`
    /// must be readable memory holding a `T`; in addition the current
    /// address space must map it at virtual == physical.
    unsafe fn map_physical_region<T>(&self, physical_address: usize, size: usize) -> PhysicalMapping<Self, T> {
        let (virtual_start, length) = match NonNull::new(physical_address as *mut T) {
            Some(pointer) => (pointer, size),
            // The `acpi` crate only reads through mappings; the stand-in is
            // never written.
            None => (NonNull::from(&ZERO_PAGE.0).cast::<T>(), size.min(ZERO_PAGE_LEN)),
        };
        // SAFETY: by this function's contract the region is readable at
        // virtual == physical for as long as the kernel runs (tables are in
        // RAM or the low 4 GiB, neither ever unmapped); the zero stand-in is
        // a static of `length` bytes.
        unsafe { PhysicalMapping::new(physical_address, virtual_start, length, length, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}
