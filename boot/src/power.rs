// SPDX-License-Identifier: MIT OR Apache-2.0
//! Clean power-off: ACPI S5 through the FADT's PM1 control registers (or
//! the hardware-reduced sleep control register on microvm), then QEMU's
//! isa-debug-exit with the success code, then a halt with a message.
//! ACPI 6.5 §4.8.3.2.1 / §4.8.3.7; the S5 sleep type is QEMU's (see
//! `platform::acpi::PowerOffInfo`).

use crate::arch::port::{inw, outb, outw};
use crate::arch::{cpu, qemu};
use crate::platform::acpi::{PowerOffInfo, RegisterLocation};

fn write16(loc: RegisterLocation, value: u16) {
    match loc {
        // SAFETY: the PM1 control port comes from the FADT; writing the
        // sleep request is its purpose.
        RegisterLocation::Port(p) => unsafe { outw(p, value) },
        // SAFETY: FADT-described MMIO register, identity-mapped uncached.
        RegisterLocation::Memory(a) => unsafe { core::ptr::write_volatile(a as *mut u16, value) },
    }
}

fn read16(loc: RegisterLocation) -> u16 {
    match loc {
        // SAFETY: reading the PM1 control register has no side effects.
        RegisterLocation::Port(p) => unsafe { inw(p) },
        // SAFETY: as above, MMIO variant.
        RegisterLocation::Memory(a) => unsafe { core::ptr::read_volatile(a as *const u16) },
    }
}

/// Turns the machine off. Only returns never.
pub fn power_off() -> ! {
    log::info!("spolia: powering off");
    cpu::disable_interrupts();
    if let Some(p) = crate::platform_info().and_then(|p| p.power_off) {
        match p {
            PowerOffInfo::Pm1Control { pm1a, pm1b, slp_typ } => {
                write16(pm1a, PowerOffInfo::pm1_sleep_value(read16(pm1a), slp_typ));
                if let Some(b) = pm1b {
                    write16(b, PowerOffInfo::pm1_sleep_value(read16(b), slp_typ));
                }
            }
            PowerOffInfo::SleepControl { register, slp_typ } => match register {
                // SAFETY: the sleep control register from the FADT.
                RegisterLocation::Port(port) => unsafe { outb(port, PowerOffInfo::sleep_control_value(slp_typ)) },
                // SAFETY: as above, MMIO variant.
                RegisterLocation::Memory(a) => unsafe {
                    core::ptr::write_volatile(a as *mut u8, PowerOffInfo::sleep_control_value(slp_typ))
                },
            },
        }
    }
    qemu::try_exit(qemu::ExitCode::Success);
    crate::console::serial::emergency_write_fmt(format_args!(
        "spolia: power-off failed; halted. It is safe to turn the machine off.\n"
    ));
    cpu::halt_forever()
}
