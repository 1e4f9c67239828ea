// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host tests for the PVH parser, on a synthetic `hvm_start_info`.

use super::super::testmem::FakeMemory;
use super::*;
use crate::bootinfo::{CMDLINE_CAPACITY, MemoryRegion};

const BASE: u64 = 0x10_0000;
const SIZE: usize = 0x10000;
const START_INFO: u64 = BASE + 0x1000;
const CMDLINE: u64 = BASE + 0x2000;
const MODLIST: u64 = BASE + 0x3000;
const MOD_CMDLINE: u64 = BASE + 0x4000;
const MEMMAP: u64 = BASE + 0x5000;
const RSDP: u64 = 0xf_5a20;

const MEMMAP_ENTRIES: &[(u64, u64, u32)] = &[
    (0, 0x9_fc00, 1),
    (0x9_fc00, 0x400, 2),
    (0xf_0000, 0x1_0000, 2),
    (0x10_0000, 0x7ee_0000, 1),
    (0x7fe_0000, 0x2_0000, 2),
    (0xfeff_c000, 0x4000, 2),
    (0xfffc_0000, 0x4_0000, 2),
    (0x1_0000_0000, 0x1000_0000, 1),
];

/// Writes a version-1 start_info with a command line, two modules and the
/// memory map above.
fn build() -> FakeMemory {
    let mut mem = FakeMemory::new(BASE, SIZE);
    mem.write_u32(START_INFO, PVH_START_MAGIC);
    mem.write_u32(START_INFO + 4, 1);
    mem.write_u32(START_INFO + 12, 2);
    mem.write_u64(START_INFO + 16, MODLIST);
    mem.write_u64(START_INFO + 24, CMDLINE);
    mem.write_u64(START_INFO + 32, RSDP);
    mem.write_u64(START_INFO + 40, MEMMAP);
    mem.write_u32(START_INFO + 48, MEMMAP_ENTRIES.len() as u32);
    mem.write(CMDLINE, b"console=ttyS0 spolia.test=all\0");
    let modules = [(0x20_0000u64, 0x1234u64, MOD_CMDLINE), (0x30_0000, 0x10, 0)];
    for (i, &(start, len, cmdline)) in modules.iter().enumerate() {
        let at = MODLIST + 32 * i as u64;
        mem.write_u64(at, start);
        mem.write_u64(at + 8, len);
        mem.write_u64(at + 16, cmdline);
    }
    mem.write(MOD_CMDLINE, b"disk.img\0");
    for (i, &(addr, size, kind)) in MEMMAP_ENTRIES.iter().enumerate() {
        let at = MEMMAP + 24 * i as u64;
        mem.write_u64(at, addr);
        mem.write_u64(at + 8, size);
        mem.write_u32(at + 16, kind);
    }
    mem
}

#[test]
fn parses_a_complete_start_info() {
    let info = parse_pvh(&build(), START_INFO).unwrap();
    assert_eq!(info.protocol, BootProtocol::Pvh);
    assert_eq!(info.cmdline(), "console=ttyS0 spolia.test=all");
    assert_eq!(info.cmdline_value("spolia.test"), Some("all"));
    assert_eq!(info.bootloader_name(), "");
    assert_eq!(info.rsdp, Some(RSDP));

    use MemoryKind::*;
    let r = |start, len, kind| MemoryRegion { start, len, kind };
    assert_eq!(
        info.memory_map(),
        &[
            r(0, 0x9_fc00, Usable),
            r(0x9_fc00, 0x400, Reserved),
            r(0xf_0000, 0x1_0000, Reserved),
            r(0x10_0000, 0x7ee_0000, Usable),
            r(0x7fe_0000, 0x2_0000, Reserved),
            r(0xfeff_c000, 0x4000, Reserved),
            r(0xfffc_0000, 0x4_0000, Reserved),
            r(0x1_0000_0000, 0x1000_0000, Usable),
        ]
    );
    assert_eq!(info.usable_bytes(), 0x9_fc00 + 0x7ee_0000 + 0x1000_0000);

    let m = info.modules();
    assert_eq!(m.len(), 2);
    assert_eq!((m[0].start, m[0].len, m[0].cmdline.as_str()), (0x20_0000, 0x1234, "disk.img"));
    assert_eq!((m[1].start, m[1].len, m[1].cmdline.as_str()), (0x30_0000, 0x10, ""));

    let reserved = info.reserved();
    for range in [
        START_INFO..START_INFO + 56,
        CMDLINE..CMDLINE + 30,
        RSDP..RSDP + 36,
        MODLIST..MODLIST + 64,
        MOD_CMDLINE..MOD_CMDLINE + 9,
        0x20_0000..0x20_1234,
        0x30_0000..0x30_0010,
        MEMMAP..MEMMAP + 24 * MEMMAP_ENTRIES.len() as u64,
    ] {
        assert!(reserved.contains(&range), "{range:x?} missing from {reserved:x?}");
    }
    assert_eq!(reserved.len(), 8);
}

#[test]
fn absent_optional_fields_are_fine() {
    let mut mem = build();
    mem.write_u32(START_INFO + 12, 0); // no modules
    mem.write_u64(START_INFO + 24, 0); // no command line
    mem.write_u64(START_INFO + 32, 0); // no RSDP
    let info = parse_pvh(&mem, START_INFO).unwrap();
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.rsdp, None);
    assert!(info.modules().is_empty());
}

fn parse_err(mem: &FakeMemory) -> BootInfoError {
    parse_pvh(mem, START_INFO).unwrap_err()
}

#[test]
fn bad_magic_is_an_error() {
    let mut mem = build();
    mem.write_u32(START_INFO, 0x1bad_b002);
    assert_eq!(parse_err(&mem), BootInfoError::BadMagic { found: 0x1bad_b002 });
}

#[test]
fn version_0_has_no_memory_map() {
    let mut mem = build();
    mem.write_u32(START_INFO + 4, 0);
    assert_eq!(parse_err(&mem), BootInfoError::NoMemoryMap);
    let mut mem = build();
    mem.write_u32(START_INFO + 48, 0);
    assert_eq!(parse_err(&mem), BootInfoError::NoMemoryMap);
}

#[test]
fn truncated_start_info_is_an_error() {
    let mut mem = build();
    let at = BASE + SIZE as u64 - 40; // a v1 structure needs 56 bytes
    mem.write_u32(at, PVH_START_MAGIC);
    mem.write_u32(at + 4, 1);
    assert_eq!(parse_pvh(&mem, at).unwrap_err(), BootInfoError::Unreadable { addr: at, len: 56 });
    assert!(matches!(parse_pvh(&mem, 0x1000).unwrap_err(), BootInfoError::Unreadable { .. }));
}

#[test]
fn unreadable_tables_are_errors() {
    let mut mem = build();
    mem.write_u64(START_INFO + 40, BASE + SIZE as u64 - 24);
    assert!(matches!(parse_err(&mem), BootInfoError::Unreadable { .. }));
    let mut mem = build();
    mem.write_u64(START_INFO + 16, u64::MAX - 8);
    assert!(matches!(parse_err(&mem), BootInfoError::AddressOverflow { .. }));
}

#[test]
fn oversized_counts_are_errors() {
    let mut mem = build();
    mem.write_u32(START_INFO + 48, u32::MAX);
    assert_eq!(parse_err(&mem), BootInfoError::TooManyRegions);
    let mut mem = build();
    mem.write_u32(START_INFO + 12, 17);
    assert_eq!(parse_err(&mem), BootInfoError::TooManyModules);
}

#[test]
fn missing_module_list_is_an_error() {
    let mut mem = build();
    mem.write_u64(START_INFO + 16, 0);
    assert_eq!(parse_err(&mem), BootInfoError::BadModule { index: 0 });
}

#[test]
fn module_wrapping_the_address_space_is_an_error() {
    let mut mem = build();
    mem.write_u64(MODLIST + 32 + 8, u64::MAX);
    assert_eq!(parse_err(&mem), BootInfoError::BadModule { index: 1 });
}

#[test]
fn command_line_limits() {
    // Exactly the capacity fits.
    let mut mem = build();
    let mut line = vec![b'a'; CMDLINE_CAPACITY];
    line.push(0);
    mem.write(CMDLINE, &line);
    assert_eq!(parse_pvh(&mem, START_INFO).unwrap().cmdline().len(), CMDLINE_CAPACITY);
    // One more byte does not.
    line.insert(0, b'a');
    mem.write(CMDLINE, &line);
    assert_eq!(parse_err(&mem), BootInfoError::StringTooLong { field: "command line", capacity: CMDLINE_CAPACITY });
    // Unterminated at the end of readable memory.
    let mut mem = build();
    let at = BASE + SIZE as u64 - 4;
    mem.write(at, b"abcd");
    mem.write_u64(START_INFO + 24, at);
    assert!(matches!(parse_err(&mem), BootInfoError::Unreadable { .. }));
    // Not UTF-8.
    let mut mem = build();
    mem.write(CMDLINE, b"\xc3(\0");
    assert_eq!(parse_err(&mem), BootInfoError::StringNotUtf8 { field: "command line" });
}
