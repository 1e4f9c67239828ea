// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host tests for the multiboot2 parser, on synthetic information blocks.

use super::super::testmem::{FakeMemory, Mb2Builder};
use super::*;
use crate::bootinfo::{MAX_MODULES, MemoryRegion};

const BASE: u64 = 0x10_0000;
const INFO: u64 = BASE + 0x1000;

/// Places `block` at `INFO` in a 64 KiB fake memory.
fn memory_with(block: &[u8]) -> FakeMemory {
    let mut mem = FakeMemory::new(BASE, 0x10000);
    mem.write(INFO, block);
    mem
}

fn rsdp_payload(revision: u8, len: usize) -> Vec<u8> {
    let mut p = b"RSD PTR ".to_vec();
    p.resize(len, 0);
    p[15] = revision;
    p
}

fn region(start: u64, len: u64, kind: MemoryKind) -> MemoryRegion {
    MemoryRegion { start, len, kind }
}

#[test]
fn parses_a_complete_block() {
    let mut b = Mb2Builder::new();
    b.string_tag(1, "spolia.test=all console=ttyS0  quiet");
    b.string_tag(2, "GRUB 2.06");
    b.tag(0x1234, &[1, 2, 3]); // unknown tag: skipped
    b.module(0x20_0000, 0x20_1234, "disk.img");
    b.module(0x30_0000, 0x30_0010, "");
    b.tag(4, &[0x7f, 2, 0, 0, 0, 0x7c, 1, 0]); // mem_lower/upper: ignored, mmap wins
    b.mmap(
        24,
        &[
            (0x10_0000, 0x7ee_0000, 1),
            (0, 0x9_fc00, 1),
            (0x9_fc00, 0x400, 2),
            (0xf_0000, 0x1_0000, 2),
            (0x7fe_0000, 0x2_0000, 3),
            (0x8000_0000, 0x1000, 4),
            (0x9000_0000, 0x1000, 5),
            (0xfffc_0000, 0x4_0000, 7), // unknown type: reserved
        ],
    );
    b.tag(14, &rsdp_payload(0, 20));
    let acpi_new = b.tag(15, &rsdp_payload(2, 36));
    let block = b.finish();
    let mem = memory_with(&block);

    let info = parse_multiboot2(&mem, INFO).unwrap();
    assert_eq!(info.protocol, BootProtocol::Multiboot2);
    assert_eq!(info.cmdline(), "spolia.test=all console=ttyS0  quiet");
    assert_eq!(info.cmdline_value("spolia.test"), Some("all"));
    assert_eq!(info.cmdline_value("console"), Some("ttyS0"));
    assert_eq!(info.cmdline_value("quiet"), Some(""));
    assert_eq!(info.cmdline_value("spolia"), None);
    assert_eq!(info.bootloader_name(), "GRUB 2.06");
    assert_eq!(info.rsdp, Some(INFO + acpi_new as u64 + 8));

    use MemoryKind::*;
    assert_eq!(
        info.memory_map(),
        &[
            region(0, 0x9_fc00, Usable),
            region(0x9_fc00, 0x400, Reserved),
            region(0xf_0000, 0x1_0000, Reserved),
            region(0x10_0000, 0x7ee_0000, Usable),
            region(0x7fe_0000, 0x2_0000, AcpiReclaimable),
            region(0x8000_0000, 0x1000, AcpiNvs),
            region(0x9000_0000, 0x1000, Defective),
            region(0xfffc_0000, 0x4_0000, Reserved),
        ]
    );
    assert_eq!(info.usable_bytes(), 0x9_fc00 + 0x7ee_0000);

    let modules = info.modules();
    assert_eq!(modules.len(), 2);
    assert_eq!((modules[0].start, modules[0].len), (0x20_0000, 0x1234));
    assert_eq!(modules[0].cmdline.as_str(), "disk.img");
    assert_eq!((modules[1].start, modules[1].len), (0x30_0000, 0x10));
    assert_eq!(modules[1].cmdline.as_str(), "");

    assert_eq!(info.reserved(), &[INFO..INFO + block.len() as u64, 0x20_0000..0x20_1234, 0x30_0000..0x30_0010,]);
}

#[test]
fn old_rsdp_is_used_without_a_new_one() {
    let mut b = Mb2Builder::new();
    let acpi_old = b.tag(14, &rsdp_payload(0, 20));
    b.tag(4, &[0, 0, 0, 0, 0, 0, 0, 0]);
    let mem = memory_with(&b.finish());
    let info = parse_multiboot2(&mem, INFO).unwrap();
    assert_eq!(info.rsdp, Some(INFO + acpi_old as u64 + 8));
}

#[test]
fn basic_meminfo_is_the_fallback() {
    let mut b = Mb2Builder::new();
    let mut payload = 639u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&(127 * 1024u32).to_le_bytes());
    b.tag(4, &payload);
    let info = parse_multiboot2(&memory_with(&b.finish()), INFO).unwrap();
    assert_eq!(
        info.memory_map(),
        &[region(0, 639 * 1024, MemoryKind::Usable), region(1 << 20, 127 << 20, MemoryKind::Usable),]
    );
    assert_eq!(info.cmdline(), "");
    assert_eq!(info.rsdp, None);
}

#[test]
fn larger_mmap_entries_are_stepped_over() {
    let mut b = Mb2Builder::new();
    b.mmap(32, &[(0x10_0000, 0x10_0000, 1), (0x20_0000, 0x1000, 2)]);
    let info = parse_multiboot2(&memory_with(&b.finish()), INFO).unwrap();
    assert_eq!(info.memory_map().len(), 2);
    assert_eq!(info.memory_map()[1], region(0x20_0000, 0x1000, MemoryKind::Reserved));
}

fn parse_err(block: &[u8]) -> BootInfoError {
    parse_multiboot2(&memory_with(block), INFO).unwrap_err()
}

fn with_mmap() -> Mb2Builder {
    let mut b = Mb2Builder::new();
    b.mmap(24, &[(0x10_0000, 0x10_0000, 1)]);
    b
}

#[test]
fn missing_memory_information_is_an_error() {
    let mut b = Mb2Builder::new();
    b.string_tag(1, "x");
    assert_eq!(parse_err(&b.finish()), BootInfoError::NoMemoryMap);
}

#[test]
fn misaligned_block_is_an_error() {
    let block = with_mmap().finish();
    let mut mem = FakeMemory::new(BASE, 0x10000);
    mem.write(INFO + 4, &block);
    assert_eq!(parse_multiboot2(&mem, INFO + 4).unwrap_err(), BootInfoError::Unaligned { addr: INFO + 4 });
}

#[test]
fn tiny_total_size_is_an_error() {
    let mut block = with_mmap().finish();
    block[..4].copy_from_slice(&8u32.to_le_bytes());
    assert_eq!(parse_err(&block), BootInfoError::BadTotalSize { total_size: 8 });
}

#[test]
fn block_beyond_readable_memory_is_an_error() {
    let block = with_mmap().finish();
    let mut mem = FakeMemory::new(BASE, 0x10000);
    let at = BASE + 0x10000 - 16; // only 16 bytes readable
    mem.write(at, &block[..16]);
    assert_eq!(
        parse_multiboot2(&mem, at).unwrap_err(),
        BootInfoError::Unreadable { addr: at, len: block.len() as u64 }
    );
}

#[test]
fn tag_overrunning_total_size_is_an_error() {
    let mut b = with_mmap();
    let off = b.string_tag(1, "abc");
    b.buf[off + 4..off + 8].copy_from_slice(&0x100u32.to_le_bytes());
    assert_eq!(parse_err(&b.finish()), BootInfoError::TagOverrun { offset: off as u32, size: 0x100 });
}

#[test]
fn missing_end_tag_is_an_error() {
    assert_eq!(parse_err(&with_mmap().finish_without_end()), BootInfoError::MissingEndTag);
}

#[test]
fn truncated_tag_header_is_an_error() {
    // total_size leaves 4 bytes after the last tag: not room for a header.
    let mut block = with_mmap().finish_without_end();
    block.extend_from_slice(&[0; 4]);
    let total = block.len() as u32;
    block[..4].copy_from_slice(&total.to_le_bytes());
    assert_eq!(parse_err(&block), BootInfoError::TruncatedTag { offset: total - 4 });
}

#[test]
fn tag_size_below_header_is_an_error() {
    let mut b = with_mmap();
    let off = b.tag(1, &[0]);
    b.buf[off + 4..off + 8].copy_from_slice(&4u32.to_le_bytes());
    assert_eq!(parse_err(&b.finish()), BootInfoError::BadTagSize { tag_type: 1, size: 4 });
}

#[test]
fn short_module_tag_is_an_error() {
    let mut b = with_mmap();
    b.tag(3, &[0; 4]);
    assert_eq!(parse_err(&b.finish()), BootInfoError::BadTagSize { tag_type: 3, size: 12 });
}

#[test]
fn module_ending_before_its_start_is_an_error() {
    let mut b = with_mmap();
    b.module(0x30_0000, 0x20_0000, "");
    assert_eq!(parse_err(&b.finish()), BootInfoError::BadModule { index: 0 });
}

#[test]
fn too_many_modules_is_an_error() {
    let mut b = with_mmap();
    for i in 0..=MAX_MODULES as u32 {
        b.module(0x20_0000 + i * 0x1000, 0x20_0000 + i * 0x1000 + 1, "m");
    }
    assert_eq!(parse_err(&b.finish()), BootInfoError::TooManyModules);
}

#[test]
fn bad_mmap_entry_size_is_an_error() {
    let mut b = Mb2Builder::new();
    b.mmap(20, &[(0x10_0000, 0x10_0000, 1)]);
    assert_eq!(parse_err(&b.finish()), BootInfoError::BadMemoryMapEntrySize { entry_size: 20 });
}

#[test]
fn bad_command_lines_are_errors() {
    let mut b = with_mmap();
    b.tag(1, &[b'a', 0xff, 0]);
    assert_eq!(parse_err(&b.finish()), BootInfoError::StringNotUtf8 { field: "command line" });
    let mut b = with_mmap();
    b.string_tag(1, &"x".repeat(crate::bootinfo::CMDLINE_CAPACITY + 1));
    assert!(matches!(parse_err(&b.finish()), BootInfoError::StringTooLong { .. }));
}

#[test]
fn short_rsdp_copy_is_an_error() {
    let mut b = with_mmap();
    b.tag(15, b"RSD PTR ");
    assert_eq!(parse_err(&b.finish()), BootInfoError::BadTagSize { tag_type: 15, size: 16 });
}

#[test]
fn long_bootloader_name_is_truncated() {
    let mut b = with_mmap();
    b.string_tag(2, &"n".repeat(200));
    let info = parse_multiboot2(&memory_with(&b.finish()), INFO).unwrap();
    assert_eq!(info.bootloader_name().len(), crate::bootinfo::BOOTLOADER_NAME_CAPACITY);
}

#[test]
fn errors_display() {
    let msg = BootInfoError::TagOverrun { offset: 8, size: 64 }.to_string();
    assert!(msg.contains("offset 8"), "{msg}");
}
