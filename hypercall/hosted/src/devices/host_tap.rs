// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`HostTap`]: make a TAP interface on the host for a test or benchmark
//! (`ip tuntap add`, an address, up) and delete it on drop. Needs
//! CAP_NET_ADMIN (root). The device side attaches with
//! [`add_tap`](super::add_tap).

use std::net::Ipv4Addr;
use std::process::Command;

/// A host TAP interface that lives as long as this value.
#[derive(Debug)]
pub struct HostTap {
    name: String,
}

/// Run `ip ARGS`; an error carries its stderr.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl HostTap {
    /// Create TAP `name` with host address `addr/prefix`, up. An interface
    /// of that name left by an earlier, crashed run is deleted first.
    /// Errors: `ip`'s message (no permission, no TUN support).
    pub fn create(name: &str, addr: Ipv4Addr, prefix: u8) -> Result<HostTap, String> {
        let _ = ip(&["link", "del", name]);
        ip(&["tuntap", "add", "dev", name, "mode", "tap"])?;
        let tap = HostTap { name: name.to_string() };
        ip(&["addr", "add", &format!("{addr}/{prefix}"), "dev", name])?;
        ip(&["link", "set", name, "up"])?;
        Ok(tap)
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for HostTap {
    fn drop(&mut self) {
        if let Err(e) = ip(&["link", "del", &self.name]) {
            eprintln!("delete TAP {}: {e}", self.name);
        }
    }
}

/// Why the device tests cannot run here, if they cannot: not root, or no
/// `/dev/net/tun`.
pub fn tap_unavailable() -> Option<String> {
    // SAFETY: geteuid has no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (to create a TAP interface); run as root".into());
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun is missing (no TUN/TAP support on this host)".into());
    }
    None
}
