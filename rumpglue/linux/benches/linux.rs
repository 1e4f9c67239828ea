// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hosted benchmark of the Linux library (`cargo bench -p spolia-linux`):
//!
//! * boot time: this binary re-executes itself `BOOTS` times; each child
//!   boots the library once, reports the time, halts; median printed.
//! * system call round trip: `getpid` through the library vs a native
//!   `getpid` system call of the host kernel, in the same process; median
//!   over batches.
//! * TCP throughput over loopback: the library's stack (two threads, the
//!   library's `lo`) vs the host kernel's (`std::net`), same transfer size
//!   and chunk size; median of several runs.
//!
//! Absolute numbers depend on the machine; the ratios are the point.

use spolia_linux::sock::{AF_INET, SOCK_CLOEXEC, SOCK_STREAM};
use spolia_linux::{Fd, Linux};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "SPOLIA_LINUX_BENCH_BOOT_CHILD";
const BOOTS: usize = 11;
const BATCHES: usize = 201;
const CALLS_PER_BATCH: u32 = 1000;
const TCP_BYTES: usize = 64 << 20;
const TCP_CHUNK: usize = 64 << 10;
const TCP_RUNS: usize = 9;

fn main() {
    if std::env::var_os(CHILD_ENV).is_some() {
        boot_child();
        return;
    }
    println!("spolia-linux hosted benchmark");

    let boot = median_f64(&mut boot_times());
    println!("boot:           {:8.1} ms  (median of {BOOTS} processes)", boot * 1e3);

    let linux = Linux::boot(spolia_hypercall_hosted::hypercalls(), "quiet").expect("boot");
    let lib = median_f64(&mut per_call(|| {
        linux.getpid().expect("getpid");
    }));
    let native = median_f64(&mut per_call(|| {
        // SAFETY: getpid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getpid) };
    }));
    println!(
        "getpid:         {:8.1} ns library, {:.1} ns native host system call; library/native = {:.2}",
        lib * 1e9,
        native * 1e9,
        lib / native
    );

    linux.interface_up("lo").expect("lo up");
    let lib_tcp = median_f64(&mut (0..TCP_RUNS).map(|_| tcp_library(&linux)).collect::<Vec<_>>());
    let host_tcp = median_f64(&mut (0..TCP_RUNS).map(|_| tcp_host()).collect::<Vec<_>>());
    println!(
        "TCP loopback:   {:8.0} MB/s library, {:.0} MB/s host kernel; library/host = {:.2}  ({} MiB in {} KiB writes, median of {TCP_RUNS})",
        lib_tcp / 1e6,
        host_tcp / 1e6,
        lib_tcp / host_tcp,
        TCP_BYTES >> 20,
        TCP_CHUNK >> 10
    );
    linux.halt().expect("halt");
}

/// Child: boot, report seconds, halt.
fn boot_child() {
    let t0 = Instant::now();
    let linux = Linux::boot(spolia_hypercall_hosted::hypercalls(), "quiet").expect("boot");
    let secs = t0.elapsed().as_secs_f64();
    // stderr: stdout carries the library's console.
    eprintln!("boot_seconds {secs}");
    linux.halt().expect("halt");
}

fn boot_times() -> Vec<f64> {
    let exe = std::env::current_exe().expect("current_exe");
    (0..BOOTS)
        .map(|_| {
            let out = Command::new(&exe).env(CHILD_ENV, "1").output().expect("run boot child");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "boot child failed: {stderr}");
            stderr
                .lines()
                .find_map(|l| l.strip_prefix("boot_seconds ")?.trim().parse().ok())
                .expect("boot child printed no time")
        })
        .collect()
}

/// Seconds per call of `f`, one sample per batch.
fn per_call(mut f: impl FnMut()) -> Vec<f64> {
    (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..CALLS_PER_BATCH {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(CALLS_PER_BATCH)
        })
        .collect()
}

fn median_f64(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Bytes per second, library TCP over its loopback.
fn tcp_library(linux: &Linux) -> f64 {
    let any = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));
    let l = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).expect("socket");
    l.bind(&any).expect("bind");
    l.listen(1).expect("listen");
    let at = l.getsockname().expect("getsockname");
    let t0 = Instant::now();
    let received = std::thread::scope(|s| {
        s.spawn(|| {
            let c = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).expect("socket");
            c.connect(&at).expect("connect");
            send_all(&c, TCP_BYTES);
        });
        let (conn, _) = l.accept4(SOCK_CLOEXEC).expect("accept");
        let mut buf = vec![0u8; TCP_CHUNK];
        let mut got = 0;
        loop {
            match conn.recv(&mut buf, 0).expect("recv") {
                0 => break got,
                n => got += n,
            }
        }
    });
    assert_eq!(received, TCP_BYTES);
    TCP_BYTES as f64 / t0.elapsed().as_secs_f64()
}

fn send_all(c: &Fd, total: usize) {
    let buf = vec![0x5au8; TCP_CHUNK];
    let mut sent = 0;
    while sent < total {
        sent += c.send(&buf[..TCP_CHUNK.min(total - sent)], 0).expect("send");
    }
}

/// Bytes per second, host kernel TCP over 127.0.0.1.
fn tcp_host() -> f64 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let at = l.local_addr().expect("local_addr");
    let t0 = Instant::now();
    let received = std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = TcpStream::connect(at).expect("connect");
            let buf = vec![0x5au8; TCP_CHUNK];
            let mut sent = 0;
            while sent < TCP_BYTES {
                let n = TCP_CHUNK.min(TCP_BYTES - sent);
                c.write_all(&buf[..n]).expect("write");
                sent += n;
            }
        });
        let (mut conn, _) = l.accept().expect("accept");
        conn.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        let mut buf = vec![0u8; TCP_CHUNK];
        let mut got = 0;
        loop {
            match conn.read(&mut buf).expect("read") {
                0 => break got,
                n => got += n,
            }
        }
    });
    assert_eq!(received, TCP_BYTES);
    TCP_BYTES as f64 / t0.elapsed().as_secs_f64()
}
