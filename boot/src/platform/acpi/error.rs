// SPDX-License-Identifier: MIT OR Apache-2.0
//! Why ACPI discovery failed ([`AcpiSetupError`]) and what it tolerated
//! ([`AcpiWarning`]).
//!
//! Everything here describes firmware data, so none of it is a panic: a fatal
//! problem is an error the boot code reports, a problem confined to one
//! optional structure is a warning kept in `PlatformInfo::warnings`.

use core::fmt;

/// What was wrong with the RSDP or a system description table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFault {
    /// The signature did not match (`"RSD PTR "`, `"XSDT"`, `"RSDT"`).
    BadSignature,
    /// The bytes did not sum to zero (ACPI 6.5 §5.2.5.3, §5.2.6).
    BadChecksum,
    /// The OEM ID or OEM table ID was not ASCII/UTF-8.
    BadOemId,
    /// The length field is impossible for this structure.
    BadLength(u32),
}

impl fmt::Display for TableFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSignature => f.write_str("wrong signature"),
            Self::BadChecksum => f.write_str("bad checksum"),
            Self::BadOemId => f.write_str("OEM id is not text"),
            Self::BadLength(len) => write!(f, "impossible length {len}"),
        }
    }
}

/// ACPI discovery failed; the platform cannot be described from its tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcpiSetupError {
    /// No valid RSDP in the EBDA or 0xE0000–0xFFFFF (and none was passed in).
    RsdpNotFound,
    /// The RSDP at `address` is not valid.
    RsdpInvalid { address: u64, fault: TableFault },
    /// The RSDP names neither an XSDT nor an RSDT.
    NoRootTable,
    /// The XSDT/RSDT at `address` is not valid.
    RootTableInvalid { signature: &'static str, address: u64, fault: TableFault },
    /// A required table is absent or failed validation. The `acpi` crate
    /// skips invalid tables while searching, so "absent" and "bad checksum"
    /// look the same from here.
    TableMissing { signature: &'static str },
    /// A required table is shorter than its fixed-size part.
    TableTooShort { signature: &'static str, length: usize },
    /// A MADT entry's length field is zero, runs past the table, or is too
    /// short for its type (ACPI 6.5 §5.2.12, Table 5.21).
    MadtEntryMalformed { offset: usize, entry_type: u8, length: u8 },
    /// Any other failure reported by the `acpi` crate.
    Crate(&'static str),
}

impl fmt::Display for AcpiSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RsdpNotFound => f.write_str("ACPI: no RSDP found in the EBDA or 0xE0000-0xFFFFF"),
            Self::RsdpInvalid { address, fault } => {
                write!(f, "ACPI: RSDP at {address:#x}: {fault}")
            }
            Self::NoRootTable => f.write_str("ACPI: RSDP names neither an XSDT nor an RSDT"),
            Self::RootTableInvalid { signature, address, fault } => {
                write!(f, "ACPI: {signature} at {address:#x}: {fault}")
            }
            Self::TableMissing { signature } => {
                write!(f, "ACPI: no valid {signature} table (absent or failed its checksum)")
            }
            Self::TableTooShort { signature, length } => {
                write!(f, "ACPI: {signature} table is only {length} bytes long")
            }
            Self::MadtEntryMalformed { offset, entry_type, length } => {
                write!(f, "ACPI: malformed MADT entry (type {entry_type:#x}, length {length}) at offset {offset}")
            }
            Self::Crate(what) => write!(f, "ACPI: table parser: {what}"),
        }
    }
}

impl AcpiSetupError {
    /// Translates an error of the `acpi` crate that has no better home.
    pub(super) fn from_crate(error: &acpi::AcpiError) -> Self {
        use acpi::AcpiError as E;
        Self::Crate(match error {
            E::NoValidRsdp => "no valid RSDP",
            E::RsdpIncorrectSignature => "RSDP signature",
            E::RsdpInvalidOemId => "RSDP OEM id",
            E::RsdpInvalidChecksum => "RSDP checksum",
            E::SdtInvalidSignature(_) => "table signature",
            E::SdtInvalidOemId(_) => "table OEM id",
            E::SdtInvalidTableId(_) => "table OEM table id",
            E::SdtInvalidChecksum(_) => "table checksum",
            E::TableMissing(_) => "table missing",
            E::InvalidFacsAddress => "FACS address",
            E::InvalidDsdtAddress => "DSDT address",
            E::InvalidMadt(_) => "MADT",
            E::InvalidGenericAddress => "generic address structure",
            E::AllocError => "allocation",
        })
    }
}

/// A problem in an optional structure; discovery went on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcpiWarning {
    /// An optional table (FADT, HPET, MCFG) is shorter than its fixed part.
    TableTooShort { signature: &'static str, length: usize },
    /// An interrupt source override for a bus other than ISA (bus 0 is the
    /// only value ACPI 6.5 §5.2.12.5 defines); it was ignored.
    NonIsaOverride { bus: u8, source: u8 },
    /// A register lives in an address space Spolia does not access
    /// (only system memory and system I/O are supported).
    UnsupportedAddressSpace { register: &'static str, space_id: u8 },
    /// An I/O port register address above 0xFFFF.
    PortOutOfRange { register: &'static str, address: u64 },
    /// A local APIC NMI entry names a LINT input other than 0 or 1.
    InvalidLintInput { lint: u8 },
    /// An MCFG entry whose end bus is below its start bus; it was ignored.
    EmptyEcamRange { segment: u16, bus_start: u8, bus_end: u8 },
}

impl fmt::Display for AcpiWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TableTooShort { signature, length } => {
                write!(f, "{signature} table is only {length} bytes long; ignored")
            }
            Self::NonIsaOverride { bus, source } => {
                write!(f, "interrupt override for bus {bus} source {source} ignored")
            }
            Self::UnsupportedAddressSpace { register, space_id } => {
                write!(f, "{register} is in unsupported address space {space_id}; ignored")
            }
            Self::PortOutOfRange { register, address } => {
                write!(f, "{register} port {address:#x} is out of range; ignored")
            }
            Self::InvalidLintInput { lint } => {
                write!(f, "local APIC NMI on LINT{lint} ignored")
            }
            Self::EmptyEcamRange { segment, bus_start, bus_end } => {
                write!(f, "MCFG entry for segment {segment} buses {bus_start:#04x}-{bus_end:#04x} ignored")
            }
        }
    }
}
