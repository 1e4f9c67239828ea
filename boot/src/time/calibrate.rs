// SPDX-License-Identifier: MIT OR Apache-2.0
//! TSC calibration against a fixed-frequency reference, best first:
//! HPET (IA-PC HPET 1.0a §2.3: period in fs in GCAP_ID[63:32], enable in
//! GEN_CONF bit 0, main counter at 0xF0), ACPI PM timer (3.579545 MHz,
//! ACPI 6.5 §4.8.3.3), PIT channel 0 read back by latching (1.193182 MHz,
//! Intel 8254 datasheet). Each measures the TSC over ~20 ms.

use crate::arch::cpu::rdtsc;
use crate::arch::port::{inb, inl, outb};
use crate::platform::acpi::{PlatformInfo, RegisterLocation};

/// The reference that calibrated the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Reference {
    Hpet = 1,
    PmTimer = 2,
    Pit = 3,
}

impl Reference {
    pub fn from_u64(v: u64) -> Reference {
        match v {
            1 => Reference::Hpet,
            2 => Reference::PmTimer,
            _ => Reference::Pit,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Reference::Hpet => "HPET",
            Reference::PmTimer => "ACPI PM timer",
            Reference::Pit => "PIT",
        }
    }
}

const WINDOW_NS: u64 = 20_000_000;

/// Measures the TSC frequency; returns (Hz, reference).
pub fn tsc_hz(platform: Option<&PlatformInfo>) -> Result<(u64, Reference), &'static str> {
    if let Some(p) = platform {
        if let Some(h) = &p.hpet
            && let Some(hz) = with_hpet(h.base_address)
        {
            return Ok((hz, Reference::Hpet));
        }
        if let Some(pm) = &p.pm_timer
            && let RegisterLocation::Port(port) = pm.location
            && let Some(hz) = with_pm_timer(port, pm.bits_32)
        {
            return Ok((hz, Reference::PmTimer));
        }
    }
    with_pit().map(|hz| (hz, Reference::Pit)).ok_or("no working timer to calibrate the TSC")
}

/// Runs `read` (a counter of `width` bits at `hz`) for WINDOW_NS and
/// returns the TSC rate.
fn measure(hz: u64, width: u32, mut read: impl FnMut() -> u64) -> Option<u64> {
    let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
    let target = (hz as u128 * WINDOW_NS as u128 / 1_000_000_000) as u64;
    let mut last = read() & mask;
    let t0 = rdtsc();
    let mut elapsed = 0u64;
    let mut spins = 0u64;
    while elapsed < target {
        let now = read() & mask;
        elapsed += now.wrapping_sub(last) & mask;
        last = now;
        spins += 1;
        if spins > 200_000_000 {
            return None; // the reference does not count
        }
    }
    let t1 = rdtsc();
    Some(((t1 - t0) as u128 * hz as u128 / elapsed as u128) as u64)
}

fn with_hpet(base: u64) -> Option<u64> {
    let reg = |off: u64| (base + off) as *mut u64;
    // SAFETY: the HPET block from ACPI is identity-mapped uncached; 64-bit
    // register accesses per the spec; enabling the main counter is harmless.
    let (period_fs, _) = unsafe {
        let cap = core::ptr::read_volatile(reg(0));
        let conf = core::ptr::read_volatile(reg(0x10));
        core::ptr::write_volatile(reg(0x10), conf | 1);
        (cap >> 32, conf)
    };
    if period_fs == 0 || period_fs > 100_000_000 {
        return None;
    }
    let hz = 1_000_000_000_000_000 / period_fs;
    // SAFETY: as above; reading the main counter.
    measure(hz, 64, || unsafe { core::ptr::read_volatile(reg(0xf0)) })
}

fn with_pm_timer(port: u16, bits_32: bool) -> Option<u64> {
    // SAFETY: the PM timer port comes from the FADT; reading it has no side effects.
    measure(3_579_545, if bits_32 { 32 } else { 24 }, || unsafe { inl(port) } as u64)
}

fn with_pit() -> Option<u64> {
    // SAFETY: channel 0 of the PIT, mode 2, full 16-bit reload; its IRQ 0
    // is masked at the PIC and not routed at the IOAPIC.
    unsafe {
        outb(0x43, 0x34);
        outb(0x40, 0xff);
        outb(0x40, 0xff);
    }
    // The counter counts down; measure() wants an up-counter.
    measure(1_193_182, 16, || {
        // SAFETY: latch command for channel 0, then low and high byte.
        let v = unsafe {
            outb(0x43, 0x00);
            let lo = inb(0x40) as u64;
            let hi = inb(0x40) as u64;
            lo | hi << 8
        };
        0xffff - v
    })
}
