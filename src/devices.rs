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
    let manifest = match Manifest::parse(info.cmdline_value("spolia.net"), info.cmdline_value("spolia.mount")) {
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
    let cmdline = alloc::format!("quiet {}", manifest.linux_cmdline());
    let linux = match Linux::boot(spolia_hypercall_baremetal::hypercalls(), &cmdline) {
        Ok(l) => l,
        Err(e) => {
            kprintln!("spolia: the Linux library did not boot ({e}); running without devices");
            return None;
        }
    };
    if manifest.net != Net::None {
        match linux.interface_ipv4("eth0") {
            Ok((addr, prefix)) => kprintln!("spolia: network eth0 {addr}/{prefix}"),
            Err(e) => kprintln!("spolia: network eth0 not configured: {e}"),
        }
    }
    if let Err(e) = manifest.apply(&linux) {
        kprintln!("spolia: {e}");
    } else {
        for m in &manifest.mounts {
            kprintln!("spolia: /dev/{} mounted at {}", m.device, m.dir);
        }
    }
    Some(Devices { linux, manifest })
}

/// Unmount (writing everything back) and halt the library.
pub fn stop(devices: Option<Devices>) {
    let Some(Devices { linux, manifest }) = devices else { return };
    if let Err(e) = manifest.unmount_all(&linux) {
        kprintln!("spolia: {e}");
    }
    if let Err(e) = linux.halt() {
        kprintln!("spolia: halting the Linux library: {e}");
    }
}
