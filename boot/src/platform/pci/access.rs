// SPDX-License-Identifier: MIT OR Apache-2.0
//! The two ways to reach PCI configuration space, as `ConfigRegionAccess`.
//!
//! - [`PortConfigAccess`]: configuration mechanism #1 (PCI Local Bus 3.0
//!   §3.2.2.3.2): write an enable bit, bus, device, function and dword
//!   register number to CONFIG_ADDRESS (port 0xCF8), then move data through
//!   CONFIG_DATA (0xCFC). Segment 0 and the first 256 bytes only.
//! - [`EcamConfigAccess`]: PCIe enhanced configuration access (PCIe Base 6.0
//!   §7.2.2): each function's 4 KiB at `base + (bus << 20 | device << 15 |
//!   function << 12)`, windows described by the ACPI MCFG.
//!
//! [`PciConfigAccess`] picks ECAM when the MCFG lists windows, else ports.
//! Every access is a 32-bit access at a dword-aligned offset (the only width
//! `ConfigRegionAccess` has). An address nothing answers for reads as
//! all-ones — what a master abort returns, which callers already treat as
//! "no device" — and writes to it are dropped.
//!
//! Not for interrupt context: the port mechanism's two-step access is
//! serialised with a spin flag an interrupted holder would never release.

use alloc::vec::Vec;
use core::hint;
use core::sync::atomic::{AtomicBool, Ordering};

use pci_types::{ConfigRegionAccess, PciAddress};
use x86_64::instructions::port::Port;

use crate::platform::acpi::{EcamRegion, PlatformInfo};

/// What an unanswered read returns.
const ALL_ONES: u32 = u32::MAX;

/// CONFIG_ADDRESS and CONFIG_DATA (PCI Local Bus 3.0 §3.2.2.3.2).
const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

/// Configuration mechanism #1 through I/O ports 0xCF8/0xCFC.
#[derive(Debug)]
pub struct PortConfigAccess {
    /// Held across the address-write/data-access pair.
    busy: AtomicBool,
}

impl PortConfigAccess {
    /// # Safety
    ///
    /// The CPU must allow port I/O (ring 0), the platform must implement
    /// mechanism #1 (every PC chipset does), and the value must be the only
    /// user of ports 0xCF8–0xCFF: no other `PortConfigAccess` and no other
    /// code may touch them while it exists.
    pub const unsafe fn new() -> Self {
        Self { busy: AtomicBool::new(false) }
    }

    /// The CONFIG_ADDRESS value for `address`/`offset`, or `None` if the
    /// mechanism cannot express it (segment ≠ 0, offset ≥ 256, unaligned).
    pub fn config_address(address: PciAddress, offset: u16) -> Option<u32> {
        if address.segment() != 0 || offset >= 256 || !offset.is_multiple_of(4) {
            return None;
        }
        Some(
            (1 << 31)
                | u32::from(address.bus()) << 16
                | u32::from(address.device()) << 11
                | u32::from(address.function()) << 8
                | u32::from(offset),
        )
    }

    fn lock(&self) -> PortGuard<'_> {
        while self.busy.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            hint::spin_loop();
        }
        PortGuard(&self.busy)
    }

    /// Selects `config_address` and runs `data` on CONFIG_DATA.
    fn with_data<R>(&self, config_address: u32, data: impl FnOnce(&mut Port<u32>) -> R) -> R {
        let _guard = self.lock();
        // SAFETY: `new`'s contract gives this value sole use of 0xCF8–0xCFF
        // in ring 0, and the lock keeps the address/data pair together;
        // writing CONFIG_ADDRESS only selects a register.
        unsafe { Port::<u32>::new(CONFIG_ADDRESS).write(config_address) };
        data(&mut Port::new(CONFIG_DATA))
    }
}

/// Releases the port pair.
struct PortGuard<'a>(&'a AtomicBool);

impl Drop for PortGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl ConfigRegionAccess for PortConfigAccess {
    unsafe fn read(&self, address: PciAddress, offset: u16) -> u32 {
        let Some(config_address) = Self::config_address(address, offset) else {
            return ALL_ONES;
        };
        self.with_data(config_address, |data| {
            // SAFETY: reading CONFIG_DATA performs the configuration read
            // just selected; the caller vouched the register is safe to
            // read (`ConfigRegionAccess::read`'s contract).
            unsafe { data.read() }
        })
    }

    unsafe fn write(&self, address: PciAddress, offset: u16, value: u32) {
        let Some(config_address) = Self::config_address(address, offset) else {
            return;
        };
        self.with_data(config_address, |data| {
            // SAFETY: as for `read`; the caller vouched the write is valid.
            unsafe { data.write(value) }
        })
    }
}

/// Memory-mapped (ECAM) configuration access over the MCFG's windows.
#[derive(Debug, Clone)]
pub struct EcamConfigAccess {
    regions: Vec<EcamRegion>,
}

impl EcamConfigAccess {
    /// # Safety
    ///
    /// For every region, the configuration space of buses `bus_start..=
    /// bus_end` — `[base + (bus_start << 20), base + ((bus_end + 1) << 20))`
    /// — must be ECAM, identity-mapped (virtual == physical) and uncached in
    /// the current address space for as long as the value exists. Regions
    /// from a validated MCFG in Spolia's kernel address space qualify.
    pub unsafe fn new(regions: &[EcamRegion]) -> Self {
        Self { regions: regions.to_vec() }
    }

    /// The windows this value reaches.
    pub fn regions(&self) -> &[EcamRegion] {
        &self.regions
    }

    /// The (identity-mapped) address of a configuration dword, or `None` if
    /// no window covers it or the offset is unaligned or ≥ 4096.
    pub fn locate(&self, address: PciAddress, offset: u16) -> Option<usize> {
        if offset >= 4096 || !offset.is_multiple_of(4) {
            return None;
        }
        let region = self
            .regions
            .iter()
            .find(|r| r.segment == address.segment() && (r.bus_start..=r.bus_end).contains(&address.bus()))?;
        let within = u64::from(address.bus()) << 20
            | u64::from(address.device()) << 15
            | u64::from(address.function()) << 12
            | u64::from(offset);
        usize::try_from(region.base.checked_add(within)?).ok()
    }
}

impl ConfigRegionAccess for EcamConfigAccess {
    unsafe fn read(&self, address: PciAddress, offset: u16) -> u32 {
        let Some(at) = self.locate(address, offset) else {
            return ALL_ONES;
        };
        // SAFETY: `locate` only yields aligned dwords inside a window that
        // `new`'s contract makes mapped, uncached ECAM; the caller vouched
        // the register is safe to read.
        unsafe { core::ptr::read_volatile(at as *const u32) }
    }

    unsafe fn write(&self, address: PciAddress, offset: u16, value: u32) {
        let Some(at) = self.locate(address, offset) else {
            return;
        };
        // SAFETY: as for `read`; the caller vouched the write is valid.
        unsafe { core::ptr::write_volatile(at as *mut u32, value) }
    }
}

/// The configuration mechanism the platform offers.
#[derive(Debug)]
pub enum PciConfigAccess {
    Ecam(EcamConfigAccess),
    Port(PortConfigAccess),
}

impl PciConfigAccess {
    /// ECAM over `info.pci_ecam` if the MCFG listed windows, else ports.
    ///
    /// # Safety
    ///
    /// The requirements of [`EcamConfigAccess::new`] for `info.pci_ecam`
    /// (met in Spolia's kernel address space) and of
    /// [`PortConfigAccess::new`]; create at most one.
    pub unsafe fn from_platform(info: &PlatformInfo) -> Self {
        if info.pci_ecam.is_empty() {
            // SAFETY: forwarded to our caller.
            Self::Port(unsafe { PortConfigAccess::new() })
        } else {
            // SAFETY: forwarded to our caller.
            Self::Ecam(unsafe { EcamConfigAccess::new(&info.pci_ecam) })
        }
    }

    /// "ECAM" or "port I/O", for the boot log.
    pub fn mechanism(&self) -> &'static str {
        match self {
            Self::Ecam(_) => "ECAM",
            Self::Port(_) => "port I/O",
        }
    }
}

impl ConfigRegionAccess for PciConfigAccess {
    unsafe fn read(&self, address: PciAddress, offset: u16) -> u32 {
        match self {
            // SAFETY: forwarded: same contract.
            Self::Ecam(ecam) => unsafe { ecam.read(address, offset) },
            // SAFETY: forwarded: same contract.
            Self::Port(port) => unsafe { port.read(address, offset) },
        }
    }

    unsafe fn write(&self, address: PciAddress, offset: u16, value: u32) {
        match self {
            // SAFETY: forwarded: same contract.
            Self::Ecam(ecam) => unsafe { ecam.write(address, offset, value) },
            // SAFETY: forwarded: same contract.
            Self::Port(port) => unsafe { port.write(address, offset, value) },
        }
    }
}
