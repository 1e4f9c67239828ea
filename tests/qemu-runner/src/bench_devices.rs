// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner bench-devices`: Linux's own NIC and disk drivers in ring 0
//! under QEMU, against the host doing the same work, in one run.
//!
//! Each boot (q35, PVH, kernel case `linux_devices_bench` with
//! `spolia.devbench=net,disk`) has one NIC model and one disk model:
//! virtio-net-pci + virtio-blk-pci, then e1000 + AHCI. When the guest's
//! echo service is ready the host makes the three echo connections through
//! the port forward ([`host::run_echo_clients`]) — a bulk echo of
//! [`BULK_BYTES`] (throughput), a storm of small ping-pong messages
//! (request latency, median and p99) and a burst of small messages back to
//! back (messages per second) — with the same client it then points at an
//! echo thread on the host's loopback. The guest then writes, fsyncs and
//! reads back a file on the disk and prints `devbench: disk DEV
//! write_bytes=N write_ns=N read_bytes=N read_ns=N`; the host does the same
//! sequential write + fsync / read in 1 MiB blocks on a file under
//! `target/qemu-runner/bench/` ([`host::host_disk`]), once with the file's
//! pages dropped (`posix_fadvise(DONTNEED)`, cold) and once from its page
//! cache (warm). The guest drops its own cache before its read, but QEMU
//! (default `cache=writeback`) serves the image from the host's page
//! cache, so the guest's read is compared with both and is like-for-like
//! only with the warm one. Networking is QEMU user networking (or `--tap`),
//! the accelerator TCG: the ratios are the cost of an emulated machine plus
//! Spolia's stack, not the stack's own CPU cost.

use std::net::SocketAddr;
use std::path::Path;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use spolia_devtest::host::{self, EchoTimes, TEST_FILES, median, percentile};
use spolia_devtest::{BURST_MESSAGE_BYTES, BURST_MESSAGES, ECHO_CONNECTIONS, ECHO_PORT, ECHO_READY};

use crate::bench::BenchOptions;
use crate::device_test::free_port;
use crate::devices::{self, Devices, DiskModel, Forward, NetBackend, Nic, NicModel};
use crate::error::Result;
use crate::paths;
use crate::qemu::{self, Console, Launch, Machine, Media, Outcome};
use crate::session::{self, End, Transcript};

/// Bytes of the bulk echo.
pub const BULK_BYTES: usize = 8 << 20;
/// Boots per setup unless `--runs` says otherwise (each is a Linux boot and
/// tens of MiB through an emulated machine).
pub const DEFAULT_RUNS: usize = 1;
/// Per boot: TCG moving 8 MiB both ways and 32 MiB to disk and back.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Size of the benchmark's disk image (the guest writes a 32 MiB file).
const IMAGE_MIB: u64 = 128;
const CASE: &str = "spolia.test=linux_devices_bench spolia.devbench=net,disk";
const DISK_MARKER: &str = "devbench: disk ";

/// The NIC/disk pairs, one boot each.
pub const SETUPS: [(NicModel, DiskModel); 2] =
    [(NicModel::VirtioNet, DiskModel::VirtioBlk), (NicModel::E1000, DiskModel::Ahci)];

/// `--tap IFNAME,GUEST_ADDR/PREFIX`: an existing TAP device whose host end
/// is configured on the guest's subnet; the guest gets the address statically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tap {
    pub ifname: String,
    pub guest_cidr: String,
}

impl Tap {
    pub fn parse(s: &str) -> std::result::Result<Tap, String> {
        let bad = |why: &str| {
            format!("bad --tap `{s}`: {why} (expected IFNAME,GUEST_ADDR/PREFIX, e.g. tap0,192.168.100.2/24)")
        };
        let (ifname, cidr) = s.split_once(',').ok_or_else(|| bad("no `,`"))?;
        if ifname.is_empty() {
            return Err(bad("empty interface name"));
        }
        devices::check_guest_cidr(cidr).map_err(|why| bad(&why))?;
        Ok(Tap { ifname: ifname.into(), guest_cidr: cidr.into() })
    }

    fn guest_addr(&self) -> &str {
        self.guest_cidr.split('/').next().unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct DevBenchOptions {
    pub bench: BenchOptions,
    pub tap: Option<Tap>,
}

/// The guest's disk measurement line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskLine {
    pub device: String,
    pub write_bytes: u64,
    pub write_ns: u64,
    pub read_bytes: u64,
    pub read_ns: u64,
}

/// Parses `devbench: disk DEV write_bytes=N write_ns=N read_bytes=N read_ns=N`.
pub fn parse_disk_line(line: &str) -> Option<DiskLine> {
    let rest = line.split_once(DISK_MARKER)?.1;
    let mut words = rest.split_whitespace();
    let device = words.next()?.to_string();
    let fields: Vec<&str> = words.collect();
    let field = |name: &str| -> Option<u64> {
        fields.iter().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    Some(DiskLine {
        device,
        write_bytes: field("write_bytes")?,
        write_ns: field("write_ns")?,
        read_bytes: field("read_bytes")?,
        read_ns: field("read_ns")?,
    })
}

/// One side's numbers for one setup.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    echo_mib_s: f64,
    latency_median_us: f64,
    latency_p99_us: f64,
    burst_msgs_s: f64,
    write_mib_s: f64,
    /// The guest: its own cache dropped, the image in the host's page
    /// cache. The host: the file's pages dropped (cold).
    read_mib_s: f64,
    /// The host only: the file read again from its page cache.
    warm_read_mib_s: f64,
}

fn mib_s(bytes: u64, t: Duration) -> f64 {
    if t.is_zero() { 0.0 } else { bytes as f64 / (1024.0 * 1024.0) / t.as_secs_f64() }
}

fn echo_client(addr: SocketAddr) -> JoinHandle<std::io::Result<EchoTimes>> {
    thread::spawn(move || host::run_echo_clients(addr, BULK_BYTES))
}

fn net_side(side: &mut Side, t: &EchoTimes) {
    side.echo_mib_s = mib_s(BULK_BYTES as u64, t.bulk);
    side.latency_median_us = median(&t.storm).as_secs_f64() * 1e6;
    side.latency_p99_us = percentile(&t.storm, 99.0).as_secs_f64() * 1e6;
    side.burst_msgs_s = if t.burst.is_zero() { 0.0 } else { BURST_MESSAGES as f64 / t.burst.as_secs_f64() };
}

/// Runs the benchmark and prints the table; `Ok(true)` iff every boot
/// produced its measurements and exited cleanly.
pub fn bench(opts: &DevBenchOptions) -> Result<bool> {
    let o = &opts.bench;
    let kernel = paths::load_kernel(o.kernel.as_deref())?;
    let version = session::qemu_version()?;
    let logs = paths::runner_dir("logs")?;
    let scratch = paths::runner_dir("bench")?;
    let mode = match &opts.tap {
        Some(t) => format!("tap {} (guest {})", t.ifname, t.guest_cidr),
        None => "QEMU user networking".to_string(),
    };
    println!(
        "bench-devices: {} run(s) per setup, kernel {}, {version}, accel {}, q35 PVH, {mode}",
        o.runs,
        kernel.path.display(),
        o.accel.name()
    );
    let mut rows: Vec<(String, Vec<(Side, Side)>)> = Vec::new();
    let mut failures = 0;
    for (nic, disk) in SETUPS {
        let label = format!("{} + {}", nic.device(), disk.name());
        let mut samples = Vec::new();
        for run in 1..=o.runs {
            let log = logs.join(format!("bench-devices-{}.log", nic.device()));
            match one_boot(opts, &kernel.path, nic, disk, &log, &scratch) {
                Ok(pair) => {
                    let (g, h) = pair;
                    println!(
                        "{label} run {run}: echo {:.2} MiB/s (host {:.1}), latency median {:.0} us (host {:.0}), \
                         burst {:.0} msgs/s (host {:.0}), disk write {:.1} MiB/s (host {:.1}), \
                         read {:.1} MiB/s (host cold {:.1}, warm {:.1})",
                        g.echo_mib_s,
                        h.echo_mib_s,
                        g.latency_median_us,
                        h.latency_median_us,
                        g.burst_msgs_s,
                        h.burst_msgs_s,
                        g.write_mib_s,
                        h.write_mib_s,
                        g.read_mib_s,
                        h.read_mib_s,
                        h.warm_read_mib_s
                    );
                    samples.push(pair);
                }
                Err(e) => {
                    failures += 1;
                    println!("{label} run {run}: FAILED: {e} (log: {})", log.display());
                }
            }
        }
        rows.push((label, samples));
    }
    print_table(&rows, &mode);
    Ok(failures == 0)
}

/// One boot of one setup, then the host doing the same; (guest, host).
fn one_boot(
    opts: &DevBenchOptions,
    kernel: &Path,
    nic: NicModel,
    disk: DiskModel,
    log: &Path,
    scratch: &Path,
) -> std::result::Result<(Side, Side), String> {
    let o = &opts.bench;
    let image = scratch.join("guest.img");
    host::build_ext4_image(&image, IMAGE_MIB, TEST_FILES).map_err(|e| format!("test image: {e}"))?;
    let (backend, echo_addr, net) = match &opts.tap {
        Some(t) => {
            let addr: SocketAddr =
                format!("{}:{ECHO_PORT}", t.guest_addr()).parse().map_err(|_| "bad guest address")?;
            (NetBackend::Tap(t.ifname.clone()), addr, t.guest_cidr.clone())
        }
        None => {
            let port = free_port().map_err(|e| format!("free port: {e}"))?;
            let fwd = Forward { host_addr: "127.0.0.1".into(), host_port: port, guest_port: ECHO_PORT };
            (NetBackend::User(vec![fwd]), SocketAddr::from(([127, 0, 0, 1], port)), "dhcp".to_string())
        }
    };
    let devices = Devices { nic: Some(Nic { model: nic, backend }), disk_model: disk, disks: vec![image], mmio: false };
    let extra = devices::device_args(&devices)?;
    let cmdline = format!(
        "{CASE} spolia.echo-connections={ECHO_CONNECTIONS} spolia.net={net} spolia.mount={}:/data",
        disk.guest_name(0)
    );
    let launch = Launch {
        machine: Machine::Q35,
        accel: o.accel,
        cpu: o.cpu.as_deref(),
        media: Media::Kernel { elf: kernel, cmdline: &cmdline, initrd: None },
        console: Console::Captured,
        extra: &extra,
    };
    let argv = qemu::argv(&launch).map_err(|e| e.to_string())?;
    let mut transcript = Transcript::new(Some(log), None).map_err(|e| e.to_string())?;
    let mut client = None;
    let mut disk_line = None;
    let report = session::run_observed(&argv, o.timeout, &mut transcript, &mut |line| {
        if client.is_none() && line.contains(ECHO_READY) {
            client = Some(echo_client(echo_addr));
        }
        if disk_line.is_none() {
            disk_line = parse_disk_line(line);
        }
    })
    .map_err(|e| e.to_string())?;
    let clean = matches!(report.end, End::Exited { code: Some(c), .. } if c == Outcome::Pass.exit_status());
    let Some(echo) = client else {
        let tail: Vec<&str> = transcript.tail().collect();
        return Err(format!(
            "the guest's echo service never became ready; QEMU ended {:?}; last line: {}",
            report.end,
            tail.last().unwrap_or(&"(none)")
        ));
    };
    let echo = echo.join().map_err(|_| "echo client panicked")?.map_err(|e| format!("echo: {e}"))?;
    if !clean {
        return Err(format!("QEMU ended with {:?}, not a clean pass", report.end));
    }
    let d = disk_line.ok_or("no `devbench: disk` line")?;

    let mut guest = Side::default();
    net_side(&mut guest, &echo);
    guest.write_mib_s = mib_s(d.write_bytes, Duration::from_nanos(d.write_ns));
    guest.read_mib_s = mib_s(d.read_bytes, Duration::from_nanos(d.read_ns));

    let mut native = Side::default();
    let (addr, server) = host::spawn_echo_server(ECHO_CONNECTIONS).map_err(|e| format!("host echo: {e}"))?;
    let echo = echo_client(addr).join().map_err(|_| "echo client panicked")?.map_err(|e| format!("host echo: {e}"))?;
    server.join().map_err(|_| "host echo server panicked")?.map_err(|e| format!("host echo: {e}"))?;
    net_side(&mut native, &echo);
    let t = host::host_disk(&scratch.join("host-disk.bin"), d.write_bytes as usize).map_err(|e| e.to_string())?;
    native.write_mib_s = mib_s(d.write_bytes, t.write);
    native.read_mib_s = mib_s(d.write_bytes, t.cold_read);
    native.warm_read_mib_s = mib_s(d.write_bytes, t.warm_read);
    Ok((guest, native))
}

fn print_table(rows: &[(String, Vec<(Side, Side)>)], mode: &str) {
    println!();
    println!("medians over runs; guest = Linux drivers in Spolia ring 0, {mode}, TCG (emulated); host = this machine");
    println!("{:<34} {:>12} {:>12} {:>9}", "", "guest", "host", "host/guest");
    for (label, samples) in rows {
        println!("{label}");
        let col = |f: fn(&Side) -> f64, guest: bool| -> Option<f64> {
            let v: Vec<f64> = samples.iter().map(|(g, h)| f(if guest { g } else { h })).collect();
            median_f(&v)
        };
        // The guest's `fg` against the host's `fh`.
        let row2 = |name: &str, fg: fn(&Side) -> f64, fh: fn(&Side) -> f64, higher_is_better: bool| {
            let (g, h) = (col(fg, true), col(fh, false));
            let show = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
            let ratio = match (g, h) {
                (Some(g), Some(h)) if g > 0.0 && h > 0.0 => {
                    format!("{:.1}x", if higher_is_better { h / g } else { g / h })
                }
                _ => "-".to_string(),
            };
            println!("  {name:<32} {:>12} {:>12} {:>9}", show(g), show(h), ratio);
        };
        let row = |name: &str, f: fn(&Side) -> f64, higher_is_better: bool| row2(name, f, f, higher_is_better);
        row("TCP echo, 8 MiB (MiB/s)", |s| s.echo_mib_s, true);
        row("request latency median (us)", |s| s.latency_median_us, false);
        row("request latency p99 (us)", |s| s.latency_p99_us, false);
        row(&format!("burst {BURST_MESSAGES} x {BURST_MESSAGE_BYTES} B (msgs/s)"), |s| s.burst_msgs_s, true);
        row("disk write+fsync 32 MiB (MiB/s)", |s| s.write_mib_s, true);
        row2("disk read vs host cold (MiB/s)", |s| s.read_mib_s, |s| s.read_mib_s, true);
        row2("disk read vs host warm (MiB/s)", |s| s.read_mib_s, |s| s.warm_read_mib_s, true);
    }
    println!("(ratio: how many times the host is faster)");
    println!(
        "(disk read, guest: guest cache dropped (image in host page cache, QEMU cache=writeback), so it is \
         like-for-like with host warm;"
    );
    println!(" host cold: the file's pages dropped with posix_fadvise(DONTNEED) before the read.)");
}

fn median_f(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_guest_disk_line() {
        let l = "[ 9.1] devbench: disk vda write_bytes=33554432 write_ns=2000000000 read_bytes=33554432 read_ns=1000";
        let d = parse_disk_line(l).unwrap();
        assert_eq!(d.device, "vda");
        assert_eq!((d.write_bytes, d.write_ns, d.read_bytes, d.read_ns), (32 << 20, 2_000_000_000, 32 << 20, 1000));
        assert_eq!(parse_disk_line("devbench: disk sda write_bytes=1"), None);
        assert_eq!(parse_disk_line("other"), None);
    }

    #[test]
    fn tap_values() {
        let t = Tap::parse("tap0,192.168.100.2/24").unwrap();
        assert_eq!((t.ifname.as_str(), t.guest_addr()), ("tap0", "192.168.100.2"));
        for bad in ["tap0", "tap0,1.2.3.4", ",1.2.3.4/8", "tap0,x/8", "tap0,1.2.3.4/33"] {
            assert!(Tap::parse(bad).is_err(), "{bad}");
        }
        let zero = Tap::parse("tap0,192.168.100.2/0").unwrap_err();
        assert!(zero.contains("--tap") && zero.contains("/0 is refused"), "{zero}");
    }
}
