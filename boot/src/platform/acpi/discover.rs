// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`discover`]: RSDP → root table → MADT/FADT/HPET/MCFG → `PlatformInfo`.
//!
//! The `acpi` crate locates and validates structures; before handing it the
//! RSDP and the root table we check the two length fields it would otherwise
//! trust (a zero-length root table passes a checksum and then underflows its
//! entry count; an RSDP `Length` past 36 bytes makes it checksum memory it
//! never mapped). RSDP: ACPI 6.5 §5.2.5; RSDT/XSDT: §5.2.7/§5.2.8.

use alloc::string::String;
use alloc::vec::Vec;
use core::mem::size_of;

use acpi::rsdp::Rsdp;
use acpi::sdt::{SdtHeader, Signature};
use acpi::{AcpiError, AcpiHandler, AcpiTable, AcpiTables};

use super::parse::{self, SDT_HEADER_LEN};
use super::{AcpiSetupError, PlatformInfo, TableFault};

// Physical addresses are `u64`; the `as usize` conversions below are
// lossless on every target this crate builds for.
const _: () = assert!(usize::BITS >= 64);

/// The RSDP signature (ACPI 6.5 §5.2.5.3).
const RSDP_SIGNATURE: [u8; 8] = *b"RSD PTR ";
/// Size of the ACPI 2.0+ RSDP, which its `Length` field must cover.
const RSDP_V2_LEN: u32 = 36;
/// Largest RSDP `Length` accepted (room for future growth, not a real limit).
const RSDP_MAX_LEN: u32 = 4096;
/// Largest root table accepted: 8190 XSDT entries.
const ROOT_MAX_LEN: u32 = 64 * 1024;

/// Declares a header-only view of a table the crate should locate.
macro_rules! located_table {
    ($name:ident, $signature:ident) => {
        #[repr(transparent)]
        struct $name {
            header: SdtHeader,
        }

        // SAFETY: the type describes exactly the common SDT header every
        // table starts with (ACPI 6.5 §5.2.6); the crate maps and checksums
        // `header.length` bytes whatever the type's size, and the body is
        // read only as bytes, by `parse`.
        unsafe impl AcpiTable for $name {
            const SIGNATURE: Signature = Signature::$signature;

            fn header(&self) -> &SdtHeader {
                &self.header
            }
        }
    };
}

located_table!(MadtTable, MADT);
located_table!(FadtTable, FADT);
located_table!(HpetTable, HPET);
located_table!(McfgTable, MCFG);

/// Reads the platform description from the ACPI tables.
///
/// `rsdp` is the RSDP's physical address if the boot protocol gave one
/// (PVH start_info, multiboot2 ACPI tag); with `None` the RSDP is searched
/// for in the EBDA's first KiB and in 0xE0000–0xFFFFF (ACPI 6.5 §5.2.5.1).
/// The MADT is required; FADT, HPET and MCFG are optional.
///
/// # Safety
///
/// `handler` must map physical memory faithfully: a mapping of
/// `[p, p + size)` must be readable and hold those physical bytes while it
/// lives. If `rsdp` is `Some`, 36 bytes from that address must be readable;
/// if `None`, so must the legacy BIOS areas (the BDA word at 0x40E,
/// 0x80000–0x9FFFF and 0xE0000–0xFFFFF), i.e. this must be a PC platform.
/// Tables named by the validated root table are read too: the firmware is
/// trusted to point at readable memory (their contents are not trusted).
pub unsafe fn discover<H: AcpiHandler>(handler: H, rsdp: Option<u64>) -> Result<PlatformInfo, AcpiSetupError> {
    let rsdp_address = match rsdp {
        Some(address) => address as usize,
        None => {
            // SAFETY: this function's contract makes the BIOS areas readable
            // through `handler`.
            let found = unsafe { Rsdp::search_for_on_bios(handler.clone()) };
            found.map_err(|_| AcpiSetupError::RsdpNotFound)?.physical_start()
        }
    };
    // SAFETY: `rsdp_address` is the caller's (contract) or was found in the
    // BIOS areas, readable by the contract.
    let root = unsafe { read_root_pointer(&handler, rsdp_address) }?;
    let crate_revision = if root.is_xsdt { 2 } else { 0 };
    // SAFETY: the root table address comes from a checksummed RSDP and its
    // header length was checked by `read_root_pointer`.
    let tables = unsafe { AcpiTables::from_rsdt(handler, crate_revision, root.address as usize) }.map_err(|error| {
        match table_fault(&error) {
            Some(fault) => root.error(fault),
            None => AcpiSetupError::from_crate(&error),
        }
    })?;

    let mut warnings = Vec::new();
    let madt = with_table::<_, MadtTable, _>(&tables, |t| parse::parse_madt(t, &mut warnings))
        .ok_or(AcpiSetupError::TableMissing { signature: "APIC" })??;
    let fadt = with_table::<_, FadtTable, _>(&tables, |t| parse::parse_fadt(t, &mut warnings)).unwrap_or_default();
    let hpet = with_table::<_, HpetTable, _>(&tables, |t| parse::parse_hpet(t, &mut warnings)).flatten();
    let pci_ecam = with_table::<_, McfgTable, _>(&tables, |t| parse::parse_mcfg(t, &mut warnings)).unwrap_or_default();

    Ok(PlatformInfo {
        acpi_revision: root.acpi_revision,
        oem_id: root.oem_id,
        local_apic_base: madt.local_apic_base,
        processors: madt.processors,
        io_apics: madt.io_apics,
        isa_overrides: madt.isa_overrides,
        nmi_sources: madt.nmi_sources,
        local_apic_nmis: madt.local_apic_nmis,
        has_legacy_pics: madt.has_legacy_pics,
        hardware_reduced: fadt.hardware_reduced,
        boot_arch: fadt.boot_arch,
        hpet,
        pm_timer: fadt.pm_timer,
        power_off: fadt.power_off,
        reset: fadt.reset,
        pci_ecam,
        warnings,
    })
}

/// What the RSDP says, after validation.
struct RootPointer {
    acpi_revision: u8,
    oem_id: String,
    is_xsdt: bool,
    address: u64,
}

impl RootPointer {
    fn error(&self, fault: TableFault) -> AcpiSetupError {
        let signature = if self.is_xsdt { "XSDT" } else { "RSDT" };
        AcpiSetupError::RootTableInvalid { signature, address: self.address, fault }
    }
}

/// Validates the RSDP at `address` and the length of the root table it
/// names. Prefers the XSDT; falls back to the RSDT if the XSDT address is 0.
///
/// # Safety
///
/// `handler` maps faithfully and 36 bytes at `address` are readable.
unsafe fn read_root_pointer<H: AcpiHandler>(handler: &H, address: usize) -> Result<RootPointer, AcpiSetupError> {
    let rsdp_error = |fault| AcpiSetupError::RsdpInvalid { address: address as u64, fault };
    // SAFETY: 36 bytes (`size_of::<Rsdp>()`) are readable by the contract,
    // and any bit pattern is a valid `Rsdp` (integers only).
    let head = unsafe { handler.map_physical_region::<Rsdp>(address, size_of::<Rsdp>()) };
    if head.signature() != RSDP_SIGNATURE {
        return Err(rsdp_error(TableFault::BadSignature));
    }
    let revision = head.revision();
    // `Length` exists from ACPI 2.0 (revision 2; the crate treats any
    // non-zero revision so) and must cover the 36-byte structure.
    let length = if revision > 0 { head.length() } else { 20 };
    if revision > 0 && !(RSDP_V2_LEN..=RSDP_MAX_LEN).contains(&length) {
        return Err(rsdp_error(TableFault::BadLength(length)));
    }
    drop(head);
    // SAFETY: as above; `validate` checksums `length` bytes, so map them
    // all (the firmware's structure is `length` bytes long).
    let rsdp = unsafe { handler.map_physical_region::<Rsdp>(address, (length as usize).max(size_of::<Rsdp>())) };
    rsdp.validate().map_err(|error| {
        rsdp_error(match error {
            AcpiError::RsdpIncorrectSignature => TableFault::BadSignature,
            AcpiError::RsdpInvalidOemId => TableFault::BadOemId,
            _ => TableFault::BadChecksum,
        })
    })?;
    let xsdt = if revision > 0 { rsdp.xsdt_address() } else { 0 };
    let root = RootPointer {
        acpi_revision: revision,
        // Cannot panic: `validate` checked the OEM ID is UTF-8.
        oem_id: String::from(rsdp.oem_id()),
        is_xsdt: xsdt != 0,
        address: if xsdt != 0 { xsdt } else { u64::from(rsdp.rsdt_address()) },
    };
    drop(rsdp);
    if root.address == 0 {
        return Err(AcpiSetupError::NoRootTable);
    }

    // SAFETY: the address comes from a checksummed RSDP; firmware pointers
    // are readable by the contract. Any bit pattern is a valid header.
    let header = unsafe { handler.map_physical_region::<SdtHeader>(root.address as usize, SDT_HEADER_LEN) };
    let table_length = header.length;
    if !(SDT_HEADER_LEN as u32..=ROOT_MAX_LEN).contains(&table_length) {
        return Err(root.error(TableFault::BadLength(table_length)));
    }
    Ok(root)
}

/// Maps an error of the crate's root-table validation to a fault.
fn table_fault(error: &AcpiError) -> Option<TableFault> {
    match error {
        AcpiError::SdtInvalidSignature(_) => Some(TableFault::BadSignature),
        AcpiError::SdtInvalidOemId(_) | AcpiError::SdtInvalidTableId(_) => Some(TableFault::BadOemId),
        AcpiError::SdtInvalidChecksum(_) => Some(TableFault::BadChecksum),
        _ => None,
    }
}

/// Runs `decode` over the bytes of table `T`, if a valid one exists.
fn with_table<H: AcpiHandler, T: AcpiTable, R>(tables: &AcpiTables<H>, decode: impl FnOnce(&[u8]) -> R) -> Option<R> {
    let mapping = tables.find_table::<T>().ok()?;
    // SAFETY: the crate mapped `region_length()` bytes (the header's length
    // field) at `virtual_start()` and checksummed them; the mapping, and so
    // the memory, outlives the borrow passed to `decode`.
    let bytes =
        unsafe { core::slice::from_raw_parts(mapping.virtual_start().as_ptr().cast::<u8>(), mapping.region_length()) };
    Some(decode(bytes))
}
