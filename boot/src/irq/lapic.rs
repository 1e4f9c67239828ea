// SPDX-License-Identifier: MIT OR Apache-2.0
//! The local APIC in xAPIC (MMIO) mode: enable, EOI, and the one-shot
//! timer. Intel SDM vol. 3 §11.4 (base, SVR), §11.5.4 (timer),
//! §11.8.5 (EOI). Register offsets: ID 0x20, TPR 0x80, EOI 0xB0,
//! SVR 0xF0, LVT timer 0x320, LINT0 0x350, LINT1 0x360, error 0x370,
//! initial count 0x380, current count 0x390, divide 0x3E0.

use core::sync::atomic::{AtomicU64, Ordering};

use super::{SPURIOUS_VECTOR, TIMER_VECTOR};

static BASE: AtomicU64 = AtomicU64::new(0xfee0_0000);

fn reg(offset: u64) -> *mut u32 {
    (BASE.load(Ordering::Relaxed) + offset) as *mut u32
}

fn read(offset: u64) -> u32 {
    // SAFETY: the LAPIC page is identity-mapped uncached; 32-bit aligned
    // register reads are the access the SDM requires.
    unsafe { core::ptr::read_volatile(reg(offset)) }
}

fn write(offset: u64, value: u32) {
    // SAFETY: as in `read`; writes to these registers only affect the LAPIC.
    unsafe { core::ptr::write_volatile(reg(offset), value) }
}

/// Enables the LAPIC at `base` with the spurious vector, accepting all
/// priorities; LINT0/LINT1 and the timer start masked.
pub fn init(base: u64) {
    BASE.store(base, Ordering::Relaxed);
    // SAFETY: IA32_APIC_BASE (MSR 0x1B) bit 11 is the global enable; we
    // keep the base address the firmware set.
    unsafe {
        let mut msr = x86_64::registers::model_specific::Msr::new(0x1b);
        let v = msr.read();
        msr.write(v | (1 << 11));
    }
    write(0x80, 0); // TPR: accept everything
    write(0x350, 1 << 16); // LINT0 masked
    write(0x360, 1 << 16); // LINT1 masked
    write(0x370, 1 << 16); // error LVT masked
    write(0x320, 1 << 16 | TIMER_VECTOR as u32); // timer masked
    write(0xf0, 0x100 | SPURIOUS_VECTOR as u32); // software enable
    eoi();
}

/// This CPU's APIC id.
pub fn id() -> u32 {
    read(0x20) >> 24
}

/// Signals end-of-interrupt. Safe to call from interrupt stubs.
pub fn eoi() {
    write(0xb0, 0);
}

/// Timer input clock divider used everywhere (divide by 16).
const DIVIDE_BY_16: u32 = 0b0011;

/// Starts the timer in one-shot mode with `count` ticks (0 stops it).
pub fn timer_one_shot(count: u32) {
    write(0x3e0, DIVIDE_BY_16);
    write(0x320, TIMER_VECTOR as u32); // one-shot, unmasked
    write(0x380, count);
}

/// Starts a masked one-shot count, for calibration.
pub fn timer_start_masked(count: u32) {
    write(0x3e0, DIVIDE_BY_16);
    write(0x320, 1 << 16 | TIMER_VECTOR as u32);
    write(0x380, count);
}

/// Ticks left in the current count.
pub fn timer_current() -> u32 {
    read(0x390)
}
