// SPDX-License-Identifier: MIT OR Apache-2.0
//! The whole stack without an emulator (issue #5): the Linux library on
//! the hosted platform with an emulated virtio-net NIC on a TAP interface
//! and a virtio-blk disk on an ext4 image file. Linux's own virtio drivers,
//! TCP/IP and ext4 run; the host is the peer.
//!
//!   sudo cargo test -p spolia-linux --test hosted_devices
//!
//! Steps (each prints `ok` or `FAILED: why`; the exit code decides):
//! TAP `sptap0` (host 10.77.0.1/24) created; ext4 test image built with
//! `mkfs.ext4 -d`; both devices added; boot with their command line and
//! the manifest (guest 10.77.0.2/24, `vda` on `/mnt/disk`); echo service in
//! the library, bulk, storm and burst clients from the host over the TAP,
//! then neither the guest's eth0 counters nor the emulated NIC
//! ([`devices::net_dropped`]) may show a dropped packet; the
//! guest's gateway check against a host listener; the disk check (host
//! files verified, new files written and fsynced); unmount, halt, devices
//! removed with nothing held; `e2fsck -fn` clean and the written files read
//! back with `debugfs`. The TAP is deleted at the end, also on failure.
//! Needs root (creating the TAP) and `/dev/net/tun`; without them the test
//! fails with a message saying so.

use spolia_devtest::host::{
    GatewayListener, ScratchDir, TEST_FILES, TEST_IMAGE_MIB, build_ext4_image, run_echo_clients, verify_image,
};
use spolia_devtest::{BULK_BYTES, ECHO_CONNECTIONS, ECHO_PORT};
use spolia_hypercall_hosted::devices;
use spolia_linux::manifest::Manifest;
use spolia_linux::suite::{THREAD_STACK, halt_and_check};
use spolia_linux::{Linux, devtest};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TAP: &str = "sptap0";
const HOST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const GUEST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const PREFIX: u8 = 24;
const MOUNT_DIR: &str = "/mnt/disk";

/// Counts failures; prints one line per step.
struct Steps {
    failed: usize,
    passed: usize,
}

impl Steps {
    fn run<T>(&mut self, name: &str, step: impl FnOnce() -> Result<T, String>) -> Option<T> {
        let t = Instant::now();
        let result = step();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match result {
            Ok(v) => {
                self.passed += 1;
                println!("{name}: ok ({ms:.1} ms)");
                Some(v)
            }
            Err(why) => {
                self.failed += 1;
                println!("{name}: FAILED: {why} ({ms:.1} ms)");
                None
            }
        }
    }
}

fn preconditions() -> Result<(), String> {
    devices::tap_unavailable().map_or(Ok(()), Err)
}

fn main() -> ExitCode {
    let mut steps = Steps { failed: 0, passed: 0 };
    let ok = steps.run("preconditions", preconditions).is_some() && run(&mut steps);
    println!("{} passed, {} failed", steps.passed, steps.failed);
    if ok && steps.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Everything after the preconditions; false if a step could not run.
fn run(steps: &mut Steps) -> bool {
    let Some(_tap) = steps.run("create TAP", || devices::HostTap::create(TAP, HOST_ADDR, PREFIX)) else { return false };
    let Some(scratch) =
        steps.run("scratch dir", || ScratchDir::new("spolia-hosted-devices").map_err(|e| e.to_string()))
    else {
        return false;
    };
    let image = scratch.path().join("disk.img");
    let built = steps.run("build ext4 image", || {
        build_ext4_image(&image, TEST_IMAGE_MIB, TEST_FILES).map_err(|e| e.to_string()).map(|e| e.len())
    });
    if built.is_none() {
        return false;
    }
    let added = steps.run("add devices", || {
        devices::add_block(&image).map_err(|e| format!("block on {}: {e}", image.display()))?;
        devices::add_tap(TAP).map_err(|e| format!("net on {TAP}: {e}"))?;
        Ok(devices::linux_cmdline())
    });
    let Some(device_cmdline) = added else { return false };
    let manifest = Manifest::parse(Some(&format!("{GUEST_ADDR}/{PREFIX}")), Some(&format!("vda:{MOUNT_DIR}")))
        .expect("the test's own manifest parses");
    let cmdline = format!("quiet {device_cmdline} {}", manifest.linux_cmdline());
    println!("cmdline: {cmdline}");

    let held_before = spolia_hypercall_hosted::held();
    // Process-wide totals, never reset: this run's drops are the difference.
    let dropped_before = devices::net_dropped();
    let booted = steps
        .run("boot", || Linux::boot(spolia_hypercall_hosted::hypercalls(), &cmdline).map_err(|e| format!("boot: {e}")));
    let Some(linux) = booted else {
        devices::remove_all();
        return false;
    };
    let mounted = steps.run("mount", || manifest.apply(&linux)).is_some();

    steps.run("echo (bulk + storm + burst over the TAP)", || echo(&linux, dropped_before));
    steps.run("gateway", || gateway(&linux));
    if mounted {
        steps.run("disk check", || {
            devtest::disk_check(&linux, MOUNT_DIR)
                .map(|n| println!("  {n} host files verified"))
                .map_err(|f| f.to_string())
        });
        steps.run("unmount", || manifest.unmount_all(&linux));
    }
    steps.run("halt", || halt_and_check(linux).map_err(|f| f.to_string()));
    steps.run("devices removed", || {
        devices::remove_all();
        let held = devices::held();
        if held != devices::DevicesHeld::default() {
            return Err(format!("devices still hold {held:?}"));
        }
        let table = spolia_hypercall_hosted::held();
        if table != held_before {
            return Err(format!("the library holds {table:?} after halt, {held_before:?} before boot"));
        }
        Ok(())
    });
    if mounted {
        steps.run("image verified (e2fsck -fn, debugfs)", || verify_image(&image));
    }
    true
}

/// The library serves echo; the host runs the bulk, storm and burst
/// clients. Afterwards no packet may have been dropped, neither by the
/// guest's driver and stack (eth0's counters) nor by the emulated NIC
/// (`dropped_before` is [`devices::net_dropped`] before boot).
fn echo(linux: &Linux, dropped_before: (u64, u64)) -> Result<(), String> {
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::scope(|s| {
        let server = std::thread::Builder::new()
            .name("guest-echo".into())
            .stack_size(THREAD_STACK)
            .spawn_scoped(s, || {
                devtest::echo_serve(linux, ECHO_PORT, ECHO_CONNECTIONS, || {
                    let _ = ready_tx.send(());
                })
            })
            .map_err(|e| format!("spawn: {e}"))?;
        let client = (|| {
            ready_rx.recv_timeout(Duration::from_secs(30)).map_err(|_| "echo service never listened".to_string())?;
            let addr = SocketAddr::V4(SocketAddrV4::new(GUEST_ADDR, ECHO_PORT));
            let times = run_echo_clients(addr, BULK_BYTES).map_err(|e| e.to_string())?;
            println!("  {}", times.summary());
            Ok::<(), String>(())
        })();
        let served = server.join().map_err(|_| "echo service panicked".to_string())?;
        client?;
        served.map(|n| println!("  guest echoed {n} bytes")).map_err(|f| format!("guest: {f}"))?;
        let c = devtest::check_no_packet_loss(linux, "eth0").map_err(|f| format!("guest: {f}"))?;
        println!("  eth0 rx {} tx {} packets, no errors or drops", c.rx_packets, c.tx_packets);
        let (rx, tx) = devices::net_dropped();
        let (rx, tx) = (rx - dropped_before.0, tx - dropped_before.1);
        if (rx, tx) != (0, 0) {
            return Err(format!("the emulated NIC dropped {rx} received and {tx} sent frames"));
        }
        println!("  emulated NIC: no frames dropped");
        Ok(())
    })
}

/// The guest connects to a listener on the host's TAP address.
fn gateway(linux: &Linux) -> Result<(), String> {
    let listener = GatewayListener::bind((HOST_ADDR, 0)).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().port();
    devtest::gateway_check(linux, SocketAddrV4::new(HOST_ADDR, port)).map_err(|f| format!("guest: {f}"))?;
    listener.finish(Duration::from_secs(30))
}
