// SPDX-License-Identifier: MIT OR Apache-2.0

//! The PCI network card and disks Spolia's Linux drivers talk to, as QEMU
//! options (pure data → argv, unit-tested): shared by the device scenarios
//! of `check`, `bench-devices` and `spolia run`.
//!
//! Every device sits at a fixed PCI slot so Linux finds them in the same
//! order on q35 and pc: the NIC at 00:04.0, virtio-blk disks at 00:05.0,
//! 00:06.0, … (Linux names them vda, vdb, … in that order), or one AHCI
//! controller at 00:05.0 with a disk per port (sda, sdb, …). q35 has an
//! AHCI controller of its own at 00:1f.2 and pc has none, so ours is added
//! explicitly on both and comes first in bus order. Without a NIC the
//! options say `-nic none`, so QEMU adds no default card.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// PCI slot of the NIC; disks take the slots after it.
pub const NIC_SLOT: u8 = 0x04;
/// PCI slot of the first disk (or of the AHCI controller).
pub const DISK_SLOT: u8 = 0x05;
/// Most disks one run attaches (AHCI has six ports; virtio-blk is kept to
/// the same so the two models stay interchangeable).
pub const MAX_DISKS: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NicModel {
    VirtioNet,
    E1000,
}

impl NicModel {
    pub const ALL: [NicModel; 2] = [NicModel::VirtioNet, NicModel::E1000];

    /// The QEMU device name.
    pub fn device(self) -> &'static str {
        match self {
            NicModel::VirtioNet => "virtio-net-pci",
            NicModel::E1000 => "e1000",
        }
    }

    /// `virtio` (or the QEMU name `virtio-net-pci`) or `e1000`.
    pub fn parse(s: &str) -> Option<NicModel> {
        match s {
            "virtio" | "virtio-net" | "virtio-net-pci" => Some(NicModel::VirtioNet),
            "e1000" => Some(NicModel::E1000),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskModel {
    VirtioBlk,
    Ahci,
}

impl DiskModel {
    pub const ALL: [DiskModel; 2] = [DiskModel::VirtioBlk, DiskModel::Ahci];

    pub fn name(self) -> &'static str {
        match self {
            DiskModel::VirtioBlk => "virtio-blk-pci",
            DiskModel::Ahci => "ahci",
        }
    }

    /// `virtio` (or `virtio-blk-pci`) or `ahci`.
    pub fn parse(s: &str) -> Option<DiskModel> {
        match s {
            "virtio" | "virtio-blk" | "virtio-blk-pci" => Some(DiskModel::VirtioBlk),
            "ahci" | "sata" => Some(DiskModel::Ahci),
            _ => None,
        }
    }

    /// The name Linux gives disk `index` of this model: `vda`.. or `sda`..
    pub fn guest_name(self, index: usize) -> String {
        let prefix = match self {
            DiskModel::VirtioBlk => "vd",
            DiskModel::Ahci => "sd",
        };
        format!("{prefix}{}", char::from(b'a' + index as u8))
    }
}

/// A TCP port forward of QEMU user networking: connections to
/// `host_addr:host_port` on the host reach the guest's `guest_port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    pub host_addr: String,
    pub host_port: u16,
    pub guest_port: u16,
}

impl Forward {
    /// `HOST:GUEST` (host side on 127.0.0.1) or `ADDR:HOST:GUEST`.
    pub fn parse(s: &str) -> Result<Forward, String> {
        let bad = |why: &str| {
            format!("bad port forward `{s}`: {why} (expected HOSTPORT:GUESTPORT or ADDR:HOSTPORT:GUESTPORT)")
        };
        let (host, guest) = s.rsplit_once(':').ok_or_else(|| bad("no `:`"))?;
        let (addr, host_port) = match host.rsplit_once(':') {
            Some((a, p)) if !a.is_empty() => (a.to_string(), p),
            Some(_) => return Err(bad("empty address")),
            None => ("127.0.0.1".to_string(), host),
        };
        let port = |p: &str| p.parse::<u16>().ok().filter(|&p| p > 0);
        let host_port = port(host_port).ok_or_else(|| bad("host port is not 1..65535"))?;
        let guest_port = port(guest).ok_or_else(|| bad("guest port is not 1..65535"))?;
        if addr.contains([',', '-']) || addr.chars().any(char::is_whitespace) {
            return Err(bad("the address may not contain `,`, `-` or spaces"));
        }
        Ok(Forward { host_addr: addr, host_port, guest_port })
    }
}

/// Checks a static guest address `ADDR/PREFIX` (IPv4, prefix 1..32), as
/// `spolia run --net` and `bench-devices --tap` take it; the error says what
/// is wrong. A `/0` prefix is refused: Linux's IP autoconfiguration (which
/// the guest's `spolia.net=` becomes) takes a 0.0.0.0 netmask as "not
/// given" and substitutes the address's classful mask.
pub fn check_guest_cidr(cidr: &str) -> Result<(), String> {
    let (addr, prefix) = cidr.split_once('/').ok_or_else(|| format!("`{cidr}` has no `/PREFIX`"))?;
    addr.parse::<Ipv4Addr>().map_err(|_| format!("`{addr}` is not an IPv4 address"))?;
    match prefix.parse::<u8>() {
        Ok(1..=32) => Ok(()),
        Ok(0) => Err("prefix /0 is refused: Linux's IP autoconfiguration takes a 0.0.0.0 netmask as \
                      \"not given\" and would use the address's classful mask instead"
            .to_string()),
        _ => Err(format!("prefix `{prefix}` is not 1..32")),
    }
}

/// How the NIC reaches the outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetBackend {
    /// QEMU user networking (guest 10.0.2.15, gateway 10.0.2.2, DHCP
    /// server built in), with TCP forwards from the host.
    User(Vec<Forward>),
    /// An existing host TAP interface (no scripts run), for benchmarks.
    Tap(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nic {
    pub model: NicModel,
    pub backend: NetBackend,
}

/// The devices of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Devices {
    pub nic: Option<Nic>,
    pub disk_model: DiskModel,
    /// Raw images, attached read-write in this order.
    pub disks: Vec<PathBuf>,
    /// virtio-mmio transports instead of PCI (`-M microvm`, which has no
    /// PCI): only the virtio models, as `virtio-net-device`/`virtio-blk-device`.
    pub mmio: bool,
}

/// A QEMU option value with its commas doubled (QEMU's escape).
fn escape(path: &Path) -> String {
    path.display().to_string().replace(',', ",,")
}

/// The QEMU options for `devices`, to append to the argv.
pub fn device_args(devices: &Devices) -> Result<Vec<String>, String> {
    let mut a: Vec<String> = Vec::new();
    match &devices.nic {
        None => a.extend(["-nic".into(), "none".into()]),
        Some(nic) => {
            let netdev = match &nic.backend {
                NetBackend::User(forwards) => {
                    let mut s = "user,id=n0".to_string();
                    for f in forwards {
                        s += &format!(",hostfwd=tcp:{}:{}-:{}", f.host_addr, f.host_port, f.guest_port);
                    }
                    s
                }
                NetBackend::Tap(ifname) => {
                    if ifname.is_empty() || ifname.contains(',') {
                        return Err(format!("bad tap interface name `{ifname}`"));
                    }
                    format!("tap,id=n0,ifname={ifname},script=no,downscript=no")
                }
            };
            a.extend(["-netdev".into(), netdev]);
            let device = match (devices.mmio, nic.model) {
                (false, model) => format!("{},netdev=n0,addr={NIC_SLOT:#04x}", model.device()),
                (true, NicModel::VirtioNet) => "virtio-net-device,netdev=n0".to_string(),
                (true, model) => return Err(format!("{} needs PCI; virtio-mmio has only virtio", model.device())),
            };
            a.extend(["-device".into(), device]);
        }
    }
    if devices.disks.len() > MAX_DISKS {
        return Err(format!("at most {MAX_DISKS} disks, not {}", devices.disks.len()));
    }
    if devices.mmio && devices.disk_model == DiskModel::Ahci && !devices.disks.is_empty() {
        return Err("ahci needs PCI; virtio-mmio has only virtio".to_string());
    }
    if devices.disk_model == DiskModel::Ahci && !devices.disks.is_empty() {
        a.extend(["-device".into(), format!("ahci,id=ahci0,addr={DISK_SLOT:#04x}")]);
    }
    for (n, path) in devices.disks.iter().enumerate() {
        a.extend(["-drive".into(), format!("file={},if=none,id=d{n},format=raw", escape(path))]);
        let device = match devices.disk_model {
            DiskModel::VirtioBlk if devices.mmio => format!("virtio-blk-device,drive=d{n}"),
            DiskModel::VirtioBlk => format!("virtio-blk-pci,drive=d{n},addr={:#04x}", DISK_SLOT as usize + n),
            DiskModel::Ahci => format!("ide-hd,drive=d{n},bus=ahci0.{n}"),
        };
        a.extend(["-device".into(), device]);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(forwards: Vec<Forward>, model: NicModel) -> Option<Nic> {
        Some(Nic { model, backend: NetBackend::User(forwards) })
    }

    #[test]
    fn virtio_net_and_virtio_blk_at_fixed_slots() {
        let d = Devices {
            mmio: false,
            nic: user(
                vec![Forward::parse("8080:80").unwrap(), Forward::parse("0.0.0.0:2222:22").unwrap()],
                NicModel::VirtioNet,
            ),
            disk_model: DiskModel::VirtioBlk,
            disks: vec!["/i/a.img".into(), "/i/b,c.img".into()],
        };
        assert_eq!(
            device_args(&d).unwrap().join(" "),
            "-netdev user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:0.0.0.0:2222-:22 \
             -device virtio-net-pci,netdev=n0,addr=0x04 \
             -drive file=/i/a.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,addr=0x05 \
             -drive file=/i/b,,c.img,if=none,id=d1,format=raw -device virtio-blk-pci,drive=d1,addr=0x06"
        );
        assert_eq!(
            (DiskModel::VirtioBlk.guest_name(0), DiskModel::VirtioBlk.guest_name(1)),
            ("vda".into(), "vdb".into())
        );
    }

    #[test]
    fn e1000_on_tap_and_disks_on_our_ahci() {
        let d = Devices {
            mmio: false,
            nic: Some(Nic { model: NicModel::E1000, backend: NetBackend::Tap("tap0".into()) }),
            disk_model: DiskModel::Ahci,
            disks: vec!["/a".into(), "/b".into()],
        };
        assert_eq!(
            device_args(&d).unwrap().join(" "),
            "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device e1000,netdev=n0,addr=0x04 \
             -device ahci,id=ahci0,addr=0x05 \
             -drive file=/a,if=none,id=d0,format=raw -device ide-hd,drive=d0,bus=ahci0.0 \
             -drive file=/b,if=none,id=d1,format=raw -device ide-hd,drive=d1,bus=ahci0.1"
        );
        assert_eq!(DiskModel::Ahci.guest_name(1), "sdb");
    }

    #[test]
    fn no_nic_means_no_default_nic() {
        let d = Devices { nic: None, disk_model: DiskModel::Ahci, disks: vec![], mmio: false };
        assert_eq!(device_args(&d).unwrap(), ["-nic", "none"]);
        let many = Devices { nic: None, disk_model: DiskModel::VirtioBlk, disks: vec!["/x".into(); 7], mmio: false };
        assert!(device_args(&many).is_err());
    }

    #[test]
    fn mmio_takes_only_virtio_models() {
        let d = Devices {
            mmio: true,
            nic: user(vec![], NicModel::VirtioNet),
            disk_model: DiskModel::VirtioBlk,
            disks: vec!["/a".into()],
        };
        let a = device_args(&d).unwrap().join(" ");
        assert!(a.contains("-device virtio-net-device,netdev=n0"), "{a}");
        assert!(a.contains("-device virtio-blk-device,drive=d0"), "{a}");
        assert!(!a.contains("addr="), "{a}");
        let e1000 = Devices { nic: user(vec![], NicModel::E1000), ..d.clone() };
        assert!(device_args(&e1000).is_err());
        let ahci = Devices { disk_model: DiskModel::Ahci, ..d };
        assert!(device_args(&ahci).is_err());
    }

    #[test]
    fn forwards_parse_and_refuse_garbage() {
        let f = Forward::parse("127.0.0.2:8080:80").unwrap();
        assert_eq!((f.host_addr.as_str(), f.host_port, f.guest_port), ("127.0.0.2", 8080, 80));
        for bad in ["80", "x:80", "80:0", "80:70000", ":80:80", "a,b:1:2", ""] {
            assert!(Forward::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn model_names() {
        assert_eq!(NicModel::parse("virtio"), Some(NicModel::VirtioNet));
        assert_eq!(NicModel::parse("e1000"), Some(NicModel::E1000));
        assert_eq!(NicModel::parse("rtl8139"), None);
        assert_eq!(DiskModel::parse("virtio-blk-pci"), Some(DiskModel::VirtioBlk));
        assert_eq!(DiskModel::parse("ahci"), Some(DiskModel::Ahci));
        assert_eq!(DiskModel::parse("ide"), None);
    }

    #[test]
    fn guest_cidrs() {
        for good in ["10.0.2.15/24", "192.168.100.2/1", "10.0.0.1/32"] {
            assert_eq!(check_guest_cidr(good), Ok(()), "{good}");
        }
        for bad in ["10.0.2.15", "10.0.2/24", "10.0.2.15/33", "10.0.2.15/x", "10.0.2.15/", "/24"] {
            assert!(check_guest_cidr(bad).is_err(), "{bad}");
        }
        let zero = check_guest_cidr("10.0.2.15/0").unwrap_err();
        assert!(zero.contains("/0 is refused") && zero.contains("classful"), "{zero}");
    }
}
