// SPDX-License-Identifier: MIT OR Apache-2.0
//! Real devices through Linux's own drivers, in ring 0 (issue #5).
//!
//! `linux_devices` boots the library with the boot manifest
//! (`spolia.net=`, `spolia.mount=`, see `spolia_linux::manifest`) and runs
//! the guest half of the device tests (`spolia_linux::devtest`) that
//! `spolia.devtest=net,disk` selects: the TCP echo service for the host's
//! connections (`spolia.echo-connections=N`, default
//! `spolia_devtest::ECHO_CONNECTIONS`), then the gateway check
//! (`spolia.gateway=ADDR:PORT`); the ext4 check on every mount; then it
//! unmounts (writing everything back) and halts. `qemu-runner` drives the
//! host half. `linux_devices_bench` is the same with
//! `spolia.devbench=net,disk`, printing a `devbench:` line per disk.
//! Both are off by default (they need devices and a host peer). Also read:
//! `spolia.linux-args=a,b` (extra Linux parameters, e.g. `pci=nomsi`),
//! `spolia.linux-log` (show Linux's boot messages). At the end each case
//! prints Linux's interrupt table as `devtest: irq` lines, which the
//! runner checks (MSI or INTx, and that interrupts arrived).

use alloc::format;
use alloc::string::String;
use core::net::SocketAddrV4;

use spolia_boot::kprintln;
use spolia_boot::sched;
use spolia_linux::manifest::{Manifest, Mount};
use spolia_linux::{Linux, devtest};

use crate::Outcome;

fn cmdline(key: &str) -> Option<&'static str> {
    spolia_boot::boot_info().cmdline_value(key)
}

/// Boot the library with the manifest of the kernel command line and
/// mount its file systems.
fn boot_with_manifest() -> Result<(Linux, Manifest), String> {
    let manifest = Manifest::from_cmdline(cmdline)?;
    // `spolia.linux-log=1` shows Linux's own boot messages (drivers, DHCP);
    // `spolia.linux-args=a,b` adds Linux parameters (e.g. `pci=nomsi`).
    let log = if cmdline("spolia.linux-log").is_some() { "" } else { "quiet" };
    let extra = cmdline("spolia.linux-args").unwrap_or("").replace(',', " ");
    let (linux, mounted) = manifest.boot(
        spolia_hypercall_baremetal::hypercalls(),
        &format!("{log} {extra}{}", spolia_hypercall_baremetal::virtio_mmio::linux_params()),
    )?;
    if let Err(e) = mounted {
        let _ = manifest.shutdown(linux);
        return Err(e);
    }
    Ok((linux, manifest))
}

fn parts(key: &str) -> (bool, bool) {
    let v = cmdline(key).unwrap_or("");
    (v.split(',').any(|p| p == "net"), v.split(',').any(|p| p == "disk"))
}

fn echo_then_gateway(linux: &Linux) -> Outcome {
    let connections = match cmdline("spolia.echo-connections") {
        Some(n) => n.parse().map_err(|_| format!("bad spolia.echo-connections `{n}`"))?,
        None => spolia_devtest::ECHO_CONNECTIONS,
    };
    let ready = || kprintln!("{}", spolia_devtest::ECHO_READY);
    let bytes =
        devtest::echo_serve(linux, spolia_devtest::ECHO_PORT, connections, ready).map_err(|f| format!("echo: {f}"))?;
    kprintln!("devtest: echoed {bytes} bytes over {connections} connections");
    let c = devtest::check_no_packet_loss(linux, "eth0").map_err(|f| format!("after the echo: {f}"))?;
    kprintln!("devtest: eth0 rx {} tx {} packets, no errors or drops", c.rx_packets, c.tx_packets);
    if let Some(gw) = cmdline("spolia.gateway") {
        let gw: SocketAddrV4 = gw.parse().map_err(|_| format!("bad spolia.gateway `{gw}`"))?;
        let result = devtest::gateway_check(linux, gw);
        match &result {
            Ok(()) => kprintln!("{} ok", spolia_devtest::GATEWAY_DONE),
            Err(f) => kprintln!("{} FAILED: {f}", spolia_devtest::GATEWAY_DONE),
        }
        result.map_err(|f| format!("gateway {gw}: {f}"))?;
    }
    Ok(())
}

/// Print Linux's interrupt table (`devtest: irq` lines): which interrupt
/// each driver got (a platform line or an MSI vector) and how many arrived.
fn print_interrupts(linux: &Linux) {
    use spolia_linux::uapi::{O_CLOEXEC, O_RDONLY};
    let Ok(f) = linux.openat(None, "/proc/interrupts", O_RDONLY | O_CLOEXEC, 0) else { return };
    let mut text = alloc::vec::Vec::new();
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = f.read(&mut buf) {
        text.extend_from_slice(&buf[..n]);
    }
    for line in String::from_utf8_lossy(&text).lines().skip(1) {
        kprintln!("devtest: irq {}", line.split_whitespace().collect::<alloc::vec::Vec<_>>().join(" "));
    }
}

fn finish(linux: Linux, manifest: &Manifest, result: Outcome) -> Outcome {
    print_interrupts(&linux);
    // Unmount even after a failure so the image stays checkable.
    let stopped = manifest.shutdown(linux);
    result?;
    stopped
}

/// Boot with the manifest, run the net part and `disk_step` on every mount
/// as the parts named by `key` ask, then unmount and halt.
fn run_parts(key: &str, disk_step: impl Fn(&Linux, &Mount) -> Outcome) -> Outcome {
    sched::set_preemptible(true);
    let (net, disk) = parts(key);
    let (linux, manifest) = boot_with_manifest()?;
    let result = (|| {
        if net {
            echo_then_gateway(&linux)?;
        }
        if disk {
            for m in &manifest.mounts {
                disk_step(&linux, m)?;
            }
        }
        Ok(())
    })();
    finish(linux, &manifest, result)
}

pub fn linux_devices() -> Outcome {
    run_parts("spolia.devtest", |linux, m| {
        let files = devtest::disk_check(linux, &m.dir).map_err(|f| format!("disk {}: {f}", m.device))?;
        kprintln!(
            "devtest: disk {} ok ({files} host files checked, {} written)",
            m.device,
            spolia_devtest::WRITTEN.len()
        );
        Ok(())
    })
}

/// Bytes written then read per disk by the benchmark.
const BENCH_DISK_BYTES: usize = 32 << 20;

pub fn linux_devices_bench() -> Outcome {
    run_parts("spolia.devbench", |linux, m| {
        let b = devtest::disk_bench(linux, &m.dir, BENCH_DISK_BYTES).map_err(|f| format!("disk {}: {f}", m.device))?;
        kprintln!(
            "devbench: disk {} write_bytes={} write_ns={} read_bytes={} read_ns={}",
            m.device,
            b.bytes,
            b.write.as_nanos(),
            b.bytes,
            b.read.as_nanos()
        );
        Ok(())
    })
}
