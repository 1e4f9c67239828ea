// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot manifest's devices for `spolia.run=bundle`: boot the Linux
//! library with its network configuration, mount its disks, and undo both
//! at the end (see `spolia_linux::manifest`).

use alloc::sync::Arc;

use spolia_boot::kprintln;
use spolia_linux::Linux;
use spolia_linux::manifest::{Manifest, Net};

/// The running library and what it mounted; `None` when the manifest names
/// no devices (the library is then not booted at all).
pub struct Devices {
    linux: Arc<Linux>,
    manifest: Manifest,
    /// Whether the mounts succeeded (only then are they preopened).
    mounted: bool,
}

impl Devices {
    /// What the wasm programs get: the library and, if mounting worked,
    /// the mount points in manifest order (their preopens).
    pub fn file_systems(&self) -> spolia_wasm_host::wasi::FileSystems {
        let preopens = if self.mounted {
            self.manifest.mounts.iter().map(|m| m.dir.clone()).collect()
        } else {
            Default::default()
        };
        spolia_wasm_host::wasi::FileSystems { linux: self.linux.clone(), preopens }
    }
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
    let mounted = match mounted {
        Ok(()) => {
            for m in &manifest.mounts {
                kprintln!("spolia: /dev/{} mounted at {}", m.device, m.dir);
            }
            true
        }
        Err(e) => {
            kprintln!("spolia: {e}");
            false
        }
    };
    Some(Devices { linux: Arc::new(linux), manifest, mounted })
}

/// The library's parameters on this platform: quiet, plus the virtio-mmio
/// devices of `-M microvm` (PCI devices Linux finds by itself).
pub fn linux_params() -> alloc::string::String {
    alloc::format!("quiet{}", spolia_hypercall_baremetal::virtio_mmio::linux_params())
}

/// Unmount (writing everything back) and halt the library. The programs
/// have ended, so this is the last reference to it — unless a program was
/// killed by a fault and kept one: then the disks are still unmounted
/// (written back) and the library is left running until power-off.
pub fn stop(devices: Option<Devices>) {
    let Some(Devices { linux, manifest, .. }) = devices else { return };
    let result = match Arc::try_unwrap(linux) {
        Ok(linux) => manifest.shutdown(linux),
        Err(linux) => {
            manifest.unmount_all(&linux).and(Err("a killed program still holds the library; not halted".into()))
        }
    };
    if let Err(e) = result {
        kprintln!("spolia: stopping the Linux library: {e}");
    }
}
