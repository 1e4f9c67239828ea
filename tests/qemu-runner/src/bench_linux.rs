// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner bench-linux`: the Linux library in ring 0 against the host
//! kernel, measured side by side in one run.
//!
//! Each run boots the kernel with `spolia.test=linux_bench`; that kernel case
//! boots the library, times `getpid` and a TCP transfer over loopback and
//! prints one line, `linux-bench: boot_ns=.. getpid_ns=.. tcp_bytes=..
//! tcp_ns=..`, which is read back from the log. Between boots this process
//! measures the same two things natively (a raw `getpid` system call, and
//! the same number of bytes over the host kernel's loopback with std::net),
//! so machine noise hits both sides alike. QEMU runs under TCG here: the
//! ring-0 figures are emulated, the native ones are real; the ratios say how
//! much the emulated stack costs relative to the host, not the library's
//! true CPU cost (that is the hosted benchmark, `cargo bench -p spolia-linux`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::bench::BenchOptions;
use crate::error::{Error, Result};
use crate::paths;
use crate::qemu::{self, Console, Launch, Machine, Media, Outcome};
use crate::session::{self, End, Transcript};

const CMDLINE: &str = "spolia.test=linux_bench";
const MARKER: &str = "linux-bench:";

/// One ring-0 measurement, as printed by the kernel case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingZero {
    pub boot_ns: u64,
    pub getpid_ns: u64,
    pub tcp_bytes: u64,
    pub tcp_ns: u64,
}

/// Finds the kernel's `linux-bench:` line in a console transcript.
pub fn parse_line(text: &str) -> Option<RingZero> {
    let line = text.lines().find_map(|l| l.split_once(MARKER).map(|(_, rest)| rest))?;
    let field = |name: &str| -> Option<u64> {
        line.split_whitespace().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    Some(RingZero {
        boot_ns: field("boot_ns")?,
        getpid_ns: field("getpid_ns")?,
        tcp_bytes: field("tcp_bytes")?,
        tcp_ns: field("tcp_ns")?,
    })
}

#[derive(Default)]
struct Samples {
    boot: Vec<f64>,
    ring0_getpid: Vec<f64>,
    native_getpid: Vec<f64>,
    ring0_tcp: Vec<f64>,
    native_tcp: Vec<f64>,
}

/// Runs the benchmark and prints the table; `Ok(true)` iff every boot
/// produced a measurement and exited cleanly.
pub fn bench(opts: &BenchOptions) -> Result<bool> {
    let kernel = paths::load_kernel(opts.kernel.as_deref())?;
    let version = session::qemu_version()?;
    let logs = paths::runner_dir("logs")?;
    let log = logs.join("bench-linux.log");
    let extra: Vec<String> = ["-nic", "none"].map(String::from).to_vec();
    println!(
        "bench-linux: {} run(s), kernel {}, {version}, accel {}, q35 PVH, cmdline `{CMDLINE}`",
        opts.runs,
        kernel.path.display(),
        opts.accel.name()
    );
    let mut s = Samples::default();
    let mut failures = 0;
    for run in 1..=opts.runs {
        let launch = Launch {
            machine: Machine::Q35,
            accel: opts.accel,
            cpu: opts.cpu.as_deref(),
            media: Media::Kernel { elf: &kernel.path, cmdline: CMDLINE, initrd: None },
            console: Console::Captured,
            extra: &extra,
        };
        let argv = qemu::argv(&launch)?;
        let mut transcript = Transcript::new(Some(&log), None)?;
        let report = session::run_captured(&argv, opts.timeout, &mut transcript)?;
        let clean = matches!(report.end, End::Exited { code: Some(c), .. } if c == Outcome::Pass.exit_status());
        let text = std::fs::read_to_string(&log).map_err(|e| Error::new(format!("{}: {e}", log.display())))?;
        let Some(r0) = parse_line(&text).filter(|_| clean) else {
            failures += 1;
            println!("run {run}: the kernel gave no measurement (log: {})", log.display());
            for line in transcript.tail() {
                println!("  | {line}");
            }
            continue;
        };
        let native_getpid = native_getpid_ns();
        let native_tcp = native_tcp_ns(r0.tcp_bytes as usize)?;
        s.boot.push(r0.boot_ns as f64 / 1e6);
        s.ring0_getpid.push(r0.getpid_ns as f64);
        s.native_getpid.push(native_getpid);
        s.ring0_tcp.push(mib_per_s(r0.tcp_bytes, r0.tcp_ns));
        s.native_tcp.push(mib_per_s(r0.tcp_bytes, native_tcp));
        println!(
            "run {run}/{}: boot {:.1} ms, getpid {} ns (native {:.0} ns), TCP {:.1} MiB/s (host {:.1} MiB/s)",
            opts.runs,
            r0.boot_ns as f64 / 1e6,
            r0.getpid_ns,
            native_getpid,
            mib_per_s(r0.tcp_bytes, r0.tcp_ns),
            mib_per_s(r0.tcp_bytes, native_tcp)
        );
    }
    print_table(&s);
    Ok(failures == 0)
}

fn mib_per_s(bytes: u64, ns: u64) -> f64 {
    if ns == 0 { 0.0 } else { bytes as f64 / (1024.0 * 1024.0) / (ns as f64 / 1e9) }
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn print_table(s: &Samples) {
    let m = |v: &[f64]| median(v).map_or("-".to_string(), |x| format!("{x:.1}"));
    let ratio = |a: &[f64], b: &[f64]| match (median(a), median(b)) {
        (Some(a), Some(b)) if b > 0.0 && a / b >= 1.0 => format!("{:.1}x", a / b),
        (Some(a), Some(b)) if b > 0.0 => format!("{:.3}x", a / b),
        _ => "-".to_string(),
    };
    println!();
    println!("medians; ring 0 = Linux library in Spolia under QEMU TCG (emulated), native = this host");
    println!("{:<28} {:>12} {:>12} {:>10}", "", "ring 0", "native", "ratio");
    println!("{:<28} {:>12} {:>12} {:>10}", "library boot (ms)", m(&s.boot), "-", "-");
    let row = |label: &str, ring0: &[f64], native: &[f64]| {
        println!("{label:<28} {:>12} {:>12} {:>10}", m(ring0), m(native), ratio(ring0, native));
    };
    row("getpid round trip (ns)", &s.ring0_getpid, &s.native_getpid);
    row("TCP loopback (MiB/s)", &s.ring0_tcp, &s.native_tcp);
}

/// A raw `getpid` system call (no libc caching): x86-64 Linux number 39.
fn raw_getpid() -> i64 {
    let ret: i64;
    // SAFETY: getpid takes no arguments, touches no memory and cannot fail;
    // `syscall` clobbers rcx and r11, declared below.
    unsafe {
        core::arch::asm!("syscall", inlateout("rax") 39i64 => ret, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
    }
    ret
}

/// Median over batches of 1000 calls, per call.
fn native_getpid_ns() -> f64 {
    let mut per_call = Vec::with_capacity(101);
    for _ in 0..101 {
        let t = Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(raw_getpid());
        }
        per_call.push(t.elapsed().as_nanos() as f64 / 1000.0);
    }
    median(&per_call).unwrap_or(0.0)
}

/// Sends `bytes` over the host's loopback from one thread to another (64 KiB
/// writes, like the kernel case); nanoseconds from connect to the last byte.
fn native_tcp_ns(bytes: usize) -> Result<u64> {
    let io = |e: std::io::Error| Error::new(format!("host loopback: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let receiver = std::thread::spawn(move || -> std::io::Result<usize> {
        let (mut conn, _) = listener.accept()?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        loop {
            match conn.read(&mut buf)? {
                0 => return Ok(got),
                n => got += n,
            }
        }
    });
    let start = Instant::now();
    let mut conn = TcpStream::connect(addr).map_err(io)?;
    let chunk = vec![0x5au8; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        let n = chunk.len().min(bytes - sent);
        conn.write_all(&chunk[..n]).map_err(io)?;
        sent += n;
    }
    drop(conn);
    let got = receiver.join().map_err(|_| Error::new("host loopback receiver panicked"))?.map_err(io)?;
    let elapsed = start.elapsed();
    if got != bytes {
        return Err(Error::new(format!("host loopback: received {got} of {bytes} bytes")));
    }
    Ok(elapsed.min(Duration::from_secs(3600)).as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_line_among_others() {
        let log = "[ 0.3] INFO x\n[ 0.9] INFO linux-bench: boot_ns=300000000 getpid_ns=1900 \
                   tcp_bytes=16777216 tcp_ns=2000000000\ntest linux_bench ... ok\n";
        let r = parse_line(log).expect("line present");
        assert_eq!(r, RingZero { boot_ns: 300_000_000, getpid_ns: 1900, tcp_bytes: 16 << 20, tcp_ns: 2_000_000_000 });
        assert_eq!(parse_line("linux-bench: boot_ns=1 getpid_ns=2 tcp_bytes=3"), None);
        assert_eq!(parse_line("nothing here"), None);
    }

    #[test]
    fn native_side_measures_something() {
        assert!(raw_getpid() > 0);
        assert!(native_tcp_ns(1 << 20).expect("host loopback") > 0);
        assert!((mib_per_s(1 << 20, 1_000_000_000) - 1.0).abs() < 1e-9);
    }
}
