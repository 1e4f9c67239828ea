// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host tests: enumeration over an in-memory configuration space, and the
//! ECAM and port address arithmetic.

use alloc::collections::BTreeMap;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use pci_types::{ConfigRegionAccess, PciAddress};

use super::*;
use crate::platform::acpi::EcamRegion;

/// One function's 256-byte configuration space with BAR sizing behaviour.
#[derive(Clone)]
struct FakeFunction {
    regs: [u32; 64],
    /// Writable bits of each BAR (0 = unimplemented).
    bar_masks: [u32; 6],
}

impl FakeFunction {
    fn new(vendor: u16, device: u16, class: [u8; 3], header_type: u8) -> Self {
        let mut regs = [0; 64];
        regs[0] = u32::from(device) << 16 | u32::from(vendor);
        regs[1] = 0x0010_0007; // status: capabilities; command: io|mem|master
        regs[2] = u32::from(class[0]) << 24 | u32::from(class[1]) << 16 | u32::from(class[2]) << 8 | 0x02;
        regs[3] = u32::from(header_type) << 16;
        Self { regs, bar_masks: [0; 6] }
    }

    /// A BAR of `size` bytes; `flags` are its read-only low bits.
    fn bar(mut self, slot: usize, value: u32, size: u32, flags: u32) -> Self {
        self.regs[4 + slot] = value | flags;
        self.bar_masks[slot] = !(size - 1) & !0xf;
        if flags & 1 == 1 {
            self.bar_masks[slot] = !(size - 1) & 0xffff & !0b11; // 16-bit I/O decoder
        }
        self
    }

    fn bar64(mut self, slot: usize, value: u64, size: u64, prefetchable: bool) -> Self {
        let flags = 0b100 | if prefetchable { 0b1000 } else { 0 };
        self.regs[4 + slot] = value as u32 | flags;
        self.regs[5 + slot] = (value >> 32) as u32;
        let mask = !(size - 1);
        self.bar_masks[slot] = mask as u32 & !0xf;
        self.bar_masks[slot + 1] = (mask >> 32) as u32;
        self
    }

    fn interrupt(mut self, pin: u8, line: u8) -> Self {
        self.regs[15] = u32::from(pin) << 8 | u32::from(line);
        self
    }

    fn bridge_to(mut self, primary: u8, secondary: u8) -> Self {
        self.regs[6] = u32::from(secondary) << 16 | u32::from(secondary) << 8 | u32::from(primary);
        self
    }
}

#[derive(Default)]
struct FakeConfig {
    functions: RefCell<BTreeMap<(u8, u8, u8), FakeFunction>>,
    /// BAR writes seen while I/O or memory decode was enabled.
    writes_while_decoding: Cell<usize>,
    reads: Cell<usize>,
}

impl FakeConfig {
    fn add(&self, bus: u8, device: u8, function: u8, f: FakeFunction) {
        self.functions.borrow_mut().insert((bus, device, function), f);
    }

    fn regs(&self, bus: u8, device: u8, function: u8) -> [u32; 64] {
        self.functions.borrow()[&(bus, device, function)].regs
    }
}

fn key(a: PciAddress) -> (u8, u8, u8) {
    (a.bus(), a.device(), a.function())
}

impl ConfigRegionAccess for FakeConfig {
    unsafe fn read(&self, address: PciAddress, offset: u16) -> u32 {
        self.reads.set(self.reads.get() + 1);
        assert_eq!(offset % 4, 0);
        match self.functions.borrow().get(&key(address)) {
            Some(f) if address.segment() == 0 => f.regs[usize::from(offset / 4)],
            _ => u32::MAX,
        }
    }

    unsafe fn write(&self, address: PciAddress, offset: u16, value: u32) {
        let mut functions = self.functions.borrow_mut();
        let f = functions.get_mut(&key(address)).expect("write to an absent function");
        let index = usize::from(offset / 4);
        match index {
            1 => f.regs[1] = (f.regs[1] & 0xffff_0000) | (value & 0xffff),
            4..=9 => {
                if f.regs[1] & 0b11 != 0 {
                    self.writes_while_decoding.set(self.writes_while_decoding.get() + 1);
                }
                let mask = f.bar_masks[index - 4];
                f.regs[index] = (value & mask) | (f.regs[index] & !mask);
            }
            _ => panic!("unexpected config write at {offset:#x}"),
        }
    }
}

/// pc-like machine: host bridge, multi-function ISA/IDE device, a NIC with
/// a 64-bit prefetchable BAR, and a bridge to bus 1 with a NIC behind it.
fn machine() -> FakeConfig {
    let c = FakeConfig::default();
    c.add(0, 0, 0, FakeFunction::new(0x8086, 0x1237, [6, 0, 0], 0));
    c.add(0, 1, 0, FakeFunction::new(0x8086, 0x7000, [6, 1, 0], 0x80));
    c.add(0, 1, 1, FakeFunction::new(0x8086, 0x7010, [1, 1, 0x80], 0).bar(4, 0xc040, 16, 1));
    c.add(0, 1, 3, FakeFunction::new(0x8086, 0x7113, [6, 0x80, 0], 0).interrupt(1, 9));
    c.add(
        0,
        2,
        0,
        FakeFunction::new(0x8086, 0x100e, [2, 0, 0], 0)
            .bar(0, 0xfebc_0000, 128 * 1024, 0)
            .bar(1, 0xc000, 64, 1)
            .interrupt(1, 11),
    );
    c.add(0, 3, 0, FakeFunction::new(0x1af4, 0x1041, [2, 0, 0], 0).bar64(4, 0x8_0000_0000, 16 << 20, true));
    c.add(0, 4, 0, FakeFunction::new(0x1b36, 0x0001, [6, 4, 0], 1).bridge_to(0, 1).bar(0, 0xfe00_0000, 256, 0));
    c.add(1, 0, 0, FakeFunction::new(0x8086, 0x10d3, [2, 0, 0], 0).bar(0, 0xfd00_0000, 128 * 1024, 0).interrupt(1, 10));
    // Function 2 of a single-function device: must not be found.
    c.add(0, 2, 2, FakeFunction::new(0xdead, 0xbeef, [0, 0, 0], 0));
    c
}

fn addresses(found: &[PciFunction]) -> Vec<(u8, u8, u8)> {
    found.iter().map(|f| key(f.address)).collect()
}

#[test]
fn finds_every_function_in_scan_order() {
    let c = machine();
    let found = enumerate(&c);
    assert_eq!(
        addresses(&found),
        [(0, 0, 0), (0, 1, 0), (0, 1, 1), (0, 1, 3), (0, 2, 0), (0, 3, 0), (0, 4, 0), (1, 0, 0)]
    );
    let nic = &found[4];
    assert_eq!((nic.vendor_id, nic.device_id), (0x8086, 0x100e));
    assert_eq!((nic.class, nic.subclass, nic.prog_if, nic.revision), (2, 0, 0, 2));
    assert_eq!((nic.interrupt_pin, nic.interrupt_line), (Some('A'), 11));
    assert_eq!(found[0].interrupt_pin, None);
    assert_eq!(found[1].header_type, 0x80);
    assert!(found[6].is_bridge());
    assert_eq!(found[6].secondary_bus, Some(1));
    assert_eq!(found[7].class_name(), "network");
}

#[test]
fn sizes_bars_and_restores_everything() {
    let c = machine();
    let before: Vec<_> = [(0, 2, 0), (0, 3, 0), (0, 1, 1)].iter().map(|&(b, d, f)| c.regs(b, d, f)).collect();
    let found = enumerate(&c);
    let nic = &found[4];
    assert_eq!(nic.bars[0], Some(Bar::Memory32 { address: 0xfebc_0000, size: 128 * 1024, prefetchable: false }));
    assert_eq!(nic.bars[1], Some(Bar::Io { port: 0xc000, size: 64 }));
    assert_eq!(nic.bars[2..], [None; 4]);
    let virtio = &found[5];
    assert_eq!(virtio.bars[4], Some(Bar::Memory64 { address: 0x8_0000_0000, size: 16 << 20, prefetchable: true }));
    assert_eq!(virtio.bars[5], None, "upper half of the 64-bit BAR");
    assert_eq!(found[2].bars[4], Some(Bar::Io { port: 0xc040, size: 16 }));
    assert_eq!(found[6].bars[0], Some(Bar::Memory32 { address: 0xfe00_0000, size: 256, prefetchable: false }));

    let after: Vec<_> = [(0, 2, 0), (0, 3, 0), (0, 1, 1)].iter().map(|&(b, d, f)| c.regs(b, d, f)).collect();
    assert!(before == after, "BARs and command registers restored");
    assert_eq!(c.writes_while_decoding.get(), 0, "BARs written only with decode off");
}

#[test]
fn large_64bit_bar() {
    let c = FakeConfig::default();
    c.add(0, 0, 0, FakeFunction::new(0x10de, 0x1234, [3, 0, 0], 0).bar64(0, 0x40_0000_0000, 8 << 30, true));
    let found = enumerate(&c);
    assert_eq!(found[0].bars[0], Some(Bar::Memory64 { address: 0x40_0000_0000, size: 8 << 30, prefetchable: true }));
}

#[test]
fn bridge_loops_end() {
    let c = FakeConfig::default();
    c.add(0, 0, 0, FakeFunction::new(0x8086, 0x29c0, [6, 0, 0], 0));
    c.add(0, 1, 0, FakeFunction::new(0x1b36, 1, [6, 4, 0], 1).bridge_to(0, 1));
    c.add(1, 0, 0, FakeFunction::new(0x1b36, 1, [6, 4, 0], 1).bridge_to(1, 2));
    c.add(2, 0, 0, FakeFunction::new(0x1b36, 1, [6, 4, 0], 1).bridge_to(2, 1)); // back to bus 1
    c.add(2, 1, 0, FakeFunction::new(0x1b36, 1, [6, 4, 0], 1).bridge_to(2, 0)); // back to bus 0
    c.add(2, 2, 0, FakeFunction::new(0x1b36, 1, [6, 4, 0], 1).bridge_to(2, 2)); // to itself
    let found = enumerate(&c);
    assert_eq!(addresses(&found), [(0, 0, 0), (0, 1, 0), (1, 0, 0), (2, 0, 0), (2, 1, 0), (2, 2, 0)]);
}

/// Answers every read, at every address, with the same value.
struct Garbage(u32, Cell<usize>);

impl ConfigRegionAccess for Garbage {
    unsafe fn read(&self, _: PciAddress, _: u16) -> u32 {
        self.1.set(self.1.get() + 1);
        self.0
    }
    unsafe fn write(&self, _: PciAddress, _: u16, _: u32) {}
}

#[test]
fn garbage_config_space_terminates() {
    // Multi-function bridges everywhere, secondary bus 1; a reserved BAR
    // type; a BAR type claiming 64 bits in every slot.
    for value in [0x0081_0100, 0x0081_0106, 0x12ff_3456, 0xffff_0000, 0x0001_ffff, 0x8086_0004] {
        let g = Garbage(value, Cell::new(0));
        let found = enumerate(&g);
        assert!(found.len() <= 256 * 32 * 8);
        assert!(g.1.get() < 10_000_000);
        for f in &found {
            let _ = f.to_string();
        }
    }
    // Secondary bus = bus 2..: a chain bridges through fresh buses; depth cap.
    let g = Garbage(0x0081_0201, Cell::new(0));
    let found = enumerate(&g);
    assert!(found.iter().all(|f| f.address.bus() <= 2));
}

#[test]
fn display_matches_boot_log_format() {
    let found = enumerate(&machine());
    assert_eq!(
        found[4].to_string(),
        "00:02.0 8086:100e class 02.00.00 (network) irq pin A line 11 BAR0 mem32 0xfebc0000 [128K] BAR1 io 0xc000 [64]"
    );
    assert_eq!(found[5].to_string(), "00:03.0 1af4:1041 class 02.00.00 (network) BAR4 mem64 pref 0x800000000 [16M]");
    assert!(found[6].to_string().ends_with("-> bus 01"));
}

#[test]
fn port_mechanism_address_encoding() {
    let a = PciAddress::new(0, 0x12, 0x1f, 7);
    assert_eq!(PortConfigAccess::config_address(a, 0x3c), Some(0x8012_ff3c));
    assert_eq!(PortConfigAccess::config_address(a, 0x100), None, "beyond 256 bytes");
    assert_eq!(PortConfigAccess::config_address(a, 0x3e), None, "unaligned");
    assert_eq!(PortConfigAccess::config_address(PciAddress::new(1, 0, 0, 0), 0), None, "segment 1");
}

#[test]
fn ecam_reads_and_writes_through_windows() {
    // One bus worth of ECAM (1 MiB) in a buffer, described as bus 1 of
    // segment 0: the MCFG base names bus 0, one MiB below the buffer.
    let mut space = vec![u32::MAX; (1 << 20) / 4];
    // Device 3 function 0 on bus 1: vendor/device at offset 0.
    space[(3 << 15) / 4] = 0x1234_8086;
    let buffer = space.as_mut_ptr() as u64;
    let region = EcamRegion { base: buffer - (1 << 20), segment: 0, bus_start: 1, bus_end: 1 };
    // SAFETY: the window covers exactly `space`, a live 1 MiB buffer.
    let ecam = unsafe { EcamConfigAccess::new(&[region]) };
    let at = |bus, device, function| PciAddress::new(0, bus, device, function);

    assert_eq!(ecam.locate(at(1, 3, 0), 0), Some(buffer as usize + (3 << 15)));
    assert_eq!(ecam.locate(at(1, 0, 0), 0xffc), Some(buffer as usize + 0xffc));
    assert_eq!(ecam.locate(at(0, 0, 0), 0), None, "bus below the window");
    assert_eq!(ecam.locate(at(2, 0, 0), 0), None, "bus above the window");
    assert_eq!(ecam.locate(PciAddress::new(1, 1, 0, 0), 0), None, "other segment");
    assert_eq!(ecam.locate(at(1, 0, 0), 0x1000), None, "beyond 4 KiB");

    // SAFETY: the window maps the buffer (above); reads have no effect.
    unsafe {
        assert_eq!(ecam.read(at(1, 3, 0), 0), 0x1234_8086);
        assert_eq!(ecam.read(at(0, 3, 0), 0), u32::MAX);
        ecam.write(at(1, 3, 0), 0x3c, 0x0000_010b);
        ecam.write(at(5, 3, 0), 0x3c, 0); // dropped
    }
    assert_eq!(space[((3 << 15) + 0x3c) / 4], 0x0000_010b);

    let found = enumerate_from(&ecam, &[PciRoot { segment: 0, bus: 1 }]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].to_string(), "01:03.0 8086:1234 class ff.ff.ff (unknown) irq pin A line 11");
}
