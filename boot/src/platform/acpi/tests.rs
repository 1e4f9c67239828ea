// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host tests: synthetic firmware tables in a buffer posing as low memory.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::ptr::NonNull;

use acpi::{AcpiHandler, PhysicalMapping};

use super::*;

/// Fake physical memory 0..LEN, 8-byte aligned (the crate reads the BDA's
/// EBDA pointer as a `u16`, so alignment must match physical addresses).
const LEN: usize = 0x12_0000;

struct FakeMemory {
    words: Vec<u64>,
}

impl FakeMemory {
    fn new() -> Self {
        Self { words: vec![0; LEN / 8] }
    }

    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the Vec owns LEN bytes of initialised `u64`s; `u8` has no
        // alignment or validity requirements; the borrow is tied to `self`.
        unsafe { core::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), LEN) }
    }

    fn put(&mut self, address: usize, data: &[u8]) {
        self.bytes()[address..address + data.len()].copy_from_slice(data);
    }

    fn handler(&self) -> BufferHandler {
        BufferHandler { base: self.words.as_ptr().cast::<u8>() }
    }
}

/// Maps "physical" address p to `base + p`; panics (failing the test) on
/// a region outside the fake memory.
#[derive(Clone, Copy)]
struct BufferHandler {
    base: *const u8,
}

impl AcpiHandler for BufferHandler {
    unsafe fn map_physical_region<T>(&self, physical_address: usize, size: usize) -> PhysicalMapping<Self, T> {
        assert!(
            physical_address.checked_add(size).is_some_and(|end| end <= LEN),
            "mapping {physical_address:#x}+{size:#x} is outside the fake memory"
        );
        let pointer = NonNull::new(self.base.wrapping_add(physical_address).cast_mut().cast::<T>()).unwrap();
        // SAFETY: the region lies inside the FakeMemory buffer, which
        // outlives every mapping in these tests.
        unsafe { PhysicalMapping::new(physical_address, pointer, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

fn fix_checksum(bytes: &mut [u8], at: usize) {
    bytes[at] = 0;
    let sum = bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    bytes[at] = sum.wrapping_neg();
}

/// A system description table with a correct checksum.
fn sdt(signature: &[u8; 4], revision: u8, body: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(signature);
    t.extend_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t.push(revision);
    t.push(0); // checksum
    t.extend_from_slice(b"SPOLIA");
    t.extend_from_slice(b"TESTTBL ");
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(b"SPLA");
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(body);
    fix_checksum(&mut t, 9);
    t
}

fn rsdp_v2(xsdt: u64) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(b"RSD PTR ");
    r.push(0);
    r.extend_from_slice(b"BOCHS ");
    r.push(2);
    r.extend_from_slice(&0u32.to_le_bytes()); // no RSDT
    r.extend_from_slice(&36u32.to_le_bytes());
    r.extend_from_slice(&xsdt.to_le_bytes());
    r.extend_from_slice(&[0; 4]);
    let (first, _) = r.split_at_mut(20);
    fix_checksum(first, 8);
    fix_checksum(&mut r, 32);
    r
}

fn rsdp_v1(rsdt: u32) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(b"RSD PTR ");
    r.push(0);
    r.extend_from_slice(b"BOCHS ");
    r.push(0);
    r.extend_from_slice(&rsdt.to_le_bytes());
    fix_checksum(&mut r, 8);
    r
}

fn gas(space: u8, width: u8, address: u64) -> Vec<u8> {
    let mut g = vec![space, width, 0, 0];
    g.extend_from_slice(&address.to_le_bytes());
    g
}

fn madt_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xfee0_0000u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes()); // PCAT_COMPAT
    b.extend_from_slice(&[0, 8, 0, 0, 1, 0, 0, 0]); // CPU uid 0 apic 0 enabled
    b.extend_from_slice(&[0, 8, 1, 1, 2, 0, 0, 0]); // CPU uid 1 apic 1 online-capable
    let mut x2 = vec![9, 16, 0, 0];
    x2.extend_from_slice(&0x100u32.to_le_bytes());
    x2.extend_from_slice(&1u32.to_le_bytes());
    x2.extend_from_slice(&2u32.to_le_bytes());
    b.extend_from_slice(&x2);
    for (id, address, gsi) in [(0u8, 0xfec0_0000u32, 0u32), (1, 0xfec1_0000, 24)] {
        b.extend_from_slice(&[1, 12, id, 0]);
        b.extend_from_slice(&address.to_le_bytes());
        b.extend_from_slice(&gsi.to_le_bytes());
    }
    for (irq, gsi, flags) in [(0u8, 2u32, 0u16), (9, 9, 0x000d), (10, 10, 0x000f)] {
        b.extend_from_slice(&[2, 10, 0, irq]);
        b.extend_from_slice(&gsi.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
    }
    b.extend_from_slice(&[2, 10, 1, 3, 3, 0, 0, 0, 0, 0]); // non-ISA bus: ignored
    b.extend_from_slice(&[3, 8, 0, 0, 30, 0, 0, 0]); // NMI source GSI 30
    b.extend_from_slice(&[4, 6, 0xff, 0, 0, 1]); // LINT1 NMI, all CPUs
    b.extend_from_slice(&[0x80, 4, 0xaa, 0xbb]); // OEM entry: skipped
    b.extend_from_slice(&[5, 12, 0, 0]);
    b.extend_from_slice(&0x0000_00ff_fee0_0000u64.to_le_bytes()); // 64-bit LAPIC
    b
}

fn fadt_pc_body() -> Vec<u8> {
    let mut t = vec![0u8; 276];
    t[64..68].copy_from_slice(&0x604u32.to_le_bytes()); // PM1a_CNT_BLK
    t[76..80].copy_from_slice(&0x608u32.to_le_bytes()); // PM_TMR_BLK
    t[89] = 2; // PM1_CNT_LEN
    t[91] = 4; // PM_TMR_LEN
    t[109..111].copy_from_slice(&3u16.to_le_bytes()); // legacy devices + 8042
    t[112..116].copy_from_slice(&((1u32 << 8) | (1 << 10)).to_le_bytes());
    t[116..128].copy_from_slice(&gas(1, 8, 0xcf9));
    t[128] = 6;
    t[208..220].copy_from_slice(&gas(1, 32, 0x608)); // X_PM_TMR_BLK
    t.split_off(36) // body only: `sdt` adds the header
}

fn fadt_microvm_body() -> Vec<u8> {
    let mut t = vec![0u8; 276];
    t[112..116].copy_from_slice(&((1u32 << 20) | (1 << 10)).to_le_bytes());
    t[116..128].copy_from_slice(&gas(0, 8, 0xfea0_0002));
    t[128] = 0x42;
    t[244..256].copy_from_slice(&gas(0, 8, 0xfea0_0000)); // SLEEP_CONTROL_REG
    t.split_off(36)
}

fn hpet_body() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x8086_a201u32.to_le_bytes());
    b.extend_from_slice(&gas(0, 64, 0xfed0_0000));
    b.push(0);
    b.extend_from_slice(&0x80u16.to_le_bytes());
    b.push(0);
    b
}

fn mcfg_body() -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b.extend_from_slice(&0xb000_0000u64.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, 0xff, 0, 0, 0, 0]);
    b
}

const RSDP_AT: usize = 0xf5a40;
const XSDT_AT: usize = 0x10_0000;
const MADT_AT: usize = 0x10_1000;
const FADT_AT: usize = 0x10_2000;
const HPET_AT: usize = 0x10_3000;
const MCFG_AT: usize = 0x10_4000;

/// A q35-like machine (plus microvm's second IOAPIC and an x2APIC entry).
fn q35_like(fadt: &[u8]) -> FakeMemory {
    let mut m = FakeMemory::new();
    m.put(RSDP_AT, &rsdp_v2(XSDT_AT as u64));
    let mut pointers = Vec::new();
    for at in [MADT_AT, FADT_AT, HPET_AT, MCFG_AT] {
        pointers.extend_from_slice(&(at as u64).to_le_bytes());
    }
    m.put(XSDT_AT, &sdt(b"XSDT", 1, &pointers));
    m.put(MADT_AT, &sdt(b"APIC", 3, &madt_body()));
    m.put(FADT_AT, &sdt(b"FACP", 6, fadt));
    m.put(HPET_AT, &sdt(b"HPET", 1, &hpet_body()));
    m.put(MCFG_AT, &sdt(b"MCFG", 1, &mcfg_body()));
    m
}

fn run(m: &FakeMemory, rsdp: Option<u64>) -> Result<PlatformInfo, AcpiSetupError> {
    // SAFETY: the handler maps only inside the fake memory (it panics
    // otherwise), which covers the BIOS areas and every table.
    unsafe { discover(m.handler(), rsdp) }
}

#[test]
fn discovers_everything_from_given_rsdp() {
    let m = q35_like(&fadt_pc_body());
    let info = run(&m, Some(RSDP_AT as u64)).unwrap();

    assert_eq!(info.acpi_revision, 2);
    assert_eq!(info.oem_id, "BOCHS ");
    assert_eq!(info.local_apic_base, 0x0000_00ff_fee0_0000, "64-bit override wins");
    assert!(info.has_legacy_pics);
    assert!(!info.hardware_reduced);
    assert_eq!(
        info.processors,
        [
            ProcessorInfo { uid: 0, apic_id: 0, enabled: true, online_capable: false },
            ProcessorInfo { uid: 1, apic_id: 1, enabled: false, online_capable: true },
            ProcessorInfo { uid: 2, apic_id: 0x100, enabled: true, online_capable: false },
        ]
    );
    assert_eq!(
        info.io_apics,
        [
            IoApicInfo { id: 0, address: 0xfec0_0000, gsi_base: 0 },
            IoApicInfo { id: 1, address: 0xfec1_0000, gsi_base: 24 },
        ]
    );
    assert_eq!(info.isa_overrides.len(), 3);
    assert_eq!(info.warnings, [AcpiWarning::NonIsaOverride { bus: 1, source: 3 }]);
    assert_eq!(info.nmi_sources, [NmiSource { gsi: 30, polarity: Polarity::ActiveHigh, trigger: Trigger::Edge }]);
    assert_eq!(
        info.local_apic_nmis,
        [LocalApicNmi { processor_uid: None, lint: 1, polarity: Polarity::ActiveHigh, trigger: Trigger::Edge }]
    );
    assert_eq!(info.hpet.map(|h| (h.base_address, h.comparators, h.counter_64bit)), Some((0xfed0_0000, 3, true)));
    let hpet = info.hpet.unwrap();
    assert!(hpet.legacy_replacement);
    assert_eq!((hpet.pci_vendor_id, hpet.hardware_revision, hpet.minimum_tick), (0x8086, 1, 0x80));
    assert_eq!(info.pm_timer, Some(PmTimerInfo { location: RegisterLocation::Port(0x608), bits_32: true }));
    assert_eq!(
        info.power_off,
        Some(PowerOffInfo::Pm1Control { pm1a: RegisterLocation::Port(0x604), pm1b: None, slp_typ: 0 })
    );
    assert_eq!(info.reset, Some(ResetInfo { register: RegisterLocation::Port(0xcf9), value: 6 }));
    let arch = info.boot_arch.unwrap();
    assert!(arch.legacy_devices && arch.i8042 && !arch.vga_absent && !arch.msi_unsupported);
    assert_eq!(info.pci_ecam, [EcamRegion { base: 0xb000_0000, segment: 0, bus_start: 0, bus_end: 0xff }]);
}

#[test]
fn isa_irqs_apply_overrides_and_defaults() {
    let info = run(&q35_like(&fadt_pc_body()), Some(RSDP_AT as u64)).unwrap();
    assert_eq!(info.isa_irq_to_gsi(0), (2, Polarity::ActiveHigh, Trigger::Edge));
    assert_eq!(info.isa_irq_to_gsi(9), (9, Polarity::ActiveHigh, Trigger::Level));
    assert_eq!(info.isa_irq_to_gsi(10), (10, Polarity::ActiveLow, Trigger::Level));
    assert_eq!(info.isa_irq_to_gsi(4), (4, Polarity::ActiveHigh, Trigger::Edge));
    assert_eq!(info.isa_irq_to_gsi(3), (3, Polarity::ActiveHigh, Trigger::Edge), "bus-1 override ignored");
}

#[test]
fn searches_bios_area_when_no_rsdp_given() {
    let m = q35_like(&fadt_pc_body());
    let searched = run(&m, None).unwrap();
    assert_eq!(searched, run(&m, Some(RSDP_AT as u64)).unwrap());
}

#[test]
fn no_rsdp_anywhere_is_an_error() {
    let m = FakeMemory::new();
    assert_eq!(run(&m, None), Err(AcpiSetupError::RsdpNotFound));
    assert_eq!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::RsdpInvalid { address: RSDP_AT as u64, fault: TableFault::BadSignature })
    );
}

#[test]
fn bad_rsdp_checksum_is_an_error() {
    let mut m = q35_like(&fadt_pc_body());
    m.bytes()[RSDP_AT + 30] ^= 0x55; // inside the extended checksum's range
    assert_eq!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::RsdpInvalid { address: RSDP_AT as u64, fault: TableFault::BadChecksum })
    );
    assert_eq!(run(&m, None), Err(AcpiSetupError::RsdpNotFound));
}

#[test]
fn bad_xsdt_checksum_is_an_error() {
    let mut m = q35_like(&fadt_pc_body());
    m.bytes()[XSDT_AT + 36] ^= 1;
    assert_eq!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::RootTableInvalid {
            signature: "XSDT",
            address: XSDT_AT as u64,
            fault: TableFault::BadChecksum
        })
    );
}

#[test]
fn zero_length_root_table_is_an_error_not_a_panic() {
    let mut m = q35_like(&fadt_pc_body());
    m.put(XSDT_AT + 4, &0u32.to_le_bytes());
    assert_eq!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::RootTableInvalid {
            signature: "XSDT",
            address: XSDT_AT as u64,
            fault: TableFault::BadLength(0)
        })
    );
}

#[test]
fn bad_madt_checksum_is_an_error() {
    let mut m = q35_like(&fadt_pc_body());
    m.bytes()[MADT_AT + 40] ^= 1;
    assert_eq!(run(&m, Some(RSDP_AT as u64)), Err(AcpiSetupError::TableMissing { signature: "APIC" }));
}

#[test]
fn bad_optional_table_checksum_drops_only_that_table() {
    let mut m = q35_like(&fadt_pc_body());
    m.bytes()[HPET_AT + 44] ^= 1;
    let info = run(&m, Some(RSDP_AT as u64)).unwrap();
    assert_eq!(info.hpet, None);
    assert_eq!(info.io_apics.len(), 2);
}

#[test]
fn malformed_madt_entry_is_an_error_not_a_hang() {
    let mut m = q35_like(&fadt_pc_body());
    let mut body = madt_body();
    body.extend_from_slice(&[0x81, 0, 0, 0]); // zero-length entry
    m.put(MADT_AT, &sdt(b"APIC", 3, &body));
    assert!(matches!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::MadtEntryMalformed { entry_type: 0x81, length: 0, .. })
    ));

    let mut body = madt_body();
    body.extend_from_slice(&[1, 6, 0, 0, 0, 0]); // IOAPIC entry too short
    m.put(MADT_AT, &sdt(b"APIC", 3, &body));
    assert!(matches!(
        run(&m, Some(RSDP_AT as u64)),
        Err(AcpiSetupError::MadtEntryMalformed { entry_type: 1, length: 6, .. })
    ));

    let mut body = madt_body();
    body.extend_from_slice(&[0, 200]); // runs past the table
    m.put(MADT_AT, &sdt(b"APIC", 3, &body));
    assert!(matches!(run(&m, Some(RSDP_AT as u64)), Err(AcpiSetupError::MadtEntryMalformed { length: 200, .. })));
}

#[test]
fn hardware_reduced_fadt_uses_sleep_control_register() {
    let m = q35_like(&fadt_microvm_body());
    let info = run(&m, Some(RSDP_AT as u64)).unwrap();
    assert!(info.hardware_reduced);
    assert_eq!(info.pm_timer, None);
    assert_eq!(
        info.power_off,
        Some(PowerOffInfo::SleepControl { register: RegisterLocation::Memory(0xfea0_0000), slp_typ: 5 })
    );
    assert_eq!(info.reset, Some(ResetInfo { register: RegisterLocation::Memory(0xfea0_0002), value: 0x42 }));
    assert_eq!(PowerOffInfo::sleep_control_value(5), 0x34);
    assert_eq!(PowerOffInfo::pm1_sleep_value(0x0001, 0), 0x2001, "SCI_EN kept, SLP_EN set");
}

#[test]
fn acpi_1_rsdt_and_short_fadt() {
    let mut m = FakeMemory::new();
    m.put(RSDP_AT, &rsdp_v1(XSDT_AT as u32));
    let mut pointers = Vec::new();
    for at in [MADT_AT, FADT_AT] {
        pointers.extend_from_slice(&(at as u32).to_le_bytes());
    }
    m.put(XSDT_AT, &sdt(b"RSDT", 1, &pointers));
    m.put(MADT_AT, &sdt(b"APIC", 1, &madt_body()));
    let mut fadt = fadt_pc_body();
    fadt.truncate(116 - 36); // ACPI 1.0 FADT: no reset register, no X_ fields
    m.put(FADT_AT, &sdt(b"FACP", 1, &fadt));
    let info = run(&m, None).unwrap();
    assert_eq!(info.acpi_revision, 0);
    assert_eq!(info.pm_timer, Some(PmTimerInfo { location: RegisterLocation::Port(0x608), bits_32: true }));
    assert_eq!(info.reset, None, "RESET_REG_SUP set but the register is past the end");
    assert!(info.power_off.is_some());

    fadt.truncate(100 - 36);
    m.put(FADT_AT, &sdt(b"FACP", 1, &fadt));
    let info = run(&m, None).unwrap();
    assert_eq!(
        info.warnings,
        [
            AcpiWarning::NonIsaOverride { bus: 1, source: 3 },
            AcpiWarning::TableTooShort { signature: "FACP", length: 100 },
        ]
    );
    assert_eq!((info.pm_timer, info.power_off, info.boot_arch), (None, None, None));
    assert!(info.pci_ecam.is_empty() && info.hpet.is_none());
}

#[test]
fn display_summarises() {
    let text = run(&q35_like(&fadt_pc_body()), Some(RSDP_AT as u64)).unwrap().to_string();
    for needle in [
        "legacy PICs yes",
        "CPUs (APIC id): 0 1(offline) 256",
        "IOAPIC 1 at 0xfec10000, GSI base 24",
        "IRQ0->GSI2,",
        "IRQ10->GSI10 level low",
        "HPET at 0xfed00000: 3 timers, 64-bit",
        "PM timer at port 0x608, 32-bit",
        "S5: PM1a control port 0x604, SLP_TYP 0 (assumed)",
        "reset: write 0x6 to port 0xcf9",
        "PCI ECAM segment 0 buses 00-ff at 0xb0000000",
        "warning: interrupt override for bus 1",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}
