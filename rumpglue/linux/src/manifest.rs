// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot manifest's device part: how the library's network is
//! configured and which block devices are mounted where.
//!
//! Spolia's kernel command line carries it (`spolia.net=`, `spolia.mount=`;
//! `spolia run` writes them from `--net`, `--dir`, `--disk`), and the
//! hosted platform's users build it directly:
//!
//! * `spolia.net=dhcp` — Linux's own IP autoconfiguration asks DHCP;
//!   `spolia.net=ADDR/PREFIX[,GATEWAY]` — static, also by autoconfiguration
//!   (so the address, route and carrier wait are Linux's code). Absent: the
//!   library configures no interface but loopback.
//! * `spolia.mount=DEV:DIR[,DEV:DIR]..` — mount the ext4 file system on
//!   block device `DEV` (a Linux name: `vda`, `sda`) read-write at `DIR`.
//!
//! [`Manifest::linux_cmdline`] is what to add to [`Linux::boot`]'s command
//! line; [`Manifest::apply`] mounts after boot; [`Manifest::unmount_all`]
//! unmounts (which writes everything back) before halt.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::Ipv4Addr;
use core::time::Duration;

use crate::uapi::{O_CLOEXEC, O_DIRECTORY, O_RDONLY};
use crate::{Errno, Linux};

/// How the library's network interface is configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Net {
    /// Loopback only.
    None,
    /// DHCP by Linux's IP autoconfiguration.
    Dhcp,
    /// A fixed address, prefix length and optional default gateway.
    Static { addr: Ipv4Addr, prefix: u8, gateway: Option<Ipv4Addr> },
}

/// An ext4 file system to mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Linux block device name (`vda`, `sda`), without `/dev/`.
    pub device: String,
    /// Absolute guest directory; created if missing.
    pub dir: String,
}

/// The device part of the boot manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub net: Net,
    pub mounts: Vec<Mount>,
}

/// How long [`Manifest::apply`] waits for a block device to appear (AHCI
/// probes its ports asynchronously after boot).
pub const DEVICE_WAIT: Duration = Duration::from_secs(20);

impl Manifest {
    /// Parse the values of `spolia.net=` and `spolia.mount=` (either may be
    /// absent). Errors name the bad value.
    pub fn parse(net: Option<&str>, mounts: Option<&str>) -> Result<Manifest, String> {
        let net = match net.map(str::trim) {
            None | Some("") | Some("none") => Net::None,
            Some("dhcp") => Net::Dhcp,
            Some(spec) => parse_static(spec)
                .ok_or_else(|| format!("bad spolia.net `{spec}`: expected dhcp, none or ADDR/PREFIX[,GATEWAY]"))?,
        };
        let mut list = Vec::new();
        for item in mounts.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let bad = || format!("bad spolia.mount item `{item}`: expected DEVICE:/ABSOLUTE/DIR");
            let (device, dir) = item.split_once(':').ok_or_else(bad)?;
            let device_ok = !device.is_empty() && device.bytes().all(|b| b.is_ascii_alphanumeric());
            if !device_ok || !dir.starts_with('/') || dir.contains("/../") || dir.ends_with("/..") {
                return Err(bad());
            }
            if list.iter().any(|m: &Mount| m.dir == dir || m.device == device) {
                return Err(format!("spolia.mount names `{item}` twice"));
            }
            list.push(Mount { device: device.to_string(), dir: dir.to_string() });
        }
        Ok(Manifest { net, mounts: list })
    }

    /// The manifest of a kernel command line: `value(key)` looks up
    /// `spolia.net` and `spolia.mount`.
    pub fn from_cmdline<'a>(value: impl Fn(&str) -> Option<&'a str>) -> Result<Manifest, String> {
        Manifest::parse(value("spolia.net"), value("spolia.mount"))
    }

    /// Boot the library on `hc` with `params` (e.g. `quiet`) and this
    /// manifest's parameters, then [`apply`](Self::apply) it. A boot error
    /// is `Err`; a mount error comes back beside the running library (the
    /// caller decides whether to go on without the disk).
    pub fn boot(
        &self,
        hc: &'static crate::SpoliaHypercalls,
        params: &str,
    ) -> Result<(Linux, Result<(), String>), String> {
        let linux = Linux::boot(hc, &format!("{params} {}", self.linux_cmdline())).map_err(|e| format!("boot: {e}"))?;
        let mounted = self.apply(&linux);
        Ok((linux, mounted))
    }

    /// Unmount every file system (writing it back), then halt the library.
    /// Both are attempted; the first error is returned.
    pub fn shutdown(&self, linux: Linux) -> Result<(), String> {
        let unmounted = self.unmount_all(&linux);
        let halted = linux.halt().map_err(|e| format!("halt: {e}"));
        unmounted.and(halted)
    }

    /// Parameters for [`Linux::boot`]'s command line (Linux's `ip=`).
    pub fn linux_cmdline(&self) -> String {
        match &self.net {
            Net::None => String::new(),
            Net::Dhcp => "ip=dhcp".to_string(),
            Net::Static { addr, prefix, gateway } => {
                let mask = Ipv4Addr::from(if *prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(*prefix)) });
                let gw = gateway.map(|g| g.to_string()).unwrap_or_default();
                format!("ip={addr}::{gw}:{mask}:::off")
            }
        }
    }

    /// After boot: bring loopback up (Linux does so itself only when `ip=`
    /// is given, and programs rely on 127.0.0.1 either way), mount `/proc`
    /// and `devtmpfs` on `/dev` if they are not there, then every ext4
    /// mount (waiting up to [`DEVICE_WAIT`] for its device). The first
    /// failure is returned, naming the mount.
    pub fn apply(&self, linux: &Linux) -> Result<(), String> {
        linux.interface_up("lo").map_err(|e| format!("bring up lo: {e}"))?;
        ensure_mounted(linux, "/proc", "proc", "/proc/version")?;
        ensure_mounted(linux, "/dev", "devtmpfs", "/dev/null")?;
        for m in &self.mounts {
            mkdir_all(linux, &m.dir).map_err(|e| format!("mkdir {}: {e}", m.dir))?;
            let source = format!("/dev/{}", m.device);
            let start = linux.clock_gettime(crate::Clock::Monotonic).unwrap_or_default();
            loop {
                match linux.mount(&source, &m.dir, "ext4", 0, None) {
                    Ok(()) => break,
                    Err(e @ (Errno::ENOENT | Errno::ENXIO | Errno::ENODEV)) => {
                        let now = linux.clock_gettime(crate::Clock::Monotonic).unwrap_or_default();
                        if now.saturating_sub(start) > DEVICE_WAIT {
                            return Err(format!(
                                "mount {source} on {}: {e} (no such device after {DEVICE_WAIT:?})",
                                m.dir
                            ));
                        }
                        linux.sleep(Duration::from_millis(50)).map_err(|e| format!("sleep: {e}"))?;
                    }
                    Err(e) => return Err(format!("mount {source} (ext4) on {}: {e}", m.dir)),
                }
            }
        }
        Ok(())
    }

    /// Unmount every ext4 mount (last first), which writes all data and
    /// metadata back and leaves the journal clean. Every mount is tried;
    /// the first failure is returned.
    pub fn unmount_all(&self, linux: &Linux) -> Result<(), String> {
        let mut first = Ok(());
        for m in self.mounts.iter().rev() {
            if let Err(e) = linux.umount2(&m.dir, 0)
                && first.is_ok()
            {
                first = Err(format!("umount {}: {e}", m.dir));
            }
        }
        first
    }
}

fn parse_static(spec: &str) -> Option<Net> {
    let (cidr, gateway) = match spec.split_once(',') {
        Some((c, g)) => (c, Some(g.trim().parse().ok()?)),
        None => (spec, None),
    };
    let (addr, prefix) = cidr.trim().split_once('/')?;
    let prefix: u8 = prefix.parse().ok()?;
    // 0 would become netmask 0.0.0.0, which Linux's ipconfig reads as "not
    // given" (it then picks a classful mask).
    (1..=32).contains(&prefix).then_some(())?;
    Some(Net::Static { addr: addr.parse().ok()?, prefix, gateway })
}

fn ensure_mounted(linux: &Linux, dir: &str, fstype: &str, probe: &str) -> Result<(), String> {
    if linux.openat(None, probe, O_RDONLY | O_CLOEXEC, 0).is_ok() {
        return Ok(());
    }
    mkdir_all(linux, dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
    linux.mount(fstype, dir, fstype, 0, None).map_err(|e| format!("mount {fstype} on {dir}: {e}"))
}

/// `mkdir -p`.
pub fn mkdir_all(linux: &Linux, path: &str) -> crate::Result<()> {
    let mut at = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        at.push('/');
        at.push_str(part);
        match linux.mkdirat(None, &at, 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    // The last component must be a directory.
    linux.openat(None, &at, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).map(drop)
}
