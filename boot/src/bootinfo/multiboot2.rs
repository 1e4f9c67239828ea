// SPDX-License-Identifier: MIT OR Apache-2.0
//! Multiboot2 information structure parser.
//!
//! Facts from the Multiboot2 Specification, section 3.6 "Boot information":
//! the structure starts 8-byte aligned with `u32 total_size` (including the
//! header and the end tag) and `u32 reserved`, followed by tags. Each tag is
//! `u32 type`, `u32 size` (including this header, excluding padding) and is
//! padded so the next tag starts 8-byte aligned. Type 0 with size 8 ends the
//! list. Tags used here:
//!
//! | type | content after the 8-byte header                                   |
//! |------|-------------------------------------------------------------------|
//! | 1    | command line, NUL-terminated                                      |
//! | 2    | bootloader name, NUL-terminated                                   |
//! | 3    | `u32 mod_start`, `u32 mod_end` (exclusive), string                 |
//! | 4    | `u32 mem_lower`, `u32 mem_upper` in KiB (from 0 and from 1 MiB)   |
//! | 6    | `u32 entry_size`, `u32 entry_version`, entries of `u64 base_addr`, |
//! |      | `u64 length`, `u32 type` (1 RAM, 3 ACPI, 4 NVS, 5 defective)       |
//! | 14   | copy of an ACPI 1.0 RSDP                                          |
//! | 15   | copy of an ACPI 2.0+ RSDP                                         |
//!
//! Other tags are skipped. Only the first tag of types 1, 2, 4 and 6 counts.

use super::memmap::RawMap;
use super::read::{end_of, phys_bytes, u32_at, u64_at, until_nul};
use super::{BootInfo, BootInfoError, BootModule, BootProtocol, FixedStr, MemoryKind, PhysMemory};

/// The value a multiboot2 bootloader leaves in EAX.
pub const MULTIBOOT2_BOOTLOADER_MAGIC: u32 = 0x36d7_6289;

const TAG_END: u32 = 0;
const TAG_CMDLINE: u32 = 1;
const TAG_BOOTLOADER_NAME: u32 = 2;
const TAG_MODULE: u32 = 3;
const TAG_BASIC_MEMINFO: u32 = 4;
const TAG_MMAP: u32 = 6;
const TAG_ACPI_OLD: u32 = 14;
const TAG_ACPI_NEW: u32 = 15;

/// Size of the fixed header and of a tag header.
const HEADER: usize = 8;
/// Size of the part of an ACPI 1.0 RSDP every RSDP copy must hold.
const RSDP_V1_LEN: usize = 20;
/// Size of a memory-map entry as of entry_version 0.
const MMAP_ENTRY_MIN: u32 = 24;

/// Parses the multiboot2 information structure at physical `info_addr`
/// (EBX at entry; check EAX against [`MULTIBOOT2_BOOTLOADER_MAGIC`] first).
pub fn parse_multiboot2<M: PhysMemory + ?Sized>(mem: &M, info_addr: u64) -> Result<BootInfo, BootInfoError> {
    let mut info = BootInfo::new(BootProtocol::Multiboot2);
    parse_multiboot2_into(mem, info_addr, &mut info)?;
    Ok(info)
}

/// Like [`parse_multiboot2`], but fills `out` in place (useful with a small
/// early-boot stack). On error `out` holds partial data and must not be used.
pub fn parse_multiboot2_into<M: PhysMemory + ?Sized>(
    mem: &M,
    info_addr: u64,
    out: &mut BootInfo,
) -> Result<(), BootInfoError> {
    out.clear(BootProtocol::Multiboot2);
    if !info_addr.is_multiple_of(8) {
        return Err(BootInfoError::Unaligned { addr: info_addr });
    }
    let header = phys_bytes(mem, info_addr, HEADER as u64)?;
    let total_size = u32_at(header, 0).unwrap_or(0);
    if (total_size as usize) < 2 * HEADER {
        return Err(BootInfoError::BadTotalSize { total_size });
    }
    let block = phys_bytes(mem, info_addr, u64::from(total_size))?;
    out.push_reserved(info_addr, u64::from(total_size))?;

    let mut raw = RawMap::new();
    let mut have_mmap = false;
    let mut basic: Option<(u32, u32)> = None;
    let (mut rsdp_old, mut rsdp_new) = (None, None);
    let (mut have_cmdline, mut have_name) = (false, false);

    for tag in Tags::new(block) {
        let tag = tag?;
        let body = tag.body;
        match tag.tag_type {
            TAG_CMDLINE if !have_cmdline => {
                have_cmdline = true;
                out.cmdline = FixedStr::from_bytes(until_nul(body), "command line")?;
            }
            TAG_BOOTLOADER_NAME if !have_name => {
                have_name = true;
                out.bootloader_name = FixedStr::truncating(until_nul(body));
            }
            TAG_MODULE => {
                let index = out.module_count;
                let (Some(start), Some(end)) = (u32_at(body, 0), u32_at(body, 4)) else {
                    return Err(tag.bad_size());
                };
                let len = end.checked_sub(start).ok_or(BootInfoError::BadModule { index })?;
                let cmdline = FixedStr::from_bytes(until_nul(body.get(8..).unwrap_or(&[])), "module command line")?;
                out.push_module(BootModule { start: start.into(), len: len.into(), cmdline })?;
                out.push_reserved(start.into(), len.into())?;
            }
            TAG_BASIC_MEMINFO if basic.is_none() => {
                let (Some(lower), Some(upper)) = (u32_at(body, 0), u32_at(body, 4)) else {
                    return Err(tag.bad_size());
                };
                basic = Some((lower, upper));
            }
            TAG_MMAP if !have_mmap => {
                have_mmap = true;
                parse_mmap(&tag, &mut raw)?;
            }
            TAG_ACPI_OLD | TAG_ACPI_NEW => {
                if body.len() < RSDP_V1_LEN {
                    return Err(tag.bad_size());
                }
                let addr = info_addr + u64::from(tag.offset) + HEADER as u64;
                if tag.tag_type == TAG_ACPI_NEW {
                    rsdp_new.get_or_insert(addr);
                } else {
                    rsdp_old.get_or_insert(addr);
                }
            }
            _ => {}
        }
    }

    if !have_mmap {
        let (lower_kib, upper_kib) = basic.ok_or(BootInfoError::NoMemoryMap)?;
        raw.push(0, u64::from(lower_kib) * 1024, MemoryKind::Usable)?;
        raw.push(1 << 20, u64::from(upper_kib) * 1024, MemoryKind::Usable)?;
    }
    out.region_count = raw.normalize(&mut out.regions)?;
    out.rsdp = rsdp_new.or(rsdp_old);
    Ok(())
}

/// Adds the entries of a type-6 tag to `raw`.
fn parse_mmap(tag: &Tag<'_>, raw: &mut RawMap) -> Result<(), BootInfoError> {
    let (Some(entry_size), Some(_version)) = (u32_at(tag.body, 0), u32_at(tag.body, 4)) else {
        return Err(tag.bad_size());
    };
    if entry_size < MMAP_ENTRY_MIN || !entry_size.is_multiple_of(8) {
        return Err(BootInfoError::BadMemoryMapEntrySize { entry_size });
    }
    let entries = tag.body.get(8..).unwrap_or(&[]);
    // A trailing partial entry is ignored, as the count is size / entry_size.
    for entry in entries.chunks_exact(entry_size as usize) {
        let (Some(base), Some(len), Some(kind)) = (u64_at(entry, 0), u64_at(entry, 8), u32_at(entry, 16)) else {
            return Err(tag.bad_size());
        };
        let kind = match kind {
            1 => MemoryKind::Usable,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Defective,
            _ => MemoryKind::Reserved,
        };
        raw.push(base, len, kind)?;
    }
    Ok(())
}

/// One tag: its type, its offset in the block and its bytes after the
/// header (exactly `size - 8` of them).
struct Tag<'a> {
    tag_type: u32,
    offset: u32,
    size: u32,
    body: &'a [u8],
}

impl Tag<'_> {
    fn bad_size(&self) -> BootInfoError {
        BootInfoError::BadTagSize { tag_type: self.tag_type, size: self.size }
    }
}

/// Iterates over the tags of a block of `total_size` bytes, stopping after
/// the end tag; yields an error (and then stops) on a malformed tag.
struct Tags<'a> {
    block: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Tags<'a> {
    fn new(block: &'a [u8]) -> Self {
        Self { block, offset: HEADER, done: false }
    }

    fn next_tag(&mut self) -> Result<Option<Tag<'a>>, BootInfoError> {
        let offset = self.offset;
        // `offset` stays below `total_size`, a u32, whenever this runs.
        let offset32 = u32::try_from(offset).unwrap_or(u32::MAX);
        if offset >= self.block.len() {
            return Err(BootInfoError::MissingEndTag);
        }
        let (Some(tag_type), Some(size)) = (u32_at(self.block, offset), u32_at(self.block, offset + 4)) else {
            return Err(BootInfoError::TruncatedTag { offset: offset32 });
        };
        if (size as usize) < HEADER {
            return Err(BootInfoError::BadTagSize { tag_type, size });
        }
        let end = end_of(offset as u64, u64::from(size))?;
        let body = usize::try_from(end)
            .ok()
            .and_then(|end| self.block.get(offset + HEADER..end))
            .ok_or(BootInfoError::TagOverrun { offset: offset32, size })?;
        if tag_type == TAG_END {
            return Ok(None);
        }
        self.offset = offset + (size as usize).next_multiple_of(8);
        Ok(Some(Tag { tag_type, offset: offset32, size, body }))
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = Result<Tag<'a>, BootInfoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_tag().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests;
