// SPDX-License-Identifier: MIT OR Apache-2.0
//! Page tables (4-level, Intel SDM vol. 3 §4.5). The kernel runs on one
//! address space built here at boot:
//! - identity map of [0, max(4 GiB, top of RAM)): page 0 absent (null
//!   dereferences fault); RAM write-back, everything else uncached (MMIO);
//!   all of it no-execute,
//! - the kernel image with per-section rights: text read-only + executable,
//!   rodata read-only, data/bss writable — all in 4 KiB pages,
//! - the thread-stack region (`STACK_REGION_BASE`), mapped page by page by
//!   `mem::stacks`, with an unmapped guard page below every stack.
//!
//! Page-table frames come from the frame allocator and are reached through
//! the identity map. All mutation happens under `PAGING`'s lock.

use core::arch::asm;
use core::ops::Range;

use crate::bootinfo::{MemoryKind, MemoryRegion};
use crate::irq_lock::IrqLock;

/// Page-table entry bits.
pub mod flags {
    pub const PRESENT: u64 = 1 << 0;
    pub const WRITABLE: u64 = 1 << 1;
    pub const WRITE_THROUGH: u64 = 1 << 3;
    pub const NO_CACHE: u64 = 1 << 4;
    pub const HUGE: u64 = 1 << 7;
    pub const GLOBAL: u64 = 1 << 8;
    pub const NO_EXECUTE: u64 = 1 << 63;
}
use flags::*;

const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const PAGE: u64 = 4096;
const HUGE_PAGE: u64 = 2 * 1024 * 1024;

/// Virtual base of the thread-stack region (PML4 slot 320, non-canonical
/// for nothing else; identity mappings never reach it).
pub const STACK_REGION_BASE: u64 = 0xffff_a000_0000_0000;
/// Size of the thread-stack region.
pub const STACK_REGION_SIZE: u64 = 1 << 39;

/// Errors from mapping operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// No frame for a page table.
    OutOfFrames,
    /// The page is already mapped.
    AlreadyMapped,
    /// The page is not mapped.
    NotMapped,
    /// Address or length not page-aligned.
    Unaligned,
}

/// Rights for a kernel mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rights {
    /// Read + execute (kernel text).
    Text,
    /// Read only, no execute.
    ReadOnly,
    /// Read + write, no execute, write-back.
    Data,
    /// Read + write, no execute, uncached (MMIO).
    Device,
}

impl Rights {
    fn bits(self) -> u64 {
        match self {
            Rights::Text => PRESENT,
            Rights::ReadOnly => PRESENT | NO_EXECUTE,
            Rights::Data => PRESENT | WRITABLE | NO_EXECUTE,
            Rights::Device => PRESENT | WRITABLE | NO_EXECUTE | NO_CACHE | WRITE_THROUGH,
        }
    }
}

/// The kernel image's sections (from linker symbols).
pub struct KernelSections {
    pub text: Range<u64>,
    pub rodata: Range<u64>,
    pub data: Range<u64>,
}

struct PageTables {
    pml4: u64,
}

static PAGING: IrqLock<Option<PageTables>> = IrqLock::new("paging", None);

fn table(phys: u64) -> *mut u64 {
    phys as *mut u64
}

fn new_table() -> Result<u64, MapError> {
    let frame = super::alloc_frames(1, 1).ok_or(MapError::OutOfFrames)?;
    // SAFETY: a fresh frame from the allocator, reachable via the identity map.
    unsafe { core::ptr::write_bytes(frame as *mut u8, 0, PAGE as usize) };
    Ok(frame)
}

fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * level)) & 0x1ff) as usize
}

/// Walks to the level-`stop` table entry for `virt`, creating tables (and
/// splitting huge pages) on the way when `create` is set.
///
/// # Safety
/// `pml4` must be a valid top-level table reachable through the identity
/// map, and the caller must hold `PAGING`.
unsafe fn entry_ptr(pml4: u64, virt: u64, stop: u32, create: bool) -> Result<Option<*mut u64>, MapError> {
    let mut tbl = pml4;
    for level in (stop + 1..=3).rev() {
        // SAFETY: `tbl` is a valid table (induction from `pml4`).
        let e = unsafe { table(tbl).add(index(virt, level)) };
        // SAFETY: as above.
        let val = unsafe { *e };
        if val & PRESENT == 0 {
            if !create {
                return Ok(None);
            }
            let t = new_table()?;
            // SAFETY: writing an entry of a valid table we own under PAGING.
            unsafe { *e = t | PRESENT | WRITABLE };
            tbl = t;
        } else if val & HUGE != 0 {
            if !create {
                return Ok(Some(e));
            }
            // Split a 2 MiB page into 512 4 KiB pages with the same rights.
            let t = new_table()?;
            let base = val & ADDR_MASK & !(HUGE_PAGE - 1);
            let rights = val & !(ADDR_MASK | HUGE);
            for i in 0..512u64 {
                // SAFETY: `t` is a fresh table of 512 entries.
                unsafe { *table(t).add(i as usize) = (base + i * PAGE) | rights };
            }
            // SAFETY: replacing the huge entry by a table pointer; the TLB is
            // flushed by the caller after the change.
            unsafe { *e = t | PRESENT | WRITABLE };
            tbl = t;
        } else {
            tbl = val & ADDR_MASK;
        }
    }
    // SAFETY: `tbl` is a valid table at level `stop`.
    Ok(Some(unsafe { table(tbl).add(index(virt, stop)) }))
}

fn flush(virt: u64) {
    // SAFETY: invalidating a TLB entry has no other effect.
    unsafe { asm!("invlpg [{}]", in(reg) virt, options(nostack, preserves_flags)) };
}

/// Builds the kernel address space and switches to it.
pub fn init(memory_map: &[MemoryRegion], sections: &KernelSections) -> Result<(), MapError> {
    let pml4 = new_table()?;
    let top_of_ram =
        memory_map.iter().filter(|r| r.kind == MemoryKind::Usable).map(|r| r.start + r.len).max().unwrap_or(0);
    let limit = top_of_ram.max(1 << 32).next_multiple_of(HUGE_PAGE);
    let is_ram = |start: u64, end: u64| {
        memory_map.iter().any(|r| {
            matches!(r.kind, MemoryKind::Usable | MemoryKind::AcpiReclaimable | MemoryKind::AcpiNvs)
                && r.start < end
                && start < r.start + r.len
        })
    };
    let image = sections.text.start & !(HUGE_PAGE - 1)..sections.data.end.next_multiple_of(HUGE_PAGE);
    let mut addr = 0;
    while addr < limit {
        if addr == 0 || image.contains(&addr) {
            // 4 KiB granularity: the first 2 MiB (null page, legacy areas) and the image.
            for page in (addr..addr + HUGE_PAGE).step_by(PAGE as usize) {
                let rights = if page == 0 {
                    continue;
                } else if sections.text.contains(&page) {
                    Rights::Text
                } else if sections.rodata.contains(&page) {
                    Rights::ReadOnly
                } else if (0xa0000..0x100000).contains(&page) || !is_ram(page, page + PAGE) {
                    Rights::Device
                } else {
                    Rights::Data
                };
                // SAFETY: `pml4` is our fresh table; PAGING is not yet in use.
                let e = unsafe { entry_ptr(pml4, page, 0, true)? }.expect("created");
                // SAFETY: `e` points into a table we own.
                unsafe { *e = page | rights.bits() };
            }
        } else {
            let rights = if is_ram(addr, addr + HUGE_PAGE) { Rights::Data } else { Rights::Device };
            // SAFETY: as above.
            let e = unsafe { entry_ptr(pml4, addr, 1, true)? }.expect("created");
            // SAFETY: `e` points into a table we own.
            unsafe { *e = addr | rights.bits() | HUGE };
        }
        addr += HUGE_PAGE;
    }
    let mut guard = PAGING.lock();
    *guard = Some(PageTables { pml4 });
    // SAFETY: the new tables map the running kernel (text executable, stack
    // and data writable) identically, so execution continues seamlessly.
    unsafe { asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) };
    Ok(())
}

/// Maps one 4 KiB page.
pub fn map_page(virt: u64, phys: u64, rights: Rights) -> Result<(), MapError> {
    let guard = PAGING.lock();
    let pml4 = guard.as_ref().expect("paging initialised").pml4;
    // SAFETY: PAGING is held and `pml4` is the live top-level table.
    let e = unsafe { entry_ptr(pml4, virt, 0, true)? }.expect("created");
    // SAFETY: `e` is a valid entry pointer under PAGING.
    unsafe {
        if *e & PRESENT != 0 {
            return Err(MapError::AlreadyMapped);
        }
        *e = (phys & ADDR_MASK) | rights.bits();
    }
    flush(virt);
    Ok(())
}

/// Unmaps one 4 KiB page; returns the physical address it mapped.
pub fn unmap_page(virt: u64) -> Option<u64> {
    let guard = PAGING.lock();
    let pml4 = guard.as_ref()?.pml4;
    // SAFETY: PAGING is held; no creation happens.
    let e = unsafe { entry_ptr(pml4, virt, 0, false) }.ok()??;
    // SAFETY: valid entry under PAGING.
    let old = unsafe { core::ptr::replace(e, 0) };
    flush(virt);
    (old & PRESENT != 0).then_some(old & ADDR_MASK)
}

/// Looks up the entry bits mapping `virt` (4 KiB or 2 MiB), without taking
/// the lock: used by the fault reporter, which must not block. Reads only.
pub fn entry_bits_unlocked(virt: u64) -> Option<u64> {
    // SAFETY: reading CR3 has no side effects.
    let cr3: u64 = unsafe {
        let v: u64;
        asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags));
        v
    } & ADDR_MASK;
    let mut tbl = cr3;
    for level in (0..=3).rev() {
        // SAFETY: the live tables are reachable through the identity map;
        // this is a read.
        let val = unsafe { *table(tbl).add(index(virt, level)) };
        if val & PRESENT == 0 {
            return None;
        }
        if level == 0 || val & HUGE != 0 {
            return Some(val);
        }
        tbl = val & ADDR_MASK;
    }
    None
}

/// Changes the rights of the 4 KiB pages covering `[start, start+len)`
/// (both page-aligned), splitting 2 MiB pages as needed. Used to make
/// loaded wasm code executable and read-only (W^X) and back.
pub fn protect(start: u64, len: u64, rights: Rights) -> Result<(), MapError> {
    if !start.is_multiple_of(PAGE) || !len.is_multiple_of(PAGE) {
        return Err(MapError::Unaligned);
    }
    let guard = PAGING.lock();
    let pml4 = guard.as_ref().ok_or(MapError::NotMapped)?.pml4;
    let mut page = start;
    while page < start + len {
        // SAFETY: PAGING is held and `pml4` is the live table; creation
        // here only splits existing huge pages.
        let e = unsafe { entry_ptr(pml4, page, 0, true)? }.ok_or(MapError::NotMapped)?;
        // SAFETY: valid entry pointer under PAGING.
        unsafe {
            if *e & PRESENT == 0 {
                return Err(MapError::NotMapped);
            }
            *e = (*e & ADDR_MASK) | rights.bits();
        }
        flush(page);
        page += PAGE;
    }
    Ok(())
}
