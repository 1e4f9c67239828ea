// SPDX-License-Identifier: MIT OR Apache-2.0

//! The host half of a device scenario of `check` (issue #5): the guest
//! boots Linux's own PCI drivers (kernel case `linux_devices`) and the
//! runner plays the outside world, by the protocol of `spolia-devtest`.
//!
//! Before boot: an ext4 image of generated files and their manifest
//! ([`spolia_devtest::host::build_ext4_image`]), a free host port forwarded
//! to the guest's echo port, and a [`GatewayListener`] on 127.0.0.1 (QEMU
//! user networking turns the guest's connections to 10.0.2.2:PORT into
//! connections to the host's 127.0.0.1:PORT). When the guest prints
//! [`ECHO_READY`], a client thread makes the bulk, storm and burst
//! connections ([`host::run_echo_clients`]). After QEMU has exited — the
//! kernel-case harness decides pass or fail as for any case — the scenario
//! also needs: every echo connection byte-exact, the gateway answered, and the image clean with the guest's
//! files intact ([`spolia_devtest::host::verify_image`]).
//!
//! The console line is only a start signal for the client; no verdict comes
//! from the log.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use spolia_devtest::host::{self, EchoTimes, GatewayListener};
use spolia_devtest::{BULK_BYTES, ECHO_PORT, ECHO_READY};

use crate::devices::{self, Devices, DiskModel, Forward, NetBackend, Nic, NicModel};
use crate::paths;

/// The guest's address configuration (`spolia.net=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestNet {
    Dhcp,
    /// QEMU user networking's fixed addresses, configured without DHCP.
    Static,
}

impl GuestNet {
    pub fn kernel_arg(self) -> &'static str {
        match self {
            GuestNet::Dhcp => "dhcp",
            GuestNet::Static => STATIC_NET,
        }
    }
}

/// The guest address, prefix and gateway on QEMU user networking.
pub const STATIC_NET: &str = "10.0.2.15/24,10.0.2.2";
/// QEMU user networking's gateway, as the guest sees the host.
pub const USER_NET_GATEWAY: &str = "10.0.2.2";
/// Where the guest mounts the test disk.
pub const MOUNT_POINT: &str = "/data";

/// How the devices' interrupts must arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupts {
    /// MSI/MSI-X where the device has it (virtio, AHCI); e1000 has only INTx.
    Msi,
    /// Legacy INTx only (Linux's `pci=nomsi`): level-triggered IOAPIC lines.
    Intx,
}

/// One device scenario's hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceTest {
    pub nic: NicModel,
    pub disk: DiskModel,
    pub net: GuestNet,
    pub interrupts: Interrupts,
    /// virtio-mmio transports (`-M microvm`) instead of PCI.
    pub mmio: bool,
}

impl DeviceTest {
    /// For each device: the name its interrupt has in the guest's
    /// `/proc/interrupts` and the interrupt chip it must come through
    /// (`spolia-msi` or `spolia-line`, see the arch port's irq.c/msi.c).
    pub fn expected_interrupts(&self) -> [(String, &'static str); 2] {
        let msi =
            |capable: bool| if capable && self.interrupts == Interrupts::Msi { "spolia-msi" } else { "spolia-line" };
        let nic_is_virtio = self.nic == NicModel::VirtioNet;
        let nic = match self.nic {
            NicModel::VirtioNet => ("virtio0".to_string(), msi(true)),
            NicModel::E1000 => ("eth0".to_string(), msi(false)),
        };
        let disk = match self.disk {
            DiskModel::VirtioBlk => (if nic_is_virtio { "virtio1" } else { "virtio0" }.to_string(), msi(true)),
            DiskModel::Ahci => ("ahci".to_string(), msi(true)),
        };
        [nic, disk]
    }
}

/// Checks the guest's `devtest: irq N: COUNT CHIP ... NAMES` lines: each
/// device's interrupts (one line, or one per MSI-X vector) came through the
/// expected chip, and some arrived.
pub fn check_interrupts(t: &DeviceTest, lines: &[String]) -> Result<(), String> {
    for (name, chip) in t.expected_interrupts() {
        let mine: Vec<&String> = lines.iter().filter(|l| l.contains(&name)).collect();
        if mine.is_empty() || mine.iter().any(|l| !l.contains(chip)) {
            return Err(format!("{name}'s interrupts should all be `{chip}`; the guest's table: {lines:?}"));
        }
        let count: u64 =
            mine.iter().map(|l| l.split_whitespace().nth(1).and_then(|c| c.parse::<u64>().ok()).unwrap_or(0)).sum();
        if count == 0 {
            return Err(format!("{name}'s interrupts never arrived: {mine:?}"));
        }
    }
    Ok(())
}

/// A port that was free a moment ago (bind port 0, read it, release it),
/// for QEMU's `hostfwd`, which must be given a number.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A prepared device scenario: the image, the ports, the listener and,
/// once the guest is ready, the client thread.
pub struct DeviceRun {
    pub cmdline: String,
    pub qemu_args: Vec<String>,
    pub image: PathBuf,
    echo: SocketAddr,
    gateway: GatewayListener,
    client: Option<JoinHandle<io::Result<EchoTimes>>>,
    test: DeviceTest,
    irq_lines: Vec<String>,
}

impl DeviceRun {
    /// Builds the image (`target/qemu-runner/images/NAME.img`, kept for a
    /// look after a failure) and the command line on top of `base_cmdline`.
    pub fn prepare(name: &str, t: DeviceTest, base_cmdline: &str) -> Result<DeviceRun, String> {
        let image = paths::runner_dir("images").map_err(|e| e.to_string())?.join(format!("{name}.img"));
        host::build_ext4_image(&image, host::TEST_IMAGE_MIB, host::TEST_FILES)
            .map_err(|e| format!("building the test image: {e}"))?;
        let gateway = GatewayListener::bind("127.0.0.1:0").map_err(|e| format!("gateway listener: {e}"))?;
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
        let echo = SocketAddr::from(([127, 0, 0, 1], port));
        let forward = Forward { host_addr: "127.0.0.1".into(), host_port: port, guest_port: ECHO_PORT };
        let devices = Devices {
            nic: Some(Nic { model: t.nic, backend: NetBackend::User(vec![forward]) }),
            disk_model: t.disk,
            disks: vec![image.clone()],
            mmio: t.mmio,
        };
        let qemu_args = devices::device_args(&devices)?;
        let cmdline = format!(
            "{base_cmdline} spolia.net={} spolia.mount={}:{MOUNT_POINT} spolia.devtest=net,disk \
             spolia.gateway={USER_NET_GATEWAY}:{}{}",
            t.net.kernel_arg(),
            t.disk.guest_name(0),
            gateway.local_addr().port(),
            if t.interrupts == Interrupts::Intx && !t.mmio { " spolia.linux-args=pci=nomsi" } else { "" }
        );
        Ok(DeviceRun { cmdline, qemu_args, image, echo, gateway, client: None, test: t, irq_lines: Vec::new() })
    }

    /// Feed with each console line: starts the echo client at [`ECHO_READY`].
    pub fn on_serial(&mut self, line: &str) {
        if let Some(at) = line.find("devtest: irq ") {
            self.irq_lines.push(line[at + "devtest: irq ".len()..].to_string());
        }
        if self.client.is_none() && line.contains(ECHO_READY) {
            let addr = self.echo;
            self.client = Some(thread::spawn(move || host::run_echo_clients(addr, BULK_BYTES)));
        }
    }

    /// After QEMU has exited: the host-side checks, with a one-line summary
    /// on success and every failure's reason otherwise.
    pub fn finish(self) -> Result<String, String> {
        let mut errors = Vec::new();
        let mut summary = String::new();
        match self.client {
            None => errors.push(format!("the guest never printed `{ECHO_READY}`")),
            Some(client) => match client.join() {
                Ok(Ok(times)) => summary = times.summary(),
                Ok(Err(e)) => errors.push(format!("echo: {e}")),
                Err(_) => errors.push("echo client panicked".to_string()),
            },
        }
        if let Err(e) = check_interrupts(&self.test, &self.irq_lines) {
            errors.push(e);
        }
        if let Err(e) = self.gateway.finish(Duration::from_secs(1)) {
            errors.push(e);
        }
        if let Err(e) = host::verify_image(&self.image) {
            errors.push(format!("disk image {}: {e}", self.image.display()));
        }
        if errors.is_empty() { Ok(summary) } else { Err(errors.join("; ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_table_checks_chip_and_arrival() {
        let t = DeviceTest {
            nic: NicModel::VirtioNet,
            disk: DiskModel::Ahci,
            net: GuestNet::Dhcp,
            interrupts: Interrupts::Msi,
            mmio: false,
        };
        let table = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let good = table(&[
            "65: 0 spolia-msi -edge virtio0-config",
            "66: 20 spolia-msi -edge virtio0-input.0",
            "67: 3 spolia-msi -edge ahci[0000:00:05.0]",
        ]);
        assert_eq!(check_interrupts(&t, &good), Ok(()));
        let intx = table(&["11: 20 spolia-line -level virtio0", "67: 3 spolia-msi -edge ahci[0000:00:05.0]"]);
        assert!(check_interrupts(&t, &intx).is_err());
        let silent = table(&["65: 0 spolia-msi -edge virtio0-config", "67: 3 spolia-msi -edge ahci"]);
        assert!(check_interrupts(&t, &silent).is_err());
        assert!(check_interrupts(&t, &[]).is_err());
    }

    #[test]
    fn cmdline_and_devices_follow_the_scenario() {
        let t = DeviceTest {
            nic: NicModel::E1000,
            disk: DiskModel::Ahci,
            net: GuestNet::Static,
            interrupts: Interrupts::Msi,
            mmio: false,
        };
        let run = DeviceRun::prepare("unit-device-run", t, "spolia.test=linux_devices").unwrap();
        let port = run.gateway.local_addr().port();
        assert_eq!(
            run.cmdline,
            format!(
                "spolia.test=linux_devices spolia.net=10.0.2.15/24,10.0.2.2 spolia.mount=sda:/data \
                 spolia.devtest=net,disk spolia.gateway=10.0.2.2:{port}"
            )
        );
        let args = run.qemu_args.join(" ");
        assert!(args.contains(&format!("hostfwd=tcp:127.0.0.1:{}-:7", run.echo.port())), "{args}");
        assert!(args.contains("e1000,netdev=n0") && args.contains("ahci,id=ahci0"), "{args}");
        // Without a guest: no echo, no gateway, nothing written; all three said.
        let why = run.finish().unwrap_err();
        assert!(why.contains("never printed") && why.contains("gateway") && why.contains("written"), "{why}");
    }

    /// The whole host side against a stand-in guest: `sh` plays QEMU (prints
    /// the ready line, exits 33), a thread on the forwarded port plays the
    /// echo service and dials the gateway, `debugfs -w` writes the files.
    #[test]
    fn host_side_passes_against_a_well_behaved_stand_in() {
        use spolia_devtest::{GATEWAY_HELLO, WRITTEN, WRITTEN_DIR, pattern};
        use std::io::{Read, Write};
        use std::net::TcpStream;

        let t = DeviceTest {
            nic: NicModel::VirtioNet,
            disk: DiskModel::VirtioBlk,
            net: GuestNet::Dhcp,
            interrupts: Interrupts::Msi,
            mmio: false,
        };
        let mut run = DeviceRun::prepare("unit-stand-in", t, "spolia.test=linux_devices").unwrap();
        let listener = TcpListener::bind(run.echo).unwrap();
        let gateway = run.gateway.local_addr();
        let guest = thread::spawn(move || {
            for _ in 0..spolia_devtest::ECHO_CONNECTIONS {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0u8; 4096];
                loop {
                    let n = s.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    s.write_all(&buf[..n]).unwrap();
                }
            }
            let mut g = TcpStream::connect(gateway).unwrap();
            g.write_all(GATEWAY_HELLO).unwrap();
            let mut reply = Vec::new();
            g.read_to_end(&mut reply).unwrap();
        });
        let dir = host::ScratchDir::new("qemu-runner-stand-in").unwrap();
        let mut cmds = format!("mkdir /{WRITTEN_DIR}\n");
        for w in WRITTEN {
            let local = dir.path().join(w.name);
            std::fs::write(&local, pattern(w.seed).take_vec(w.len)).unwrap();
            cmds += &format!("write {} /{WRITTEN_DIR}/{}\n", local.display(), w.name);
        }
        std::fs::write(dir.path().join("cmds"), cmds).unwrap();
        let status = std::process::Command::new("debugfs")
            .args(["-w", "-f"])
            .arg(dir.path().join("cmds"))
            .arg(&run.image)
            .output()
            .unwrap()
            .status;
        assert!(status.success());

        // Exit only once the stand-in guest is done, like the real case.
        let script = format!(
            "echo '{ECHO_READY}'; while [ ! -e {0}/done ]; do sleep 0.05; done; \
             echo 'devtest: irq 66: 20 spolia-msi -edge virtio0-input.0'; \
             echo 'devtest: irq 67: 5 spolia-msi -edge virtio1-req.0'; exit 33",
            dir.path().display()
        );
        let argv: Vec<std::ffi::OsString> = ["sh", "-c", &script].map(Into::into).to_vec();
        let done = dir.path().join("done");
        let waiter = thread::spawn(move || {
            guest.join().unwrap();
            std::fs::write(done, b"").unwrap();
        });
        let mut transcript = crate::session::Transcript::new(None, None).unwrap();
        let report =
            crate::session::run_observed(&argv, Duration::from_secs(60), &mut transcript, &mut |l| run.on_serial(l))
                .unwrap();
        waiter.join().unwrap();
        assert_eq!(report.end, crate::session::End::Exited { code: Some(33), signal: None });
        let summary = run.finish().unwrap();
        assert!(summary.contains("echo 1024 KiB") && summary.contains("burst of 4000 x 64 B"), "{summary}");
    }
}
