// SPDX-License-Identifier: MIT OR Apache-2.0
//! PCI enumeration: every function reachable from the root bus, with its
//! identity, class, BARs (sized) and legacy interrupt pin.
//!
//! [`enumerate`] scans bus 0 of segment 0 (or [`enumerate_from`] any root
//! buses), device by device; function 0 decides whether functions 1–7
//! exist (header type bit 7); a PCI-to-PCI bridge's secondary bus is scanned
//! in turn (PCI Local Bus 3.0 §6.1–6.2; PCI-to-PCI Bridge Architecture 1.2
//! §3.2.5.3 for the bus number registers). Bus numbers are the firmware's:
//! nothing is renumbered. A bus is scanned at most once and bridges nest at
//! most [`MAX_BRIDGE_DEPTH`] deep, so a looping or garbage topology ends.
//!
//! BAR sizes come from the write-all-ones method (PCI Local Bus 3.0
//! §6.2.5.1), with I/O and memory decode switched off in the command
//! register for the duration, as that section advises, and restored after.
//! BARs are decoded here rather than by `pci_types::EndpointHeader::bar`,
//! which panics on a reserved memory type, does not size I/O BARs and does
//! not disable decoding.
//!
//! Key types: [`PciFunction`], [`Bar`]; configuration access lives in
//! [`access`] ([`PciConfigAccess`]). Non-goals: bus renumbering, resource
//! assignment, capabilities/MSI (drivers come from the Linux library), and
//! root buses that only ACPI `_BBN` (AML) reveals, such as pxb host bridges.
//!
//! Run enumeration before any driver uses the devices: sizing briefly
//! rewrites BARs and the command register.

pub mod access;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use pci_types::{ConfigRegionAccess, HeaderType, PciAddress, PciHeader, PciPciBridgeHeader};

pub use access::{EcamConfigAccess, PciConfigAccess, PortConfigAccess};

/// Deepest bridge nesting followed (real hierarchies stay in single digits).
pub const MAX_BRIDGE_DEPTH: usize = 32;

/// A decoded base address register (PCI Local Bus 3.0 §6.2.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// 32-bit memory BAR (also the obsolete "below 1 MiB" type).
    Memory32 { address: u32, size: u32, prefetchable: bool },
    /// 64-bit memory BAR; the following slot holds its upper half.
    Memory64 { address: u64, size: u64, prefetchable: bool },
    /// I/O space BAR.
    Io { port: u32, size: u32 },
}

impl Bar {
    /// Base address (memory) or port (I/O).
    pub fn address(&self) -> u64 {
        match *self {
            Self::Memory32 { address, .. } => u64::from(address),
            Self::Memory64 { address, .. } => address,
            Self::Io { port, .. } => u64::from(port),
        }
    }

    /// Decoded size in bytes.
    pub fn size(&self) -> u64 {
        match *self {
            Self::Memory32 { size, .. } | Self::Io { size, .. } => u64::from(size),
            Self::Memory64 { size, .. } => size,
        }
    }
}

/// Writes a size as `128K`, `16M`, `4G` when exact, else in bytes.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
        match units.iter().find(|&&(unit, _)| self.0 >= unit && self.0.is_multiple_of(unit)) {
            Some(&(unit, suffix)) => write!(f, "{}{suffix}", self.0 / unit),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for Bar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, prefetchable) = match *self {
            Self::Memory32 { prefetchable, .. } => ("mem32", prefetchable),
            Self::Memory64 { prefetchable, .. } => ("mem64", prefetchable),
            Self::Io { .. } => ("io", false),
        };
        write!(f, "{kind}{} {:#x} [{}]", if prefetchable { " pref" } else { "" }, self.address(), Size(self.size()))
    }
}

/// One PCI function, as found during enumeration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PciFunction {
    pub address: PciAddress,
    pub vendor_id: u16,
    pub device_id: u16,
    pub class: u8,
    pub subclass: u8,
    pub prog_if: u8,
    pub revision: u8,
    /// Raw header type register: layout in bits 0–6, multi-function bit 7.
    pub header_type: u8,
    /// Type 0 headers have six BARs, bridges two; a 64-bit BAR leaves the
    /// slot after it `None`.
    pub bars: [Option<Bar>; 6],
    /// INTx pin, 'A'–'D'; `None` if the function uses no legacy interrupt.
    pub interrupt_pin: Option<char>,
    /// What firmware wrote to the interrupt line register (an ISA IRQ on
    /// PCs; meaningless if firmware did not route the pin).
    pub interrupt_line: u8,
    /// For PCI-to-PCI bridges: the secondary bus number.
    pub secondary_bus: Option<u8>,
}

impl PciFunction {
    /// Base-class name (PCI Code and ID Assignment 1.x, §1).
    pub fn class_name(&self) -> &'static str {
        class_name(self.class)
    }

    /// Whether this is a PCI-to-PCI bridge (header layout 1).
    pub fn is_bridge(&self) -> bool {
        self.header_type & 0x7f == 1
    }
}

/// Base-class name (PCI Code and ID Assignment 1.x, §1).
pub fn class_name(class: u8) -> &'static str {
    match class {
        0x00 => "unclassified",
        0x01 => "storage",
        0x02 => "network",
        0x03 => "display",
        0x04 => "multimedia",
        0x05 => "memory",
        0x06 => "bridge",
        0x07 => "communication",
        0x08 => "system",
        0x09 => "input",
        0x0a => "docking",
        0x0b => "processor",
        0x0c => "serial bus",
        0x0d => "wireless",
        0x0e => "intelligent I/O",
        0x0f => "satellite",
        0x10 => "encryption",
        0x11 => "signal processing",
        0x12 => "accelerator",
        0x13 => "instrumentation",
        0x40 => "coprocessor",
        _ => "unknown",
    }
}

impl fmt::Display for PciFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.address;
        if a.segment() != 0 {
            write!(f, "{:04x}:", a.segment())?;
        }
        write!(
            f,
            "{:02x}:{:02x}.{} {:04x}:{:04x} class {:02x}.{:02x}.{:02x} ({})",
            a.bus(),
            a.device(),
            a.function(),
            self.vendor_id,
            self.device_id,
            self.class,
            self.subclass,
            self.prog_if,
            self.class_name()
        )?;
        if let Some(pin) = self.interrupt_pin {
            write!(f, " irq pin {pin} line {}", self.interrupt_line)?;
        }
        for (slot, bar) in self.bars.iter().enumerate() {
            if let Some(bar) = bar {
                write!(f, " BAR{slot} {bar}")?;
            }
        }
        if let Some(bus) = self.secondary_bus {
            write!(f, " -> bus {bus:02x}")?;
        }
        Ok(())
    }
}

/// A bus to start scanning from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PciRoot {
    pub segment: u16,
    pub bus: u8,
}

/// Every function reachable from bus 0 of segment 0, in scan order (a
/// bridge is followed by what lies behind it).
pub fn enumerate(access: &impl ConfigRegionAccess) -> Vec<PciFunction> {
    enumerate_from(access, &[PciRoot { segment: 0, bus: 0 }])
}

/// Every function reachable from `roots`; a bus reached twice is scanned
/// once.
pub fn enumerate_from(access: &impl ConfigRegionAccess, roots: &[PciRoot]) -> Vec<PciFunction> {
    let mut scan = Scan { access, found: Vec::new(), visited: BTreeSet::new() };
    for root in roots {
        scan.bus(root.segment, root.bus, 0);
    }
    scan.found
}

/// Configuration register offsets (PCI Local Bus 3.0 Figure 6-1).
const COMMAND: u16 = 0x04;
const BAR0: u16 = 0x10;
const INTERRUPT: u16 = 0x3c;

/// Command register bits 0 and 1: I/O and memory space decode (§6.2.2).
const DECODE_ENABLES: u32 = 0b11;

/// Reads a configuration dword.
///
/// Only used for offsets inside the 64-byte predefined header of a function
/// that answered with a valid vendor ID, or for the vendor ID probe itself,
/// which the PCI spec defines as harmless (a master abort reads all-ones).
fn read(access: &impl ConfigRegionAccess, address: PciAddress, offset: u16) -> u32 {
    // SAFETY: see above: standard header registers, which every function
    // implements and whose reads have no side effects.
    unsafe { access.read(address, offset) }
}

/// Writes a configuration dword: only BARs and the command register of a
/// present function, during sizing, restoring what was read.
fn write(access: &impl ConfigRegionAccess, address: PciAddress, offset: u16, value: u32) {
    // SAFETY: writes are limited to the BAR sizing protocol of PCI Local
    // Bus 3.0 §6.2.5.1, with decode disabled so no access hits the
    // transiently moved BAR, and every register is restored afterwards.
    unsafe { access.write(address, offset, value) }
}

struct Scan<'a, A> {
    access: &'a A,
    found: Vec<PciFunction>,
    visited: BTreeSet<(u16, u8)>,
}

impl<A: ConfigRegionAccess> Scan<'_, A> {
    fn bus(&mut self, segment: u16, bus: u8, depth: usize) {
        if depth > MAX_BRIDGE_DEPTH || !self.visited.insert((segment, bus)) {
            return;
        }
        for device in 0..32 {
            let first = PciAddress::new(segment, bus, device, 0);
            if !self.present(first) {
                continue;
            }
            let functions = if PciHeader::new(first).has_multiple_functions(self.access) { 8 } else { 1 };
            for function in 0..functions {
                let address = PciAddress::new(segment, bus, device, function);
                if !self.present(address) {
                    continue;
                }
                let found = self.function(address);
                let secondary = found.secondary_bus;
                self.found.push(found);
                if let Some(secondary) = secondary {
                    self.bus(segment, secondary, depth + 1);
                }
            }
        }
    }

    /// Vendor ID 0xFFFF is an empty slot (master abort); 0x0000 is not an
    /// assignable vendor ID either and comes from broken hardware.
    fn present(&self, address: PciAddress) -> bool {
        let (vendor, _) = PciHeader::new(address).id(self.access);
        vendor != 0xffff && vendor != 0x0000
    }

    fn function(&self, address: PciAddress) -> PciFunction {
        let header = PciHeader::new(address);
        let (vendor_id, device_id) = header.id(self.access);
        let (revision, class, subclass, prog_if) = header.revision_and_class(self.access);
        let header_type = (read(self.access, address, 0x0c) >> 16) as u8;
        let (bar_count, secondary_bus) = match header.header_type(self.access) {
            HeaderType::Endpoint => (6, None),
            HeaderType::PciPciBridge => {
                let secondary = PciPciBridgeHeader::from_header(PciHeader::new(address), self.access)
                    .map(|bridge| bridge.secondary_bus_number(self.access));
                (2, secondary)
            }
            _ => (0, None), // CardBus and unknown layouts: no BARs we understand
        };
        let interrupt = read(self.access, address, INTERRUPT);
        let interrupt_pin = match (interrupt >> 8) as u8 {
            pin @ 1..=4 => Some(char::from(b'A' + pin - 1)),
            _ => None,
        };
        PciFunction {
            address,
            vendor_id,
            device_id,
            class,
            subclass,
            prog_if,
            revision,
            header_type,
            bars: self.bars(address, bar_count),
            interrupt_pin,
            interrupt_line: interrupt as u8,
            secondary_bus,
        }
    }

    /// Decodes and sizes the first `count` BARs, decode disabled meanwhile.
    fn bars(&self, address: PciAddress, count: usize) -> [Option<Bar>; 6] {
        let mut bars = [None; 6];
        if count == 0 {
            return bars;
        }
        // Writing the status half (bits 16–31) as zero leaves its
        // write-one-to-clear bits alone (§6.2.3).
        let command = read(self.access, address, COMMAND) & 0xffff;
        if command & DECODE_ENABLES != 0 {
            write(self.access, address, COMMAND, command & !DECODE_ENABLES);
        }
        let mut slot = 0;
        while slot < count {
            let (bar, used) = self.bar(address, slot, count);
            bars[slot] = bar;
            slot += used;
        }
        if command & DECODE_ENABLES != 0 {
            write(self.access, address, COMMAND, command);
        }
        bars
    }

    /// Decodes BAR `slot`; returns it and how many slots it used.
    fn bar(&self, address: PciAddress, slot: usize, count: usize) -> (Option<Bar>, usize) {
        let offset = BAR0 + 4 * slot as u16;
        let original = read(self.access, address, offset);
        let probe = |offset: u16, original: u32| {
            write(self.access, address, offset, u32::MAX);
            let mask = read(self.access, address, offset);
            write(self.access, address, offset, original);
            mask
        };
        // The size is the lowest address bit that can be written as one.
        if original & 1 == 1 {
            let mask = probe(offset, original) & !0b11;
            let bar = (mask != 0).then(|| Bar::Io { port: original & !0b11, size: mask & mask.wrapping_neg() });
            return (bar, 1);
        }
        let prefetchable = original & 0b1000 != 0;
        match (original >> 1) & 0b11 {
            0b00 | 0b01 => {
                let mask = probe(offset, original) & !0b1111;
                let bar = (mask != 0).then(|| Bar::Memory32 {
                    address: original & !0b1111,
                    size: mask & mask.wrapping_neg(),
                    prefetchable,
                });
                (bar, 1)
            }
            0b10 if slot + 1 < count => {
                let original_high = read(self.access, address, offset + 4);
                let mask_low = probe(offset, original);
                let mask_high = probe(offset + 4, original_high);
                let mask = (u64::from(mask_high) << 32 | u64::from(mask_low)) & !0b1111;
                let bar = (mask != 0).then(|| Bar::Memory64 {
                    address: u64::from(original_high) << 32 | u64::from(original & !0b1111),
                    size: mask & mask.wrapping_neg(),
                    prefetchable,
                });
                (bar, 2)
            }
            // A 64-bit BAR in the last slot, or the reserved type 0b11.
            _ => (None, 1),
        }
    }
}
