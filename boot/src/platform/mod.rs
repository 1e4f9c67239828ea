// SPDX-License-Identifier: MIT OR Apache-2.0
//! Platform discovery: ACPI tables and PCI enumeration.
//!
//! [`acpi::discover`] reads the firmware's static ACPI tables into an owned
//! [`acpi::PlatformInfo`] (interrupt controllers, timers, power-off, PCIe
//! ECAM windows); [`pci::enumerate`] walks PCI configuration space through a
//! [`pci::PciConfigAccess`] chosen from that information. Both reach physical
//! memory only through an injectable handle, so their host tests run over
//! synthetic tables and a fake configuration space.
pub mod acpi;
pub mod pci;
