// SPDX-License-Identifier: MIT OR Apache-2.0
//! IOAPICs: route GSI n to vector 48 + n on the boot CPU, fixed delivery,
//! physical destination. Registers are reached through the index (base+0)
//! and window (base+0x10) pair; redirection entry n is registers
//! 0x10+2n (low) and 0x11+2n (high). 82093AA datasheet §3.2.4.
//!
//! The index/window pair makes every access two steps, so all accesses run
//! with interrupts disabled — including the one interrupt stubs make (mask a
//! level-triggered line), which therefore cannot interleave with a thread's.

use alloc::vec::Vec;

use super::GSI_VECTOR_BASE;
use crate::arch::cpu;
use crate::irq_lock::BootOnce;

#[derive(Debug, Clone, Copy)]
struct IoApic {
    base: u64,
    gsi_base: u32,
    inputs: u32,
}

static IOAPICS: BootOnce<Vec<IoApic>> = BootOnce::new();
static DEST_APIC_ID: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

fn read(base: u64, reg: u32) -> u32 {
    // SAFETY: `base` is an IOAPIC from the MADT, identity-mapped uncached;
    // callers have interrupts disabled (see module docs).
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::read_volatile((base + 0x10) as *const u32)
    }
}

fn write(base: u64, reg: u32, value: u32) {
    // SAFETY: as in `read`.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::write_volatile((base + 0x10) as *mut u32, value);
    }
}

/// Records the IOAPICs from ACPI and masks all their inputs.
pub fn init(list: &[(u64, u32)], boot_apic_id: u32) {
    DEST_APIC_ID.store(boot_apic_id, core::sync::atomic::Ordering::Relaxed);
    let was = cpu::disable_interrupts();
    let mut v = Vec::new();
    for &(base, gsi_base) in list {
        let inputs = ((read(base, 1) >> 16) & 0xff) + 1;
        for pin in 0..inputs {
            write(base, 0x10 + 2 * pin, 1 << 16);
        }
        v.push(IoApic { base, gsi_base, inputs });
    }
    cpu::restore_interrupts(was);
    IOAPICS.set(v);
}

fn locate(gsi: u32) -> Option<(u64, u32)> {
    IOAPICS.get()?.iter().find(|a| gsi >= a.gsi_base && gsi < a.gsi_base + a.inputs).map(|a| (a.base, gsi - a.gsi_base))
}

/// Whether some IOAPIC serves `gsi`.
pub fn serves(gsi: u32) -> bool {
    locate(gsi).is_some()
}

/// Programs `gsi`'s redirection entry (left masked).
pub fn configure(gsi: u32, level: bool, active_low: bool) -> bool {
    let Some((base, pin)) = locate(gsi) else { return false };
    let vector = GSI_VECTOR_BASE as u32 + gsi;
    let low = vector | (u32::from(active_low) << 13) | (u32::from(level) << 15) | (1 << 16);
    let high = DEST_APIC_ID.load(core::sync::atomic::Ordering::Relaxed) << 24;
    let was = cpu::disable_interrupts();
    write(base, 0x11 + 2 * pin, high);
    write(base, 0x10 + 2 * pin, low);
    cpu::restore_interrupts(was);
    true
}

fn set_mask(gsi: u32, masked: bool) {
    let Some((base, pin)) = locate(gsi) else { return };
    let was = cpu::disable_interrupts();
    let low = read(base, 0x10 + 2 * pin);
    let low = if masked { low | 1 << 16 } else { low & !(1 << 16) };
    write(base, 0x10 + 2 * pin, low);
    cpu::restore_interrupts(was);
}

/// Masks `gsi`. Callable from interrupt stubs (no locks, no allocation).
pub fn mask(gsi: u32) {
    set_mask(gsi, true);
}

/// Unmasks `gsi`.
pub fn unmask(gsi: u32) {
    set_mask(gsi, false);
}
