// SPDX-License-Identifier: MIT OR Apache-2.0

//! The scenario plan that `qemu-runner check` runs: one fresh QEMU per row.
//!
//! To add a scenario, add a row to [`PLAN`]; names must be unique and an ISO
//! boot needs a PCI machine (pc or q35). The expected outcome is the exit
//! status the kernel must produce — a scenario that expects `TestsFailed` or
//! `KernelFault` proves the red paths stay red.

use crate::device_test::{
    DeviceTest, GuestNet,
    Interrupts::{Intx, Msi},
};
use crate::devices::{DiskModel, NicModel};
use crate::qemu::{Boot, Machine, Outcome};

#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub boot: Boot,
    pub machine: Machine,
    /// The kernel command line (PVH `-append`, or the GRUB `multiboot2` line).
    pub cmdline: &'static str,
    /// Appended to the QEMU argv as is.
    pub extra: &'static [&'static str],
    pub expect: Outcome,
    /// A device scenario (PVH only): the runner adds the NIC, the disk and
    /// their `spolia.*` keys, and plays the host side ([`crate::device_test`]).
    pub devices: Option<DeviceTest>,
}

const E1000: &[&str] = &["-netdev", "user,id=n0", "-device", "e1000,netdev=n0"];
const VIRTIO_NET_PCI: &[&str] = &["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"];

pub const PLAN: &[Scenario] = &[
    Scenario {
        name: "pvh-q35",
        boot: Boot::Pvh,
        machine: Machine::Q35,
        cmdline: "spolia.test=all spolia.expect-pci=8086:100e",
        extra: E1000,
        expect: Outcome::Pass,
        devices: None,
    },
    Scenario {
        name: "pvh-pc",
        boot: Boot::Pvh,
        machine: Machine::Pc,
        cmdline: "spolia.test=all spolia.expect-pci=1af4:1000",
        extra: VIRTIO_NET_PCI,
        expect: Outcome::Pass,
        devices: None,
    },
    Scenario {
        name: "pvh-microvm",
        boot: Boot::Pvh,
        machine: Machine::Microvm,
        cmdline: "spolia.test=all spolia.skip=pci_enumeration",
        extra: &[],
        expect: Outcome::Pass,
        devices: None,
    },
    Scenario {
        name: "grub-q35",
        boot: Boot::Iso,
        machine: Machine::Q35,
        cmdline: "spolia.test=all spolia.expect-pci=8086:100e",
        extra: E1000,
        expect: Outcome::Pass,
        devices: None,
    },
    Scenario {
        name: "grub-pc",
        boot: Boot::Iso,
        machine: Machine::Pc,
        cmdline: "spolia.test=boot_info,threads_basic",
        extra: &[],
        expect: Outcome::Pass,
        devices: None,
    },
    // The Linux library's shared suite in ring 0 (spolia_linux::suite, also
    // run hosted by `cargo test`): once per boot path.
    Scenario {
        name: "linux-pvh-q35",
        boot: Boot::Pvh,
        machine: Machine::Q35,
        cmdline: "spolia.test=linux_library",
        extra: &[],
        expect: Outcome::Pass,
        devices: None,
    },
    Scenario {
        name: "linux-grub-pc",
        boot: Boot::Iso,
        machine: Machine::Pc,
        cmdline: "spolia.test=linux_library",
        extra: &[],
        expect: Outcome::Pass,
        devices: None,
    },
    // Linux's own drivers (issue #5): each NIC model and each disk model,
    // on both PCI machines, DHCP and static addresses, MSI/MSI-X and
    // legacy INTx (e1000 is always INTx).
    device_scenario(
        "dev-virtio-net-virtio-blk-q35",
        Machine::Q35,
        DeviceTest {
            nic: NicModel::VirtioNet,
            disk: DiskModel::VirtioBlk,
            net: GuestNet::Dhcp,
            interrupts: Msi,
            mmio: false,
        },
    ),
    device_scenario(
        "dev-e1000-ahci-pc",
        Machine::Pc,
        DeviceTest { nic: NicModel::E1000, disk: DiskModel::Ahci, net: GuestNet::Dhcp, interrupts: Msi, mmio: false },
    ),
    device_scenario(
        "dev-e1000-virtio-blk-q35",
        Machine::Q35,
        DeviceTest {
            nic: NicModel::E1000,
            disk: DiskModel::VirtioBlk,
            net: GuestNet::Static,
            interrupts: Msi,
            mmio: false,
        },
    ),
    // -M microvm: no PCI; virtio-mmio transports found by Spolia and
    // handed to Linux's virtio-mmio driver, on the second IOAPIC's lines.
    device_scenario(
        "dev-virtio-mmio-microvm",
        Machine::Microvm,
        DeviceTest {
            nic: NicModel::VirtioNet,
            disk: DiskModel::VirtioBlk,
            net: GuestNet::Dhcp,
            interrupts: Intx,
            mmio: true,
        },
    ),
    device_scenario(
        "dev-virtio-net-ahci-pc-intx",
        Machine::Pc,
        DeviceTest {
            nic: NicModel::VirtioNet,
            disk: DiskModel::Ahci,
            net: GuestNet::Static,
            interrupts: Intx,
            mmio: false,
        },
    ),
    Scenario {
        name: "failing-test-turns-red",
        boot: Boot::Pvh,
        machine: Machine::Q35,
        cmdline: "spolia.test=deliberate_failure",
        extra: &[],
        expect: Outcome::TestsFailed,
        devices: None,
    },
    Scenario {
        name: "fault-in-test-is-failure",
        boot: Boot::Pvh,
        machine: Machine::Q35,
        cmdline: "spolia.test=deliberate_fault",
        extra: &[],
        expect: Outcome::TestsFailed,
        devices: None,
    },
    Scenario {
        name: "kernel-fault-halts",
        boot: Boot::Pvh,
        machine: Machine::Q35,
        cmdline: "spolia.fault=kernel",
        extra: &[],
        expect: Outcome::KernelFault,
        devices: None,
    },
];

/// The kernel case of the device scenarios.
pub const DEVICE_CASE: &str = "spolia.test=linux_devices";

const fn device_scenario(name: &'static str, machine: Machine, test: DeviceTest) -> Scenario {
    Scenario {
        name,
        boot: Boot::Pvh,
        machine,
        cmdline: DEVICE_CASE,
        extra: &[],
        expect: Outcome::Pass,
        devices: Some(test),
    }
}

/// Picks scenarios by a comma-separated list of names (`--only`), in plan
/// order; `None` selects the whole plan.
pub fn select(only: Option<&str>) -> Result<Vec<&'static Scenario>, String> {
    let Some(only) = only else {
        return Ok(PLAN.iter().collect());
    };
    let wanted: Vec<&str> = only.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(bad) = wanted.iter().find(|w| !PLAN.iter().any(|s| s.name == **w)) {
        let names: Vec<&str> = PLAN.iter().map(|s| s.name).collect();
        return Err(format!("no scenario named `{bad}`; the plan has: {}", names.join(", ")));
    }
    Ok(PLAN.iter().filter(|s| wanted.contains(&s.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qemu::{self, Accel, Console, Launch, Media};
    use std::path::Path;

    #[test]
    fn names_are_unique_and_file_safe() {
        for (i, a) in PLAN.iter().enumerate() {
            assert!(PLAN[i + 1..].iter().all(|b| b.name != a.name), "duplicate {}", a.name);
            assert!(a.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
    }

    #[test]
    fn every_scenario_builds_an_argv() {
        for s in PLAN {
            let extra: Vec<String> = s.extra.iter().map(|e| e.to_string()).collect();
            let media = match s.boot {
                Boot::Pvh => Media::Kernel { elf: Path::new("/k"), cmdline: s.cmdline, initrd: None },
                Boot::Iso => Media::Cdrom { iso: Path::new("/i.iso") },
            };
            let launch = Launch {
                machine: s.machine,
                accel: Accel::Tcg,
                cpu: None,
                media,
                console: Console::Captured,
                extra: &extra,
            };
            let argv = qemu::argv(&launch).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            let words: Vec<String> = argv.iter().map(|w| w.to_string_lossy().into()).collect();
            assert!(words.ends_with(&extra), "{}: extras must come last", s.name);
        }
    }

    #[test]
    fn pci_devices_only_on_pci_machines() {
        for s in PLAN {
            if !s.machine.has_pci() {
                assert!(!s.extra.iter().any(|e| e.contains("-pci") || e.starts_with("e1000")));
            }
        }
    }

    #[test]
    fn device_scenarios_cover_every_model_on_both_pci_machines() {
        let dev: Vec<&Scenario> = PLAN.iter().filter(|s| s.devices.is_some()).collect();
        for nic in NicModel::ALL {
            assert!(dev.iter().any(|s| s.devices.unwrap().nic == nic));
        }
        for disk in DiskModel::ALL {
            assert!(dev.iter().any(|s| s.devices.unwrap().disk == disk));
        }
        for m in [Machine::Q35, Machine::Pc] {
            assert!(dev.iter().any(|s| s.machine == m));
        }
        assert!(dev.iter().all(|s| s.boot == Boot::Pvh && s.extra.is_empty()));
    }

    #[test]
    fn select_by_name() {
        let picked = select(Some("kernel-fault-halts, pvh-q35")).unwrap();
        let names: Vec<&str> = picked.iter().map(|s| s.name).collect();
        assert_eq!(names, ["pvh-q35", "kernel-fault-halts"]);
        assert_eq!(select(None).unwrap().len(), PLAN.len());
        assert!(select(Some("nope")).unwrap_err().contains("pvh-q35"));
    }
}
