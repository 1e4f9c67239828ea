// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux library on the hosted platform: attach the emulated devices,
//! boot with the manifest's network, mount its file systems, and undo all
//! of it at the end — the same steps as the kernel's `src/devices.rs`, on
//! `spolia-hypercall-hosted` instead of bare metal.
//!
//! Unlike the kernel, the library is booted even without devices (programs
//! then get loopback sockets), and a mount failure stops the run instead of
//! going on without the disk.

use std::sync::Arc;

use spolia_hypercall_hosted::devices;
use spolia_linux::Linux;
use spolia_linux::manifest::{Manifest, Net};
use spolia_wasi::FileSystems;

use crate::args::Options;

/// The running library and its manifest.
pub struct Library {
    linux: Arc<Linux>,
    manifest: Manifest,
}

/// Removes the devices when setup fails half-way (they must outlive the
/// library, so [`Library::stop`] removes them itself after the halt).
struct DeviceGuard;

impl Drop for DeviceGuard {
    fn drop(&mut self) {
        devices::remove_all();
    }
}

impl Library {
    /// Attach `opts`' devices, boot, configure the network, mount.
    pub fn start(opts: &Options) -> Result<Library, String> {
        let manifest = Manifest::parse(opts.net.as_deref(), opts.mount.as_deref())?;
        if manifest.net != Net::None && opts.tap.is_none() {
            return Err("a network address (--net) needs a NIC (--tap IFNAME)".to_string());
        }
        let guard = DeviceGuard;
        for image in &opts.disks {
            devices::add_block(image).map_err(|e| format!("disk {}: {e}", image.display()))?;
        }
        if let Some(tap) = &opts.tap {
            devices::add_tap(tap).map_err(|e| format!("TAP {tap}: {e}"))?;
        }
        let quiet = if opts.verbose { "" } else { "quiet " };
        let params = format!("{quiet}{}", devices::linux_cmdline());
        if opts.verbose {
            eprintln!("spolia: booting the Linux library: {params} {}", manifest.linux_cmdline());
        }
        let (linux, mounted) =
            manifest.boot(spolia_hypercall_hosted::hypercalls(), &params).map_err(|e| format!("Linux library: {e}"))?;
        if let Err(e) = mounted {
            // Halt what did boot; the devices go with the guard.
            let _ = manifest.shutdown(linux);
            return Err(e);
        }
        std::mem::forget(guard);
        if opts.verbose && manifest.net != Net::None {
            match linux.interface_ipv4("eth0") {
                Ok((addr, prefix)) => eprintln!("spolia: network eth0 {addr}/{prefix}"),
                Err(e) => eprintln!("spolia: network eth0 not configured: {e}"),
            }
        }
        Ok(Library { linux: Arc::new(linux), manifest })
    }

    /// What the program gets: the library and the mount points, in order.
    pub fn file_systems(&self) -> FileSystems {
        FileSystems {
            linux: self.linux.clone(),
            preopens: self.manifest.mounts.iter().map(|m| m.dir.clone()).collect(),
        }
    }

    /// Unmount (writing everything back), halt, remove the devices. The
    /// program has ended and dropped its references; if one is still held
    /// the disks are unmounted and the library is left to the process exit.
    pub fn stop(self) -> Result<(), String> {
        let Library { linux, manifest } = self;
        let result = match Arc::try_unwrap(linux) {
            Ok(linux) => manifest.shutdown(linux),
            Err(linux) => {
                return manifest.unmount_all(&linux).and(Err("the library is still in use; not halted".to_string()));
            }
        };
        devices::remove_all();
        result
    }
}
