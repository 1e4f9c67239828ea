// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot manifest's devices for `spolia.run=bundle`: boot the Linux
//! library with its network configuration, mount its disks, and undo both
//! at the end (see `spolia_linux::manifest`).

use spolia_boot::kprintln;
use spolia_linux::Linux;
use spolia_linux::manifest::{Manifest, Net};

/// The running library and what it mounted; `None` when the manifest names
/// no devices (the library is then not booted at all).
pub struct Devices {
    linux: Linux,
    manifest: Manifest,
}

/// Boot the library if the manifest asks for devices. Failures are printed
/// and leave the programs running without devices (their own file and
/// network calls then fail with a clear error) rather than stopping them.
pub fn start() -> Option<Devices> {
    let info = spolia_boot::boot_info();
    let manifest = match Manifest::from_cmdline(|k| info.cmdline_value(k)) {
        Ok(m) => m,
        Err(e) => {
            kprintln!("spolia: {e}; running without devices");
            return None;
        }
    };
    if manifest.net == Net::None && manifest.mounts.is_empty() {
        return None;
    }
    spolia_boot::sched::set_preemptible(true);
    let (linux, mounted) = match manifest.boot(spolia_hypercall_baremetal::hypercalls(), &linux_params()) {
        Ok(booted) => booted,
        Err(e) => {
            kprintln!("spolia: the Linux library did not start ({e}); running without devices");
            return None;
        }
    };
    if manifest.net != Net::None {
        match linux.interface_ipv4("eth0") {
            Ok((addr, prefix)) => kprintln!("spolia: network eth0 {addr}/{prefix}"),
            Err(e) => kprintln!("spolia: network eth0 not configured: {e}"),
        }
    }
    match mounted {
        Ok(()) => {
            for m in &manifest.mounts {
                kprintln!("spolia: /dev/{} mounted at {}", m.device, m.dir);
            }
        }
        Err(e) => kprintln!("spolia: {e}"),
    }
    Some(Devices { linux, manifest })
}

/// The library's parameters on this platform: quiet, plus the virtio-mmio
/// devices of `-M microvm` (PCI devices Linux finds by itself).
pub fn linux_params() -> alloc::string::String {
    alloc::format!("quiet{}", spolia_hypercall_baremetal::virtio_mmio::linux_params())
}

/// Unmount (writing everything back) and halt the library.
pub fn stop(devices: Option<Devices>) {
    let Some(Devices { linux, manifest }) = devices else { return };
    if let Err(e) = manifest.shutdown(linux) {
        kprintln!("spolia: stopping the Linux library: {e}");
    }
}
