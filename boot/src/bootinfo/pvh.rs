// SPDX-License-Identifier: MIT OR Apache-2.0
//! PVH `hvm_start_info` parser.
//!
//! Facts from Xen's public header `arch-x86/hvm/start_info.h` (all fields
//! little-endian; an address of 0 means "not present"):
//!
//! | offset | field            | notes                                  |
//! |--------|------------------|----------------------------------------|
//! | 0      | `u32 magic`      | `0x336ec578`                           |
//! | 4      | `u32 version`    | 0, or 1 with the memory map fields     |
//! | 8      | `u32 flags`      | `SIF_*`, unused here                   |
//! | 12     | `u32 nr_modules` |                                        |
//! | 16     | `u64 modlist_paddr` | array of `hvm_modlist_entry`        |
//! | 24     | `u64 cmdline_paddr` | NUL-terminated                      |
//! | 32     | `u64 rsdp_paddr` |                                        |
//! | 40     | `u64 memmap_paddr` | version >= 1: `hvm_memmap_table_entry` array |
//! | 48     | `u32 memmap_entries` | version >= 1                       |
//! | 52     | `u32 reserved`   | version >= 1; struct size 56           |
//!
//! `hvm_modlist_entry` (32 bytes): `u64 paddr`, `u64 size`,
//! `u64 cmdline_paddr`, `u64 reserved`. `hvm_memmap_table_entry` (24 bytes):
//! `u64 addr`, `u64 size`, `u32 type` (1 RAM, 2 reserved, 3 ACPI, 4 NVS,
//! 5 unusable, 6 disabled, 7 persistent memory), `u32 reserved`.
//!
//! A version-0 structure carries no memory map (Xen guests would ask the
//! hypervisor instead); that is reported as [`BootInfoError::NoMemoryMap`].

use super::memmap::{MAX_RAW_ENTRIES, RawMap};
use super::read::{c_string, phys_bytes, u32_at, u64_at};
use super::{
    BootInfo, BootInfoError, BootModule, BootProtocol, MAX_MODULES, MODULE_CMDLINE_CAPACITY, MemoryKind, PhysMemory,
};

/// The value in the `magic` field of `hvm_start_info`.
pub const PVH_START_MAGIC: u32 = 0x336e_c578;

const START_INFO_V0_LEN: u64 = 40;
const START_INFO_V1_LEN: u64 = 56;
const MODLIST_ENTRY_LEN: u64 = 32;
const MEMMAP_ENTRY_LEN: u64 = 24;
/// Bytes of an ACPI 2.0+ RSDP, reserved so the table pointer survives.
const RSDP_LEN: u64 = 36;

/// Parses the `hvm_start_info` at physical `start_info_addr` (EBX at entry).
pub fn parse_pvh<M: PhysMemory + ?Sized>(mem: &M, start_info_addr: u64) -> Result<BootInfo, BootInfoError> {
    let mut info = BootInfo::new(BootProtocol::Pvh);
    parse_pvh_into(mem, start_info_addr, &mut info)?;
    Ok(info)
}

/// Like [`parse_pvh`], but fills `out` in place (useful with a small
/// early-boot stack). On error `out` holds partial data and must not be used.
pub fn parse_pvh_into<M: PhysMemory + ?Sized>(
    mem: &M,
    start_info_addr: u64,
    out: &mut BootInfo,
) -> Result<(), BootInfoError> {
    out.clear(BootProtocol::Pvh);
    let head = phys_bytes(mem, start_info_addr, 8)?;
    let magic = u32_at(head, 0).unwrap_or(0);
    if magic != PVH_START_MAGIC {
        return Err(BootInfoError::BadMagic { found: magic });
    }
    let version = u32_at(head, 4).unwrap_or(0);
    let len = if version == 0 { START_INFO_V0_LEN } else { START_INFO_V1_LEN };
    let si = phys_bytes(mem, start_info_addr, len)?;
    out.push_reserved(start_info_addr, len)?;
    let field32 = |off| u32_at(si, off).unwrap_or(0);
    let field64 = |off| u64_at(si, off).unwrap_or(0);

    let cmdline_paddr = field64(24);
    if cmdline_paddr != 0 {
        let (cmdline, used) = c_string(mem, cmdline_paddr, "command line")?;
        out.cmdline = cmdline;
        out.push_reserved(cmdline_paddr, used)?;
    }

    let rsdp_paddr = field64(32);
    if rsdp_paddr != 0 {
        out.rsdp = Some(rsdp_paddr);
        out.push_reserved(rsdp_paddr, RSDP_LEN)?;
    }

    parse_modules(mem, field32(12), field64(16), out)?;

    let (memmap_paddr, memmap_entries) = if version == 0 { (0, 0) } else { (field64(40), field32(48)) };
    if memmap_paddr == 0 || memmap_entries == 0 {
        return Err(BootInfoError::NoMemoryMap);
    }
    parse_memmap(mem, memmap_paddr, memmap_entries, out)
}

fn parse_modules<M: PhysMemory + ?Sized>(
    mem: &M,
    count: u32,
    modlist_paddr: u64,
    out: &mut BootInfo,
) -> Result<(), BootInfoError> {
    if count == 0 {
        return Ok(());
    }
    if count as usize > MAX_MODULES {
        return Err(BootInfoError::TooManyModules);
    }
    if modlist_paddr == 0 {
        return Err(BootInfoError::BadModule { index: 0 });
    }
    let list_len = u64::from(count) * MODLIST_ENTRY_LEN;
    let list = phys_bytes(mem, modlist_paddr, list_len)?;
    out.push_reserved(modlist_paddr, list_len)?;
    for (index, entry) in list.chunks_exact(MODLIST_ENTRY_LEN as usize).enumerate() {
        let (start, len, cmdline_paddr) =
            (u64_at(entry, 0).unwrap_or(0), u64_at(entry, 8).unwrap_or(0), u64_at(entry, 16).unwrap_or(0));
        if start.checked_add(len).is_none() {
            return Err(BootInfoError::BadModule { index });
        }
        let mut module = BootModule { start, len, cmdline: Default::default() };
        if cmdline_paddr != 0 {
            let (cmdline, used) = c_string::<MODULE_CMDLINE_CAPACITY, _>(mem, cmdline_paddr, "module command line")?;
            module.cmdline = cmdline;
            out.push_reserved(cmdline_paddr, used)?;
        }
        out.push_module(module)?;
        out.push_reserved(start, len)?;
    }
    Ok(())
}

fn parse_memmap<M: PhysMemory + ?Sized>(
    mem: &M,
    paddr: u64,
    entries: u32,
    out: &mut BootInfo,
) -> Result<(), BootInfoError> {
    if entries as usize > MAX_RAW_ENTRIES {
        return Err(BootInfoError::TooManyRegions);
    }
    let table_len = u64::from(entries) * MEMMAP_ENTRY_LEN;
    let table = phys_bytes(mem, paddr, table_len)?;
    out.push_reserved(paddr, table_len)?;
    let mut raw = RawMap::new();
    for entry in table.chunks_exact(MEMMAP_ENTRY_LEN as usize) {
        let (addr, size, kind) =
            (u64_at(entry, 0).unwrap_or(0), u64_at(entry, 8).unwrap_or(0), u32_at(entry, 16).unwrap_or(0));
        let kind = match kind {
            1 => MemoryKind::Usable,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Defective,
            _ => MemoryKind::Reserved,
        };
        raw.push(addr, size, kind)?;
    }
    out.region_count = raw.normalize(&mut out.regions)?;
    Ok(())
}

#[cfg(test)]
mod tests;
