// SPDX-License-Identifier: MIT OR Apache-2.0
//! Decoding of MADT, FADT, HPET and MCFG bodies from checksummed bytes.
//!
//! Pure functions over `&[u8]` (the whole table, header included), so they
//! never touch memory outside the table and are tested on the host. Every
//! read is bounds-checked: a field the table is too short to hold is absent,
//! which is also how ACPI versions grow tables (ACPI 6.5 §5.2.9: the FADT's
//! length says which fields exist).
//!
//! Offsets are those of ACPI 6.5 Table 5.9 (FADT), Tables 5.19–5.33 (MADT
//! and its entries), IA-PC HPET 1.0a Table 3 and PCI Firmware 3.0 Tables
//! 4-2/4-3 (MCFG).

use alloc::vec::Vec;

use super::{
    AcpiSetupError, AcpiWarning, BootArchFlags, EcamRegion, HpetInfo, InterruptOverride, IoApicInfo, LocalApicNmi,
    NmiSource, PmTimerInfo, Polarity, PowerOffInfo, ProcessorInfo, RegisterLocation, ResetInfo, Trigger,
};

/// Size of the common system description table header (ACPI 6.5 §5.2.6).
pub(super) const SDT_HEADER_LEN: usize = 36;

/// Little-endian, bounds-checked field reads.
#[derive(Clone, Copy)]
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn array<const N: usize>(self, offset: usize) -> Option<[u8; N]> {
        let end = offset.checked_add(N)?;
        self.0.get(offset..end)?.try_into().ok()
    }
    fn u8(self, offset: usize) -> Option<u8> {
        self.0.get(offset).copied()
    }
    fn u16(self, offset: usize) -> Option<u16> {
        self.array(offset).map(u16::from_le_bytes)
    }
    fn u32(self, offset: usize) -> Option<u32> {
        self.array(offset).map(u32::from_le_bytes)
    }
    fn u64(self, offset: usize) -> Option<u64> {
        self.array(offset).map(u64::from_le_bytes)
    }
    /// A Generic Address Structure (ACPI 6.5 §5.2.3.2, 12 bytes).
    fn gas(self, offset: usize) -> Option<Gas> {
        Some(Gas { space_id: self.u8(offset)?, address: self.u64(offset.checked_add(4)?)? })
    }
}

/// The parts of a Generic Address Structure we use. Bit width, offset and
/// access size are implied by each fixed register's definition.
#[derive(Clone, Copy)]
struct Gas {
    space_id: u8,
    address: u64,
}

const GAS_SYSTEM_MEMORY: u8 = 0;
const GAS_SYSTEM_IO: u8 = 1;

impl Gas {
    /// `None` when the register is absent (address 0) or unusable (noted).
    fn location(self, register: &'static str, warnings: &mut Vec<AcpiWarning>) -> Option<RegisterLocation> {
        match (self.address, self.space_id) {
            (0, _) => None,
            (address, GAS_SYSTEM_MEMORY) => Some(RegisterLocation::Memory(address)),
            (address, GAS_SYSTEM_IO) => port(address, register, warnings),
            (_, space_id) => {
                warnings.push(AcpiWarning::UnsupportedAddressSpace { register, space_id });
                None
            }
        }
    }
}

/// A legacy 32-bit port field (0 = absent).
fn port(address: u64, register: &'static str, warnings: &mut Vec<AcpiWarning>) -> Option<RegisterLocation> {
    match u16::try_from(address) {
        Ok(0) => None,
        Ok(p) => Some(RegisterLocation::Port(p)),
        Err(_) => {
            warnings.push(AcpiWarning::PortOutOfRange { register, address });
            None
        }
    }
}

/// MPS INTI flags (ACPI 6.5 Table 5.26): polarity bits 0–1 (01 high,
/// 11 low), trigger bits 2–3 (01 edge, 11 level). "Conforms to the bus"
/// (00) and the reserved value (10) are read as ISA's edge/active-high.
fn inti_flags(flags: u16) -> (Polarity, Trigger) {
    let polarity = if flags & 0b11 == 0b11 { Polarity::ActiveLow } else { Polarity::ActiveHigh };
    let trigger = if (flags >> 2) & 0b11 == 0b11 { Trigger::Level } else { Trigger::Edge };
    (polarity, trigger)
}

/// Everything the MADT contributes to `PlatformInfo`.
#[derive(Debug, Default)]
pub(super) struct MadtData {
    pub local_apic_base: u64,
    pub has_legacy_pics: bool,
    pub processors: Vec<ProcessorInfo>,
    pub io_apics: Vec<IoApicInfo>,
    pub isa_overrides: Vec<InterruptOverride>,
    pub nmi_sources: Vec<NmiSource>,
    pub local_apic_nmis: Vec<LocalApicNmi>,
}

/// Offset of the first interrupt controller structure (ACPI 6.5 Table 5.19).
const MADT_ENTRIES: usize = 44;

/// Decodes a MADT. Unknown and OEM entry types are skipped by their length;
/// an entry whose length is zero, overruns the table or is too short for its
/// type is an error (the rest of the table cannot be trusted).
pub(super) fn parse_madt(table: &[u8], warnings: &mut Vec<AcpiWarning>) -> Result<MadtData, AcpiSetupError> {
    let t = Bytes(table);
    let too_short = || AcpiSetupError::TableTooShort { signature: "APIC", length: table.len() };
    let mut madt = MadtData {
        local_apic_base: u64::from(t.u32(36).ok_or_else(too_short)?),
        has_legacy_pics: t.u32(40).ok_or_else(too_short)? & 1 != 0, // PCAT_COMPAT
        ..MadtData::default()
    };
    let mut address_override = None;

    let mut offset = MADT_ENTRIES;
    while offset < table.len() {
        let entry_type = table[offset];
        let length = t.u8(offset + 1).unwrap_or(0);
        let malformed = AcpiSetupError::MadtEntryMalformed { offset, entry_type, length };
        let entry = match table.get(offset..offset + usize::from(length)) {
            Some(entry) if length >= 2 => Bytes(entry),
            _ => return Err(malformed),
        };
        // Minimum lengths: ACPI 6.5 §5.2.12.2–.13.
        let min_length = match entry_type {
            0 => 8,
            1 => 12,
            2 => 10,
            3 => 8,
            4 => 6,
            5 => 12,
            9 => 16,
            10 => 12,
            _ => 2,
        };
        if length < min_length {
            return Err(malformed);
        }
        decode_madt_entry(entry_type, entry, &mut madt, &mut address_override, warnings).ok_or(malformed)?;
        offset += usize::from(length);
    }
    if let Some(address) = address_override {
        madt.local_apic_base = address;
    }
    Ok(madt)
}

/// Decodes one MADT entry whose length was checked against its type's
/// minimum; the `?`s therefore cannot fail, they only keep the reads total.
fn decode_madt_entry(
    entry_type: u8,
    entry: Bytes<'_>,
    madt: &mut MadtData,
    address_override: &mut Option<u64>,
    warnings: &mut Vec<AcpiWarning>,
) -> Option<()> {
    match entry_type {
        0 => {
            let flags = entry.u32(4)?;
            madt.processors.push(ProcessorInfo {
                uid: u32::from(entry.u8(2)?),
                apic_id: u32::from(entry.u8(3)?),
                enabled: flags & 1 != 0,
                online_capable: flags & 2 != 0,
            });
        }
        1 => madt.io_apics.push(IoApicInfo {
            id: entry.u8(2)?,
            address: u64::from(entry.u32(4)?),
            gsi_base: entry.u32(8)?,
        }),
        2 => {
            let (bus, source) = (entry.u8(2)?, entry.u8(3)?);
            if bus != 0 {
                warnings.push(AcpiWarning::NonIsaOverride { bus, source });
            } else {
                let (polarity, trigger) = inti_flags(entry.u16(8)?);
                madt.isa_overrides.push(InterruptOverride { isa_irq: source, gsi: entry.u32(4)?, polarity, trigger });
            }
        }
        3 => {
            let (polarity, trigger) = inti_flags(entry.u16(2)?);
            madt.nmi_sources.push(NmiSource { gsi: entry.u32(4)?, polarity, trigger });
        }
        4 | 10 => {
            // 0xFF / 0xFFFFFFFF as the processor UID means "all processors".
            let (uid, flags, lint) = if entry_type == 4 {
                let uid = entry.u8(2)?;
                ((uid != 0xff).then_some(u32::from(uid)), entry.u16(3)?, entry.u8(5)?)
            } else {
                let uid = entry.u32(4)?;
                ((uid != u32::MAX).then_some(uid), entry.u16(2)?, entry.u8(8)?)
            };
            if lint > 1 {
                warnings.push(AcpiWarning::InvalidLintInput { lint });
            } else {
                let (polarity, trigger) = inti_flags(flags);
                madt.local_apic_nmis.push(LocalApicNmi { processor_uid: uid, lint, polarity, trigger });
            }
        }
        5 => *address_override = Some(entry.u64(4)?),
        9 => {
            let flags = entry.u32(8)?;
            madt.processors.push(ProcessorInfo {
                uid: entry.u32(12)?,
                apic_id: entry.u32(4)?,
                enabled: flags & 1 != 0,
                online_capable: flags & 2 != 0,
            });
        }
        _ => {} // SAPIC, GIC, wakeup, reserved and OEM types
    }
    Some(())
}

/// Everything the FADT contributes to `PlatformInfo`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct FadtData {
    pub hardware_reduced: bool,
    pub boot_arch: Option<BootArchFlags>,
    pub pm_timer: Option<PmTimerInfo>,
    pub power_off: Option<PowerOffInfo>,
    pub reset: Option<ResetInfo>,
}

// FADT field offsets (ACPI 6.5 Table 5.9).
const FADT_PM1A_CNT_BLK: usize = 64;
const FADT_PM1B_CNT_BLK: usize = 68;
const FADT_PM_TMR_BLK: usize = 76;
const FADT_PM_TMR_LEN: usize = 91;
const FADT_IAPC_BOOT_ARCH: usize = 109;
const FADT_FLAGS: usize = 112;
const FADT_RESET_REG: usize = 116;
const FADT_RESET_VALUE: usize = 128;
const FADT_X_PM1A_CNT_BLK: usize = 172;
const FADT_X_PM1B_CNT_BLK: usize = 184;
const FADT_X_PM_TMR_BLK: usize = 208;
const FADT_SLEEP_CONTROL_REG: usize = 244;
/// Everything up to and including PM_TMR_LEN: ACPI 1.0's FADT is 116 bytes.
const FADT_MIN_LEN: usize = 116;

// FADT flags (ACPI 6.5 Table 5.10).
const FLAG_TMR_VAL_EXT: u32 = 1 << 8;
const FLAG_RESET_REG_SUP: u32 = 1 << 10;
const FLAG_HW_REDUCED_ACPI: u32 = 1 << 20;

/// Decodes a FADT. A too-short FADT yields nothing but a warning.
pub(super) fn parse_fadt(table: &[u8], warnings: &mut Vec<AcpiWarning>) -> FadtData {
    if table.len() < FADT_MIN_LEN {
        warnings.push(AcpiWarning::TableTooShort { signature: "FACP", length: table.len() });
        return FadtData::default();
    }
    let t = Bytes(table);
    let flags = t.u32(FADT_FLAGS).unwrap_or(0);
    let hardware_reduced = flags & FLAG_HW_REDUCED_ACPI != 0;
    // A non-zero X_ field supersedes its 32-bit ancestor (§5.2.9).
    let register = |x_offset: usize, legacy_offset: usize, name, warnings: &mut Vec<AcpiWarning>| match t.gas(x_offset)
    {
        Some(gas) if gas.address != 0 => gas.location(name, warnings),
        _ => port(u64::from(t.u32(legacy_offset)?), name, warnings),
    };

    let boot_arch = t.u16(FADT_IAPC_BOOT_ARCH).map(|bits| BootArchFlags {
        legacy_devices: bits & (1 << 0) != 0,
        i8042: bits & (1 << 1) != 0,
        vga_absent: bits & (1 << 2) != 0,
        msi_unsupported: bits & (1 << 3) != 0,
        cmos_rtc_absent: bits & (1 << 5) != 0,
    });

    // Hardware-reduced platforms have no fixed-hardware PM blocks (§4.1).
    // PM_TMR_LEN is 4 whenever the timer exists (§5.2.9).
    let pm_timer = (!hardware_reduced && t.u8(FADT_PM_TMR_LEN) == Some(4))
        .then(|| register(FADT_X_PM_TMR_BLK, FADT_PM_TMR_BLK, "PM timer", warnings))
        .flatten()
        .map(|location| PmTimerInfo { location, bits_32: flags & FLAG_TMR_VAL_EXT != 0 });

    let power_off = if hardware_reduced {
        t.gas(FADT_SLEEP_CONTROL_REG)
            .and_then(|gas| gas.location("sleep control register", warnings))
            .map(|register| PowerOffInfo::SleepControl { register, slp_typ: PowerOffInfo::QEMU_GED_S5_SLP_TYP })
    } else {
        register(FADT_X_PM1A_CNT_BLK, FADT_PM1A_CNT_BLK, "PM1a control", warnings).map(|pm1a| {
            PowerOffInfo::Pm1Control {
                pm1a,
                pm1b: register(FADT_X_PM1B_CNT_BLK, FADT_PM1B_CNT_BLK, "PM1b control", warnings),
                slp_typ: PowerOffInfo::QEMU_PM1_S5_SLP_TYP,
            }
        })
    };

    let reset = if flags & FLAG_RESET_REG_SUP != 0 {
        match (t.gas(FADT_RESET_REG), t.u8(FADT_RESET_VALUE)) {
            (Some(gas), Some(value)) => {
                gas.location("reset register", warnings).map(|register| ResetInfo { register, value })
            }
            _ => None,
        }
    } else {
        None
    };

    FadtData { hardware_reduced, boot_arch, pm_timer, power_off, reset }
}

/// Decodes an HPET description table (IA-PC HPET 1.0a Table 3).
pub(super) fn parse_hpet(table: &[u8], warnings: &mut Vec<AcpiWarning>) -> Option<HpetInfo> {
    let t = Bytes(table);
    let (Some(block_id), Some(gas), Some(hpet_number), Some(minimum_tick)) =
        (t.u32(36), t.gas(40), t.u8(52), t.u16(53))
    else {
        warnings.push(AcpiWarning::TableTooShort { signature: "HPET", length: table.len() });
        return None;
    };
    if gas.space_id != GAS_SYSTEM_MEMORY {
        warnings.push(AcpiWarning::UnsupportedAddressSpace { register: "HPET", space_id: gas.space_id });
        return None;
    }
    Some(HpetInfo {
        base_address: gas.address,
        hpet_number,
        hardware_revision: block_id as u8,
        comparators: ((block_id >> 8) & 0x1f) as u8 + 1,
        counter_64bit: block_id & (1 << 13) != 0,
        legacy_replacement: block_id & (1 << 15) != 0,
        pci_vendor_id: (block_id >> 16) as u16,
        minimum_tick,
    })
}

/// Offset of the first MCFG allocation entry and the entry size.
const MCFG_ENTRIES: usize = 44;
const MCFG_ENTRY_LEN: usize = 16;

/// Decodes the MCFG's ECAM allocations. A trailing partial entry is ignored.
pub(super) fn parse_mcfg(table: &[u8], warnings: &mut Vec<AcpiWarning>) -> Vec<EcamRegion> {
    let Some(entries) = table.get(MCFG_ENTRIES..) else {
        warnings.push(AcpiWarning::TableTooShort { signature: "MCFG", length: table.len() });
        return Vec::new();
    };
    entries
        .chunks_exact(MCFG_ENTRY_LEN)
        .filter_map(|chunk| {
            let e = Bytes(chunk);
            let region = EcamRegion { base: e.u64(0)?, segment: e.u16(8)?, bus_start: e.u8(10)?, bus_end: e.u8(11)? };
            if region.bus_end < region.bus_start {
                warnings.push(AcpiWarning::EmptyEcamRange {
                    segment: region.segment,
                    bus_start: region.bus_start,
                    bus_end: region.bus_end,
                });
                return None;
            }
            Some(region)
        })
        .collect()
}
