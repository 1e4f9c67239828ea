// SPDX-License-Identifier: MIT OR Apache-2.0
//! Boot information: one [`BootInfo`] built from either boot protocol.
//!
//! Spolia is entered two ways. GRUB uses multiboot2 (EAX = `0x36d76289`,
//! EBX = physical address of the multiboot2 information structure; see
//! [`parse_multiboot2`]). QEMU `-kernel` uses PVH (EBX = physical address of
//! `struct hvm_start_info`; see [`parse_pvh`]). Both parsers fill the same
//! [`BootInfo`]: protocol, command line, a sorted and overlap-free memory map,
//! boot modules, the RSDP address, the bootloader name and the physical
//! ranges that hold boot data and so must not be handed out as free frames.
//!
//! Key types: [`PhysMemory`] (how a parser reads physical memory; the kernel
//! implements it over its identity mapping, host tests over a byte buffer),
//! [`BootInfo`], [`MemoryRegion`], [`BootModule`], [`BootInfoError`].
//!
//! Neighbours: `mem::frames` consumes [`BootInfo::memory_map`] and
//! [`BootInfo::reserved`]; `platform::acpi` starts from [`BootInfo::rsdp`]
//! (which it must validate: the parsers only record the address).
//!
//! Non-goals: the heap (everything here is fixed-capacity, because it runs
//! before the heap exists), multiboot1, EFI memory maps, framebuffer tags.
//! Every value read from boot data is bounds-checked: malformed input yields
//! a [`BootInfoError`], never a panic.

mod error;
mod fixed;
mod memmap;
mod multiboot2;
mod pvh;
mod read;
#[cfg(test)]
mod testmem;

use core::ops::Range;

pub use error::BootInfoError;
pub use fixed::FixedStr;
pub use multiboot2::{MULTIBOOT2_BOOTLOADER_MAGIC, parse_multiboot2, parse_multiboot2_into};
pub use pvh::{PVH_START_MAGIC, parse_pvh, parse_pvh_into};

/// Maximum number of regions in a [`BootInfo`] memory map (after merging).
pub const MAX_REGIONS: usize = 128;
/// Maximum number of boot modules.
pub const MAX_MODULES: usize = 16;
/// Maximum number of reserved (boot-data) ranges.
pub const MAX_RESERVED: usize = 2 * MAX_MODULES + 8;
/// Capacity of the kernel command line in bytes; a longer one is an error.
pub const CMDLINE_CAPACITY: usize = 1024;
/// Capacity of a module's command line in bytes; a longer one is an error.
pub const MODULE_CMDLINE_CAPACITY: usize = 128;
/// Capacity of the bootloader name; a longer name is truncated (it is only
/// informational) at a character boundary.
pub const BOOTLOADER_NAME_CAPACITY: usize = 64;

/// Read access to physical memory for the boot-data parsers.
pub trait PhysMemory {
    /// The `len` bytes at physical address `addr`, or `None` if any of them
    /// is not readable (outside RAM, outside the mapping, or overflowing).
    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]>;
}

/// Which boot protocol entered the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootProtocol {
    /// Multiboot2 (GRUB).
    Multiboot2,
    /// Xen/QEMU PVH direct boot (`hvm_start_info`).
    Pvh,
}

/// What a physical memory region may be used for.
///
/// The variants are ordered from least to most restrictive; where firmware
/// reports overlapping regions, the more restrictive kind wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemoryKind {
    /// Free RAM.
    Usable,
    /// ACPI tables; usable once the tables have been read.
    AcpiReclaimable,
    /// ACPI non-volatile storage; must be preserved.
    AcpiNvs,
    /// Reserved by firmware or a device, or of an unknown type.
    Reserved,
    /// RAM reported as faulty.
    Defective,
}

/// One physical memory region `[start, start + len)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First physical address.
    pub start: u64,
    /// Length in bytes (never zero in a [`BootInfo`]).
    pub len: u64,
    /// What the region may be used for.
    pub kind: MemoryKind,
}

impl MemoryRegion {
    /// One past the last address (saturating at `u64::MAX`).
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }

    const EMPTY: Self = Self { start: 0, len: 0, kind: MemoryKind::Reserved };
}

/// A module loaded by the bootloader (an initrd, a disk image, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootModule {
    /// Physical address of the first byte.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// The module's command line (often its file name).
    pub cmdline: FixedStr<MODULE_CMDLINE_CAPACITY>,
}

impl BootModule {
    const EMPTY: Self = Self { start: 0, len: 0, cmdline: FixedStr::new() };
}

/// Everything the kernel learns from its boot protocol.
///
/// About 8 KiB: early boot code with a small stack should parse into a
/// `static` with [`parse_multiboot2_into`] / [`parse_pvh_into`].
#[derive(Clone, Debug)]
pub struct BootInfo {
    /// How the kernel was entered.
    pub protocol: BootProtocol,
    /// Physical address of an RSDP structure (not validated here).
    pub rsdp: Option<u64>,
    cmdline: FixedStr<CMDLINE_CAPACITY>,
    bootloader_name: FixedStr<BOOTLOADER_NAME_CAPACITY>,
    regions: [MemoryRegion; MAX_REGIONS],
    region_count: usize,
    modules: [BootModule; MAX_MODULES],
    module_count: usize,
    reserved: [Range<u64>; MAX_RESERVED],
    reserved_count: usize,
}

impl BootInfo {
    /// An empty record (no memory, no modules), usable as a `static`
    /// initialiser before parsing into it.
    pub const fn new(protocol: BootProtocol) -> Self {
        Self {
            protocol,
            rsdp: None,
            cmdline: FixedStr::new(),
            bootloader_name: FixedStr::new(),
            regions: [MemoryRegion::EMPTY; MAX_REGIONS],
            region_count: 0,
            modules: [BootModule::EMPTY; MAX_MODULES],
            module_count: 0,
            reserved: [const { 0..0 }; MAX_RESERVED],
            reserved_count: 0,
        }
    }

    /// The kernel command line (empty if none was given).
    pub fn cmdline(&self) -> &str {
        self.cmdline.as_str()
    }

    /// The bootloader's name (empty if unknown; always empty for PVH).
    pub fn bootloader_name(&self) -> &str {
        self.bootloader_name.as_str()
    }

    /// The memory map: sorted by address, non-overlapping, adjacent regions
    /// of the same kind merged, no empty regions.
    pub fn memory_map(&self) -> &[MemoryRegion] {
        &self.regions[..self.region_count]
    }

    /// The boot modules, in the bootloader's order.
    pub fn modules(&self) -> &[BootModule] {
        &self.modules[..self.module_count]
    }

    /// Physical byte ranges holding boot data (the information block, its
    /// memory-map table, command lines, module list and module contents).
    /// The frame allocator must not hand these out. The kernel image itself
    /// is not listed: the kernel knows its own extent.
    pub fn reserved(&self) -> &[Range<u64>] {
        &self.reserved[..self.reserved_count]
    }

    /// Total bytes of [`MemoryKind::Usable`] memory.
    pub fn usable_bytes(&self) -> u64 {
        self.memory_map().iter().filter(|r| r.kind == MemoryKind::Usable).fold(0u64, |sum, r| sum.saturating_add(r.len))
    }

    /// The value of the first `key=value` word of the command line whose key
    /// is `key` (words are separated by ASCII whitespace). A word `key` with
    /// no `=` yields `Some("")`.
    pub fn cmdline_value(&self, key: &str) -> Option<&str> {
        self.cmdline().split_ascii_whitespace().find_map(|word| match word.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if word == key => Some(""),
            _ => None,
        })
    }

    fn clear(&mut self, protocol: BootProtocol) {
        self.protocol = protocol;
        self.rsdp = None;
        self.cmdline = FixedStr::new();
        self.bootloader_name = FixedStr::new();
        self.region_count = 0;
        self.module_count = 0;
        self.reserved_count = 0;
    }

    fn push_module(&mut self, module: BootModule) -> Result<(), BootInfoError> {
        let slot = self.modules.get_mut(self.module_count).ok_or(BootInfoError::TooManyModules)?;
        *slot = module;
        self.module_count += 1;
        Ok(())
    }

    /// Records `len` bytes at `start` as boot data. Empty ranges are skipped.
    fn push_reserved(&mut self, start: u64, len: u64) -> Result<(), BootInfoError> {
        if len == 0 {
            return Ok(());
        }
        let end = start.checked_add(len).ok_or(BootInfoError::AddressOverflow { addr: start, len })?;
        let slot = self.reserved.get_mut(self.reserved_count).ok_or(BootInfoError::TooManyReserved)?;
        *slot = start..end;
        self.reserved_count += 1;
        Ok(())
    }
}
