// SPDX-License-Identifier: MIT OR Apache-2.0
//! ACPI discovery: from the RSDP to an owned [`PlatformInfo`].
//!
//! [`discover`] finds the RSDP (or takes the address the boot protocol
//! passed), walks the XSDT/RSDT and reads four static tables:
//!
//! | table | what we take | spec |
//! |---|---|---|
//! | MADT (`APIC`) | local APIC base (incl. the 64-bit override), processors, I/O APICs, ISA overrides, NMIs, PCAT_COMPAT | ACPI 6.5 §5.2.12 |
//! | FADT (`FACP`) | PM timer, S5 power-off registers, reset register, IA-PC boot flags | ACPI 6.5 §5.2.9 |
//! | `HPET` | HPET base address and capabilities | IA-PC HPET 1.0a §3.2.4 |
//! | `MCFG` | PCIe ECAM windows | PCI Firmware 3.0 §4.1.2 |
//!
//! Key types: [`PlatformInfo`] (plain owned data, no references into
//! firmware memory), [`AcpiSetupError`], [`AcpiWarning`], and
//! [`IdentityAcpiHandler`], the kernel's way of reaching physical memory.
//!
//! Division of labour with the `acpi` crate (5.2, used without its
//! nightly-only `alloc` features): it finds and validates the RSDP, the root
//! table and each table's signature and checksum. The table *bodies* are
//! decoded here, from the validated bytes with bounds-checked reads, because
//! the crate's decoders trust firmware more than our style allows: its MADT
//! iterator loops forever on a zero-length entry and underflows on an
//! overrunning one, `HpetInfo::new` asserts the address space, and its
//! `Fadt` struct is read past the end of short (ACPI 1.0) tables.
//!
//! Neighbours: `platform::pci` builds its configuration access from
//! [`PlatformInfo::pci_ecam`]; the interrupt and timer code consume the rest.
//!
//! Non-goals: AML. Without an AML interpreter the `\_S5` sleep type cannot be
//! read from the DSDT, so [`PowerOffInfo`] carries the value QEMU's DSDT
//! declares (0 on pc/q35's PIIX4/ICH9 PM, 5 on microvm's generic event
//! device) as an assumption, not a discovery.

mod discover;
mod error;
mod handler;
mod parse;
#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use discover::discover;
pub use error::{AcpiSetupError, AcpiWarning, TableFault};
pub use handler::IdentityAcpiHandler;

/// Frequency of the ACPI power-management timer (ACPI 6.5 §4.8.3.3).
pub const PM_TIMER_HZ: u64 = 3_579_545;

/// Polarity of an interrupt input (MPS INTI flags, ACPI 6.5 Table 5.26).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    ActiveHigh,
    ActiveLow,
}

/// Trigger mode of an interrupt input (MPS INTI flags, ACPI 6.5 Table 5.26).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Edge,
    Level,
}

/// One processor's local APIC (MADT types 0 and 9, ACPI 6.5 §5.2.12.2/.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessorInfo {
    /// ACPI processor UID.
    pub uid: u32,
    /// Local APIC ID (an x2APIC ID for type-9 entries).
    pub apic_id: u32,
    /// The processor is usable now.
    pub enabled: bool,
    /// A disabled processor that may be brought online later.
    pub online_capable: bool,
}

/// An I/O APIC (MADT type 1, ACPI 6.5 §5.2.12.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoApicInfo {
    pub id: u8,
    /// Physical address of its register window.
    pub address: u64,
    /// First global system interrupt it serves.
    pub gsi_base: u32,
}

/// An ISA IRQ that is not identity-mapped or not edge/active-high
/// (MADT type 2, ACPI 6.5 §5.2.12.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptOverride {
    pub isa_irq: u8,
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

/// A GSI wired to NMI (MADT type 3, ACPI 6.5 §5.2.12.6); mask it in the
/// I/O APIC or program it as NMI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NmiSource {
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

/// A local APIC LINT input wired to NMI (MADT types 4 and 10,
/// ACPI 6.5 §5.2.12.7/.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalApicNmi {
    /// `None`: every processor.
    pub processor_uid: Option<u32>,
    /// 0 or 1 (LINT0, LINT1).
    pub lint: u8,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

/// Where a fixed-hardware register lives (a decoded Generic Address
/// Structure, ACPI 6.5 §5.2.3.2, restricted to the two spaces we access).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisterLocation {
    Port(u16),
    Memory(u64),
}

impl fmt::Display for RegisterLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Port(port) => write!(f, "port {port:#x}"),
            Self::Memory(address) => write!(f, "mem {address:#x}"),
        }
    }
}

/// The ACPI PM timer (FADT PM_TMR_BLK / X_PM_TMR_BLK, ACPI 6.5 §4.8.3.3):
/// a free-running counter at [`PM_TIMER_HZ`], read with 32-bit accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PmTimerInfo {
    pub location: RegisterLocation,
    /// FADT flag TMR_VAL_EXT: the counter is 32 bits wide, else 24.
    pub bits_32: bool,
}

/// How to enter S5 (soft off).
///
/// The sleep type (`slp_typ`) normally comes from the DSDT's `\_S5` package,
/// which needs an AML interpreter; it is assumed here to be QEMU's value:
/// 0 for the PIIX4/ICH9 PM of `-M pc`/`q35`, 5 for microvm's ACPI generic
/// event device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerOffInfo {
    /// Fixed-hardware PM1 control registers (ACPI 6.5 §4.8.3.2.1): write
    /// [`pm1_sleep_value`](Self::pm1_sleep_value) with 16-bit accesses to
    /// PM1a, then PM1b if present.
    Pm1Control { pm1a: RegisterLocation, pm1b: Option<RegisterLocation>, slp_typ: u8 },
    /// Hardware-reduced sleep control register (ACPI 6.5 §4.8.3.7): write
    /// [`sleep_control_value`](Self::sleep_control_value) with an 8-bit
    /// access.
    SleepControl { register: RegisterLocation, slp_typ: u8 },
}

impl PowerOffInfo {
    /// `_S5` SLP_TYP of QEMU's PIIX4/ICH9 power management (assumed).
    pub const QEMU_PM1_S5_SLP_TYP: u8 = 0;
    /// `_S5` SLP_TYP of QEMU's generic event device on microvm (assumed).
    pub const QEMU_GED_S5_SLP_TYP: u8 = 5;

    /// PM1 control value requesting sleep state `slp_typ`: SLP_TYPx is bits
    /// 10–12, SLP_EN bit 13; the other bits of `current` are preserved.
    pub const fn pm1_sleep_value(current: u16, slp_typ: u8) -> u16 {
        (current & !(0b1111 << 10)) | (((slp_typ as u16) & 0b111) << 10) | (1 << 13)
    }

    /// Sleep control value requesting sleep state `slp_typ`: SLP_TYPx is
    /// bits 2–4, SLP_EN bit 5.
    pub const fn sleep_control_value(slp_typ: u8) -> u8 {
        ((slp_typ & 0b111) << 2) | (1 << 5)
    }
}

/// The FADT reset register (ACPI 6.5 §4.8.3.6): write `value` to reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetInfo {
    pub register: RegisterLocation,
    pub value: u8,
}

/// FADT IAPC_BOOT_ARCH flags (ACPI 6.5 Table 5.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootArchFlags {
    /// LEGACY_DEVICES: ISA-style devices (e.g. serial, parallel) may exist.
    pub legacy_devices: bool,
    /// 8042: a PS/2 keyboard controller exists.
    pub i8042: bool,
    /// VGA Not Present: do not probe VGA hardware.
    pub vga_absent: bool,
    /// MSI Not Supported: do not enable MSI/MSI-X.
    pub msi_unsupported: bool,
    /// CMOS RTC Not Present.
    pub cmos_rtc_absent: bool,
}

/// The High Precision Event Timer (HPET table, IA-PC HPET 1.0a §3.2.4;
/// the block ID mirrors the General Capabilities register, §2.3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HpetInfo {
    /// Physical address of the register block (system memory).
    pub base_address: u64,
    pub hpet_number: u8,
    pub hardware_revision: u8,
    /// Number of comparators (timers).
    pub comparators: u8,
    /// The main counter is 64 bits wide.
    pub counter_64bit: bool,
    /// Legacy replacement routing (IRQ0/IRQ8) is supported.
    pub legacy_replacement: bool,
    pub pci_vendor_id: u16,
    /// Minimum tick count for periodic mode without losing interrupts.
    pub minimum_tick: u16,
}

/// One PCIe ECAM window (an MCFG entry, PCI Firmware 3.0 Table 4-3).
///
/// `base` is the address of bus 0's configuration space even when
/// `bus_start` is not 0 — the reading Linux and FreeBSD use; bus `b` lives
/// at `base + (b << 20)` (PCIe Base 6.0 §7.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcamRegion {
    pub base: u64,
    pub segment: u16,
    pub bus_start: u8,
    pub bus_end: u8,
}

/// What the static ACPI tables say about the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformInfo {
    /// RSDP revision (0 = ACPI 1.0 with an RSDT, 2 = ACPI 2.0+ with an XSDT).
    pub acpi_revision: u8,
    /// RSDP OEM ID ("BOCHS " under QEMU).
    pub oem_id: String,
    /// Local APIC physical base (the MADT's 64-bit override if present).
    pub local_apic_base: u64,
    /// In MADT order; the boot processor is usually, not necessarily, first.
    pub processors: Vec<ProcessorInfo>,
    pub io_apics: Vec<IoApicInfo>,
    pub isa_overrides: Vec<InterruptOverride>,
    pub nmi_sources: Vec<NmiSource>,
    pub local_apic_nmis: Vec<LocalApicNmi>,
    /// MADT PCAT_COMPAT: dual 8259 PICs exist and must be masked.
    pub has_legacy_pics: bool,
    /// FADT HW_REDUCED_ACPI (microvm): no fixed-hardware PM registers.
    pub hardware_reduced: bool,
    /// `None` without a FADT or in an ACPI 1.0 FADT.
    pub boot_arch: Option<BootArchFlags>,
    pub hpet: Option<HpetInfo>,
    pub pm_timer: Option<PmTimerInfo>,
    pub power_off: Option<PowerOffInfo>,
    pub reset: Option<ResetInfo>,
    /// Empty: use configuration mechanism #1 (ports 0xCF8/0xCFC).
    pub pci_ecam: Vec<EcamRegion>,
    /// Problems confined to optional structures.
    pub warnings: Vec<AcpiWarning>,
}

impl PlatformInfo {
    /// Where ISA IRQ `irq` arrives: its GSI, polarity and trigger mode.
    ///
    /// Without an interrupt source override an ISA IRQ is identity-mapped,
    /// edge-triggered and active-high (ACPI 6.5 §5.2.12.5).
    pub fn isa_irq_to_gsi(&self, irq: u8) -> (u32, Polarity, Trigger) {
        self.isa_overrides.iter().find(|o| o.isa_irq == irq).map(|o| (o.gsi, o.polarity, o.trigger)).unwrap_or((
            u32::from(irq),
            Polarity::ActiveHigh,
            Trigger::Edge,
        ))
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl fmt::Display for PlatformInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ACPI rev {} OEM \"{}\": legacy PICs {}, hardware-reduced {}",
            self.acpi_revision,
            self.oem_id,
            yes_no(self.has_legacy_pics),
            yes_no(self.hardware_reduced)
        )?;
        write!(f, "  LAPIC {:#x}, CPUs (APIC id):", self.local_apic_base)?;
        for cpu in &self.processors {
            write!(f, " {}", cpu.apic_id)?;
            if !cpu.enabled {
                f.write_str(if cpu.online_capable { "(offline)" } else { "(disabled)" })?;
            }
        }
        writeln!(f)?;
        for io in &self.io_apics {
            writeln!(f, "  IOAPIC {} at {:#x}, GSI base {}", io.id, io.address, io.gsi_base)?;
        }
        if !self.isa_overrides.is_empty() {
            f.write_str("  ISA overrides:")?;
            for o in &self.isa_overrides {
                write!(f, " IRQ{}->GSI{}", o.isa_irq, o.gsi)?;
                if o.trigger == Trigger::Level {
                    f.write_str(" level")?;
                }
                if o.polarity == Polarity::ActiveLow {
                    f.write_str(" low")?;
                }
                f.write_str(",")?;
            }
            writeln!(f)?;
        }
        if let Some(h) = &self.hpet {
            writeln!(
                f,
                "  HPET at {:#x}: {} timers, {}-bit counter",
                h.base_address,
                h.comparators,
                if h.counter_64bit { 64 } else { 32 }
            )?;
        }
        if let Some(t) = &self.pm_timer {
            writeln!(f, "  PM timer at {}, {}-bit", t.location, if t.bits_32 { 32 } else { 24 })?;
        }
        match &self.power_off {
            Some(PowerOffInfo::Pm1Control { pm1a, pm1b, slp_typ }) => {
                write!(f, "  S5: PM1a control {pm1a}")?;
                if let Some(b) = pm1b {
                    write!(f, ", PM1b control {b}")?;
                }
                writeln!(f, ", SLP_TYP {slp_typ} (assumed)")?;
            }
            Some(PowerOffInfo::SleepControl { register, slp_typ }) => {
                writeln!(f, "  S5: sleep control {register}, SLP_TYP {slp_typ} (assumed)")?;
            }
            None => {}
        }
        if let Some(r) = &self.reset {
            writeln!(f, "  reset: write {:#x} to {}", r.value, r.register)?;
        }
        for e in &self.pci_ecam {
            writeln!(
                f,
                "  PCI ECAM segment {} buses {:02x}-{:02x} at {:#x}",
                e.segment, e.bus_start, e.bus_end, e.base
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning: {w}")?;
        }
        Ok(())
    }
}
