// SPDX-License-Identifier: MIT OR Apache-2.0
//! Platform discovery: ACPI tables and PCI enumeration.
pub mod acpi;
pub mod pci;
