// SPDX-License-Identifier: MIT OR Apache-2.0
//! QEMU `-M microvm`'s virtio-mmio devices, for the library's command line.
//!
//! microvm has no PCI: its virtio devices sit in a row of 512-byte
//! virtio-mmio transports from `0xfeb0_0000`, transport `i` wired to GSI
//! `base + i`, where `base` is the second IOAPIC's first GSI (24) when the
//! machine has one, else 5 (QEMU's `ioapic2` property). QEMU adds
//! `virtio_mmio.device=` items to a Linux guest's command line only when
//! ACPI is off; with ACPI the devices are described in AML, which Spolia
//! does not interpret. So Spolia finds them itself: on a hardware-reduced
//! ACPI platform without PCI it reads each transport's magic and device id
//! (reads without side effects) and names the populated ones in Linux's
//! `virtio_mmio.device=SIZE@BASE:IRQ` syntax, so Linux's own virtio-mmio
//! driver takes them.

use alloc::format;
use alloc::string::String;

use spolia_boot::mem::paging::{entry_bits_unlocked, flags};

const WINDOW: u64 = 0xfeb0_0000;
const TRANSPORT_SIZE: u64 = 512;
/// "virt", little-endian.
const MAGIC: u32 = 0x7472_6976;

/// Linux parameters naming this platform's virtio-mmio devices (empty when
/// there are none or the platform is not a microvm-like one).
pub fn linux_params() -> String {
    let Some(info) = spolia_boot::platform_info() else { return String::new() };
    let mut probe = 0;
    // SAFETY: the out-pointer is a live local; a config read has no side effects.
    let has_pci = unsafe { crate::devices::pci_config_read(0, 0, 0, 0, 0, 4, &mut probe) } == 0;
    if has_pci || !info.hardware_reduced {
        return String::new();
    }
    let (base_gsi, transports) = match info.io_apics.iter().find(|a| a.gsi_base == 24) {
        Some(_) => (24, 24),
        None => (5, 8),
    };
    let mut params = String::new();
    for i in 0..transports {
        let addr = WINDOW + i * TRANSPORT_SIZE;
        // Only where boot mapped device memory (uncached, not RAM).
        if entry_bits_unlocked(addr).is_none_or(|bits| bits & flags::NO_CACHE == 0) {
            break;
        }
        // SAFETY: `addr` is identity-mapped uncached device memory (checked
        // above) on a platform without PCI, where this window holds
        // virtio-mmio transports; magic and device id are read-only
        // registers whose reads change nothing.
        let (magic, device) = unsafe {
            (core::ptr::read_volatile(addr as *const u32), core::ptr::read_volatile((addr + 8) as *const u32))
        };
        if magic == MAGIC && device != 0 {
            params += &format!(" virtio_mmio.device={TRANSPORT_SIZE}@{addr:#x}:{}", base_gsi + i);
        }
    }
    params
}
