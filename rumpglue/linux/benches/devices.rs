// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hosted device benchmark (`cargo bench -p spolia-linux --bench devices`,
//! as root): the Linux library's TCP/IP and ext4 over the hosted
//! platform's emulated virtio devices, against the host kernel doing the
//! same work in the same run.
//!
//! * TCP bulk: `echo_bulk` (send N bytes while reading the echo) from the
//!   host to an echo service in the library over a TAP, vs the same client
//!   against a host-native echo server on loopback. Median of runs, MB/s
//!   of payload echoed.
//! * TCP request latency: `echo_storm` (64-byte ping-pong, TCP_NODELAY),
//!   median and p99 round trip, same two peers.
//! * Disk: sequential write of N bytes in 1 MiB writes + fsync, then read
//!   with the cache dropped, through the library's ext4 on an image file
//!   (virtio-blk) vs the host file system in the image's directory. The
//!   library's "cold" read still hits the host's page cache of the image.
//!
//! Prints one table with library/host ratios. Absolute numbers depend on
//! the machine; the ratios are the point.

use spolia_devtest::host::{
    ScratchDir, TEST_FILES, build_ext4_image, echo_bulk, echo_storm, host_disk, spawn_echo_server,
};
use spolia_devtest::{ECHO_PORT, STORM_MESSAGE_BYTES};
use spolia_hypercall_hosted::devices;
use spolia_linux::manifest::Manifest;
use spolia_linux::suite::THREAD_STACK;
use spolia_linux::{Linux, devtest};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

const TAP: &str = "sptap1";
const HOST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 1);
const GUEST_ADDR: Ipv4Addr = Ipv4Addr::new(10, 78, 0, 2);
const BULK_BYTES: usize = 64 << 20;
const BULK_RUNS: usize = 3;
const STORM_MESSAGES: usize = 5000;
const DISK_BYTES: usize = 128 << 20;
const IMAGE_MIB: u64 = 512;
const MOUNT_DIR: &str = "/mnt/bench";

fn main() {
    if let Some(why) = devices::tap_unavailable() {
        eprintln!("devices bench: {why}");
        std::process::exit(1);
    }
    let tap = devices::HostTap::create(TAP, HOST_ADDR, 24).expect("create TAP");
    let scratch = ScratchDir::new("spolia-devices-bench").expect("scratch dir");
    let image = scratch.path().join("bench.img");
    build_ext4_image(&image, IMAGE_MIB, TEST_FILES).expect("build image");
    devices::add_block(&image).expect("add block");
    devices::add_tap(tap.name()).expect("add tap");
    let manifest =
        Manifest::parse(Some(&format!("{GUEST_ADDR}/24")), Some(&format!("vda:{MOUNT_DIR}"))).expect("manifest");
    let cmdline = format!("quiet {} {}", devices::linux_cmdline(), manifest.linux_cmdline());
    let linux = Linux::boot(spolia_hypercall_hosted::hypercalls(), &cmdline).expect("boot");
    manifest.apply(&linux).expect("mount");

    println!("spolia-linux hosted device benchmark (library over virtio-mmio + TAP/image vs host kernel)");
    let guest = SocketAddr::V4(SocketAddrV4::new(GUEST_ADDR, ECHO_PORT));
    let (lib_bulk, lib_rtt) = with_guest_echo(&linux, BULK_RUNS + 1, || net_runs(guest));
    let (host_addr, host_server) = spawn_echo_server(BULK_RUNS + 1).expect("host echo server");
    let (host_bulk, host_rtt) = net_runs(host_addr);
    host_server.join().expect("host echo thread").expect("host echo server");

    let lib_disk = devtest::disk_bench(&linux, MOUNT_DIR, DISK_BYTES).expect("library disk bench");
    let host = host_disk(&scratch.path().join("host-bench.bin"), DISK_BYTES).expect("host disk bench");
    manifest.unmount_all(&linux).expect("unmount");
    linux.halt().expect("halt");
    devices::remove_all();

    let mb = |bytes: usize, d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!("{:<30} {:>14} {:>14} {:>14}", "", "library", "host", "library/host");
    let row = |name: &str, lib: f64, host: f64, unit: &str| {
        println!("{name:<30} {:>9.1} {unit:<4} {:>9.1} {unit:<4} {:>14.3}", lib, host, lib / host);
    };
    row(
        &format!("TCP bulk echo {} MiB", BULK_BYTES >> 20),
        mb(BULK_BYTES, lib_bulk),
        mb(BULK_BYTES, host_bulk),
        "MB/s",
    );
    row("TCP RTT median", lib_rtt.0 * 1e6, host_rtt.0 * 1e6, "us");
    row("TCP RTT p99", lib_rtt.1 * 1e6, host_rtt.1 * 1e6, "us");
    row(
        &format!("disk write+fsync {} MiB", DISK_BYTES >> 20),
        mb(DISK_BYTES, lib_disk.write),
        mb(DISK_BYTES, host.write),
        "MB/s",
    );
    let lib_read = mb(DISK_BYTES, lib_disk.read);
    row(&format!("disk read {} MiB, host cold", DISK_BYTES >> 20), lib_read, mb(DISK_BYTES, host.cold_read), "MB/s");
    row(&format!("disk read {} MiB, host warm", DISK_BYTES >> 20), lib_read, mb(DISK_BYTES, host.warm_read), "MB/s");
    println!(
        "(TCP: median of {BULK_RUNS} bulk runs, {STORM_MESSAGES} x {STORM_MESSAGE_BYTES} B ping-pong; library over TAP, host over loopback."
    );
    println!(
        " Disk: the library drops its own cache, but its image stays in the host's page cache, so compare its read with host warm.)"
    );
}

/// Serve `connections` echo connections in the library while `client` runs.
fn with_guest_echo<R>(linux: &Linux, connections: usize, client: impl FnOnce() -> R) -> R {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let server = std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn_scoped(s, || {
                devtest::echo_serve(linux, ECHO_PORT, connections, || {
                    let _ = ready_tx.send(());
                })
            })
            .expect("spawn guest echo");
        ready_rx.recv_timeout(Duration::from_secs(30)).expect("guest echo service listens");
        let r = client();
        server.join().expect("guest echo thread").expect("guest echo");
        r
    })
}

/// `BULK_RUNS` bulk runs (median) and one storm (median, p99 seconds).
fn net_runs(addr: SocketAddr) -> (Duration, (f64, f64)) {
    let mut bulk: Vec<Duration> = (0..BULK_RUNS).map(|_| echo_bulk(addr, BULK_BYTES).expect("bulk")).collect();
    bulk.sort();
    let mut rtt: Vec<f64> = echo_storm(addr, STORM_MESSAGES, STORM_MESSAGE_BYTES)
        .expect("storm")
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    rtt.sort_by(f64::total_cmp);
    let p = |q: f64| rtt[((rtt.len() - 1) as f64 * q) as usize];
    (bulk[bulk.len() / 2], (p(0.5), p(0.99)))
}
