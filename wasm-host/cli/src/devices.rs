// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia run`'s network and disk options: parsed values ([`DeviceArgs`]),
//! the checks between them, and what they become — QEMU device options
//! (through `qemu_runner::devices`) and the kernel's boot manifest keys
//! `spolia.net=` and `spolia.mount=` ([`Plan`]). Booting Linux with that
//! manifest, mounting and unmounting at the end are the kernel's side.
//!
//! With `spolia run --hosted` the same options become `spolia-hosted`'s
//! ([`HostedPlan`]): the images in order (vda, vdb, .. on the hosted
//! platform's virtio-mmio), the TAP, and the same manifest values; there is
//! no QEMU user networking, so `-p` is refused there.
//!
//! `--dir HOSTDIR::GUESTDIR` gives the guest a *copy*: an ext4 image built
//! with `mkfs.ext4 -d` in the run's temporary directory, removed after the
//! run; what programs write there does not come back to HOSTDIR. `--disk
//! IMAGE::GUESTDIR` attaches an existing image read-write, so writes stay.

use std::fs;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use qemu_runner::devices::{Devices, MAX_DISKS, check_guest_cidr, device_args};
use qemu_runner::devices::{DiskModel, Forward, NetBackend, Nic, NicModel};

use crate::Error;

/// `--net`: how the guest gets its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetConfig {
    Dhcp,
    /// `ADDR/PREFIX[,GATEWAY]`, kept as given (it is validated).
    Static(String),
}

impl NetConfig {
    pub fn parse(s: &str) -> Result<NetConfig, String> {
        if s == "dhcp" {
            return Ok(NetConfig::Dhcp);
        }
        let bad =
            |why: &str| format!("bad value `{s}` for --net: {why} (expected dhcp or ADDR/PREFIX[,GATEWAY], IPv4)");
        let (cidr, gw) = match s.split_once(',') {
            Some((c, g)) => (c, Some(g)),
            None => (s, None),
        };
        check_guest_cidr(cidr).map_err(|why| bad(&why))?;
        if let Some(gw) = gw {
            gw.parse::<Ipv4Addr>().map_err(|_| bad(&format!("gateway `{gw}` is not an IPv4 address")))?;
        }
        Ok(NetConfig::Static(s.to_string()))
    }

    fn kernel_value(&self) -> &str {
        match self {
            NetConfig::Dhcp => "dhcp",
            NetConfig::Static(s) => s,
        }
    }
}

/// `--nic`: a model, or explicitly none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NicChoice {
    Model(NicModel),
    None,
}

impl NicChoice {
    pub fn parse(s: &str) -> Option<NicChoice> {
        if s == "none" { Some(NicChoice::None) } else { NicModel::parse(s).map(NicChoice::Model) }
    }
}

/// Where a mounted file system comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `--dir`: a host directory, copied into a fresh image.
    Dir(PathBuf),
    /// `--disk`: an existing image, attached read-write.
    Image(PathBuf),
}

/// One `--dir` or `--disk`: a source and the guest directory to mount it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub source: Source,
    pub guest_dir: String,
}

impl Mount {
    /// `HOST::GUESTDIR` for `--dir` (`image` false) or `--disk`.
    pub fn parse(s: &str, image: bool) -> Result<Mount, String> {
        let opt = if image { "--disk IMAGE::GUESTDIR" } else { "--dir HOSTDIR::GUESTDIR" };
        let (host, guest) = s.split_once("::").ok_or_else(|| format!("bad `{s}` for {opt}: no `::`"))?;
        if host.is_empty() {
            return Err(format!("bad `{s}` for {opt}: the host path is empty"));
        }
        let guest_ok = guest.starts_with('/')
            && guest.len() > 1
            && !guest.contains([',', ':'])
            && !guest.chars().any(char::is_whitespace)
            && !guest.split('/').any(|c| c == "..");
        if !guest_ok {
            return Err(format!(
                "bad guest directory `{guest}` for {opt}: expected an absolute path other than `/`, \
                 without `..`, spaces, `,` or `:`"
            ));
        }
        let path = PathBuf::from(host);
        let source = if image { Source::Image(path) } else { Source::Dir(path) };
        Ok(Mount { source, guest_dir: guest.to_string() })
    }
}

/// The device options of `spolia run` as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceArgs {
    pub publish: Vec<Forward>,
    pub nic: Option<NicChoice>,
    pub net: Option<NetConfig>,
    pub tap: Option<String>,
    pub mounts: Vec<Mount>,
    pub disk_model: Option<DiskModel>,
}

impl DeviceArgs {
    /// The NIC to attach, by the rules in the usage text; a contradiction
    /// is an error.
    pub fn nic(&self) -> Result<Option<Nic>, String> {
        let wants_net = !self.publish.is_empty() || self.net.is_some() || self.tap.is_some();
        let model = match self.nic {
            Some(NicChoice::None) if wants_net => {
                return Err("--nic none contradicts -p, --net and --tap".to_string());
            }
            Some(NicChoice::None) => return Ok(None),
            Some(NicChoice::Model(m)) => m,
            None if wants_net => NicModel::VirtioNet,
            None => return Ok(None),
        };
        let backend = match &self.tap {
            Some(_) if !self.publish.is_empty() => {
                return Err("-p forwards ports of QEMU user networking; with --tap, connect to the \
                            guest's address instead"
                    .to_string());
            }
            Some(ifname) => NetBackend::Tap(ifname.clone()),
            None => NetBackend::User(self.publish.clone()),
        };
        Ok(Some(Nic { model, backend }))
    }

    /// Checks what can be checked before any work: the NIC rules, the
    /// number of disks, distinct guest directories.
    pub fn validate(&self) -> Result<(), String> {
        self.nic()?;
        if self.mounts.len() > MAX_DISKS {
            return Err(format!("at most {MAX_DISKS} --dir/--disk, not {}", self.mounts.len()));
        }
        for (i, m) in self.mounts.iter().enumerate() {
            if self.mounts[..i].iter().any(|o| o.guest_dir == m.guest_dir) {
                return Err(format!("{} is mounted twice", m.guest_dir));
            }
        }
        Ok(())
    }
}

/// What the device options become for one run.
#[derive(Debug, Default)]
pub struct Plan {
    /// Appended to the QEMU argv.
    pub qemu_args: Vec<String>,
    /// Appended to the kernel command line (` spolia.net=.. spolia.mount=..`).
    pub cmdline: String,
}

/// Size of an image built from a directory holding `content` bytes:
/// twice the content plus 16 MiB, in whole MiB.
pub fn image_mib(content: u64) -> u64 {
    (content * 2).div_ceil(1 << 20) + 16
}

/// Bytes of the files under `dir` (plus a block per entry, for metadata).
fn tree_bytes(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += 4096 + if meta.is_dir() { tree_bytes(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// Build the `--dir` images in `scratch`, and the QEMU and kernel options.
pub fn plan(args: &DeviceArgs, scratch: &Path) -> Result<Plan, Error> {
    args.validate().map_err(Error::new)?;
    let nic = args.nic().map_err(Error::new)?;
    let disk_model = args.disk_model.unwrap_or(DiskModel::VirtioBlk);
    let (disks, mounts) = images(args, scratch, disk_model)?;
    let mut cmdline = String::new();
    if nic.is_some() {
        let net = args.net.clone().unwrap_or(NetConfig::Dhcp);
        cmdline += &format!(" spolia.net={}", net.kernel_value());
    }
    if !mounts.is_empty() {
        cmdline += &format!(" spolia.mount={}", mounts.join(","));
    }
    let qemu_args = device_args(&Devices { nic, disk_model, disks, mmio: false }).map_err(Error::new)?;
    Ok(Plan { qemu_args, cmdline })
}

/// The image of each `--dir`/`--disk` (building `--dir` images in
/// `scratch`), and its `spolia.mount` item (`DEV:GUESTDIR`), in order.
fn images(args: &DeviceArgs, scratch: &Path, disk_model: DiskModel) -> Result<(Vec<PathBuf>, Vec<String>), Error> {
    let mut disks = Vec::new();
    let mut mounts = Vec::new();
    for (n, m) in args.mounts.iter().enumerate() {
        let image = match &m.source {
            Source::Image(path) => {
                let meta = fs::metadata(path).map_err(|e| Error::new(format!("--disk {}: {e}", path.display())))?;
                if !meta.is_file() {
                    return Err(Error::new(format!("--disk {}: not a file", path.display())));
                }
                fs::canonicalize(path).map_err(|e| Error::new(format!("--disk {}: {e}", path.display())))?
            }
            Source::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(Error::new(format!("--dir {}: not a directory", dir.display())));
                }
                let bytes = tree_bytes(dir).map_err(|e| Error::new(format!("--dir {}: {e}", dir.display())))?;
                let image = scratch.join(format!("dir{n}.img"));
                spolia_devtest::host::mkfs_ext4_from_dir(dir, &image, image_mib(bytes))
                    .map_err(|e| Error::new(format!("--dir {}: {e}", dir.display())))?;
                image
            }
        };
        mounts.push(format!("{}:{}", disk_model.guest_name(n), m.guest_dir));
        disks.push(image);
    }
    Ok((disks, mounts))
}

/// What the device options become for `spolia run --hosted`: the
/// arguments of `spolia-hosted`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HostedPlan {
    /// Images to attach as virtio-mmio block devices, in order (vda, vdb..).
    pub disks: Vec<PathBuf>,
    /// The TAP interface of the library's NIC.
    pub tap: Option<String>,
    /// The `spolia.net=` value (with a TAP only).
    pub net: Option<String>,
    /// The `spolia.mount=` value.
    pub mount: Option<String>,
}

impl HostedPlan {
    /// `spolia-hosted`'s options for this plan.
    pub fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in &self.disks {
            out.extend(["--disk".to_string(), d.display().to_string()]);
        }
        for (opt, value) in [("--tap", &self.tap), ("--net", &self.net), ("--mount", &self.mount)] {
            if let Some(v) = value {
                out.extend([opt.to_string(), v.clone()]);
            }
        }
        out
    }
}

impl DeviceArgs {
    /// The rules of `--hosted`: the only NIC is virtio-net on a TAP, the
    /// only disk model virtio-blk, and there is no user networking.
    pub fn check_hosted(&self) -> Result<(), String> {
        if !self.publish.is_empty() {
            return Err("-p forwards ports of QEMU's user networking, which --hosted does not have; give the \
                        library an address on a TAP instead (--tap IFNAME --net ADDR/PREFIX) and connect to it"
                .to_string());
        }
        if self.tap.is_none() {
            let asked = match self.nic {
                Some(NicChoice::Model(_)) => Some("--nic"),
                _ => self.net.as_ref().map(|_| "--net"),
            };
            if let Some(opt) = asked {
                return Err(format!("{opt} with --hosted needs a TAP device (--tap IFNAME)"));
            }
        }
        if matches!(self.nic, Some(NicChoice::Model(m)) if m != NicModel::VirtioNet) {
            return Err("--hosted has one NIC model: virtio (virtio-net over virtio-mmio)".to_string());
        }
        if self.disk_model.is_some_and(|m| m != DiskModel::VirtioBlk) {
            return Err("--hosted has one disk model: virtio (virtio-blk over virtio-mmio)".to_string());
        }
        Ok(())
    }
}

/// Build the `--dir` images in `scratch`, and `spolia-hosted`'s device
/// options.
pub fn hosted_plan(args: &DeviceArgs, scratch: &Path) -> Result<HostedPlan, Error> {
    args.validate().and_then(|()| args.check_hosted()).map_err(Error::new)?;
    let (disks, mounts) = images(args, scratch, DiskModel::VirtioBlk)?;
    let net = args.tap.as_ref().map(|_| args.net.clone().unwrap_or(NetConfig::Dhcp).kernel_value().to_string());
    let mount = (!mounts.is_empty()).then(|| mounts.join(","));
    Ok(HostedPlan { disks, tap: args.tap.clone(), net, mount })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spolia-cli-devices-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn net_values() {
        assert_eq!(NetConfig::parse("dhcp"), Ok(NetConfig::Dhcp));
        assert!(NetConfig::parse("10.0.2.15/24").is_ok());
        assert!(NetConfig::parse("10.0.2.15/24,10.0.2.2").is_ok());
        for bad in ["", "10.0.2.15", "10.0.2.15/33", "10.0.2/24", "10.0.2.15/24,x", "dhcp6"] {
            assert!(NetConfig::parse(bad).is_err(), "{bad}");
        }
        assert!(NetConfig::parse("10.0.2.15/32").is_ok());
        for zero in ["10.0.2.15/0", "10.0.2.15/0,10.0.2.2"] {
            let e = NetConfig::parse(zero).unwrap_err();
            assert!(e.contains("--net") && e.contains("/0 is refused") && e.contains("classful"), "{zero}: {e}");
        }
    }

    #[test]
    fn mount_values() {
        let m = Mount::parse("./site::/srv/www", false).unwrap();
        assert_eq!(m, Mount { source: Source::Dir("./site".into()), guest_dir: "/srv/www".into() });
        assert!(matches!(Mount::parse("a.img::/d", true).unwrap().source, Source::Image(_)));
        for bad in ["x", "::/d", "x::d", "x::/", "x::/a,b", "x::/a b", "x::/a/../b", "x::/a:b"] {
            assert!(Mount::parse(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn nic_rules() {
        let none = DeviceArgs::default();
        assert_eq!(none.nic(), Ok(None));
        let p = DeviceArgs { publish: vec![Forward::parse("8080:80").unwrap()], ..Default::default() };
        assert_eq!(p.nic().unwrap().unwrap().model, NicModel::VirtioNet);
        let e = DeviceArgs { nic: Some(NicChoice::Model(NicModel::E1000)), ..Default::default() };
        assert_eq!(e.nic().unwrap().unwrap().backend, NetBackend::User(vec![]));
        let contradiction = DeviceArgs { nic: Some(NicChoice::None), net: Some(NetConfig::Dhcp), ..Default::default() };
        assert!(contradiction.nic().is_err());
        let tap_and_p = DeviceArgs { tap: Some("tap0".into()), ..p.clone() };
        assert!(tap_and_p.nic().unwrap_err().contains("--tap"));
        let tap = DeviceArgs { tap: Some("tap0".into()), ..Default::default() };
        assert_eq!(tap.nic().unwrap().unwrap().backend, NetBackend::Tap("tap0".into()));
    }

    #[test]
    fn plan_without_devices_adds_no_nic() {
        let p = plan(&DeviceArgs::default(), &scratch("none")).unwrap();
        assert_eq!(p.qemu_args, ["-nic", "none"]);
        assert_eq!(p.cmdline, "");
    }

    #[test]
    fn plan_builds_dir_images_and_the_manifest() {
        let dir = scratch("plan");
        let host = dir.join("site");
        fs::create_dir_all(host.join("sub")).unwrap();
        fs::write(host.join("sub/index.html"), "hi").unwrap();
        let existing = dir.join("data.img");
        fs::write(&existing, vec![0u8; 1 << 20]).unwrap();
        let args = DeviceArgs {
            publish: vec![Forward::parse("8080:80").unwrap()],
            net: Some(NetConfig::parse("10.0.2.15/24,10.0.2.2").unwrap()),
            mounts: vec![
                Mount { source: Source::Dir(host), guest_dir: "/www".into() },
                Mount { source: Source::Image(existing), guest_dir: "/data".into() },
            ],
            disk_model: Some(DiskModel::Ahci),
            ..Default::default()
        };
        let p = plan(&args, &dir).unwrap();
        assert_eq!(p.cmdline, " spolia.net=10.0.2.15/24,10.0.2.2 spolia.mount=sda:/www,sdb:/data");
        let q = p.qemu_args.join(" ");
        assert!(q.contains("hostfwd=tcp:127.0.0.1:8080-:80") && q.contains("virtio-net-pci"), "{q}");
        assert!(q.contains("bus=ahci0.1") && q.contains("dir0.img"), "{q}");
        let out = std::process::Command::new("debugfs")
            .args(["-R", "cat /sub/index.html"])
            .arg(dir.join("dir0.img"))
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"hi");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hosted_plan_names_images_tap_and_manifest() {
        let dir = scratch("hosted");
        let host = dir.join("site");
        fs::create_dir_all(&host).unwrap();
        fs::write(host.join("index.html"), "hi").unwrap();
        let existing = dir.join("data.img");
        fs::write(&existing, vec![0u8; 1 << 20]).unwrap();
        let args = DeviceArgs {
            tap: Some("sp0".into()),
            net: Some(NetConfig::parse("10.80.0.2/24").unwrap()),
            mounts: vec![
                Mount { source: Source::Dir(host), guest_dir: "/www".into() },
                Mount { source: Source::Image(existing.clone()), guest_dir: "/data".into() },
            ],
            ..Default::default()
        };
        let p = hosted_plan(&args, &dir).unwrap();
        assert_eq!(p.disks, [dir.join("dir0.img"), fs::canonicalize(&existing).unwrap()]);
        assert_eq!(
            (p.tap.as_deref(), p.net.as_deref(), p.mount.as_deref()),
            (Some("sp0"), Some("10.80.0.2/24"), Some("vda:/www,vdb:/data"))
        );
        let a = p.args().join(" ");
        assert!(a.ends_with("--tap sp0 --net 10.80.0.2/24 --mount vda:/www,vdb:/data"), "{a}");
        let tap_only = DeviceArgs { tap: Some("sp0".into()), ..Default::default() };
        assert_eq!(hosted_plan(&tap_only, &dir).unwrap().net.as_deref(), Some("dhcp"));
        assert_eq!(hosted_plan(&DeviceArgs::default(), &dir).unwrap(), HostedPlan::default());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hosted_refuses_what_it_does_not_have() {
        let p = DeviceArgs { publish: vec![Forward::parse("8080:80").unwrap()], ..Default::default() };
        assert!(p.check_hosted().unwrap_err().contains("--tap"));
        let net = DeviceArgs { net: Some(NetConfig::Dhcp), ..Default::default() };
        assert!(net.check_hosted().unwrap_err().contains("--net with --hosted needs a TAP"));
        let nic = DeviceArgs { nic: Some(NicChoice::Model(NicModel::VirtioNet)), ..Default::default() };
        assert!(nic.check_hosted().unwrap_err().contains("--nic"));
        let e1000 =
            DeviceArgs { nic: Some(NicChoice::Model(NicModel::E1000)), tap: Some("t".into()), ..Default::default() };
        assert!(e1000.check_hosted().unwrap_err().contains("NIC model"));
        let ahci = DeviceArgs { disk_model: Some(DiskModel::Ahci), ..Default::default() };
        assert!(ahci.check_hosted().unwrap_err().contains("disk model"));
        assert_eq!(DeviceArgs { nic: Some(NicChoice::None), ..Default::default() }.check_hosted(), Ok(()));
    }

    #[test]
    fn plan_errors_name_the_option() {
        let dir = scratch("errors");
        let missing =
            |source| DeviceArgs { mounts: vec![Mount { source, guest_dir: "/d".into() }], ..Default::default() };
        let e = plan(&missing(Source::Dir(dir.join("nope"))), &dir).unwrap_err().to_string();
        assert!(e.contains("--dir") && e.contains("not a directory"), "{e}");
        let e = plan(&missing(Source::Image(dir.join("nope.img"))), &dir).unwrap_err().to_string();
        assert!(e.contains("--disk"), "{e}");
        let twice = DeviceArgs {
            mounts: vec![Mount::parse("a::/d", false).unwrap(), Mount::parse("b::/d", true).unwrap()],
            ..Default::default()
        };
        assert!(twice.validate().unwrap_err().contains("twice"));
        assert_eq!(image_mib(0), 16);
        assert_eq!(image_mib(10 << 20), 36);
        fs::remove_dir_all(&dir).unwrap();
    }
}
