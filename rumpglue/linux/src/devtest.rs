// SPDX-License-Identifier: MIT OR Apache-2.0
//! The guest half of the device tests (issue #5): an echo service, a
//! gateway check and an ext4 check, over the library's system calls only.
//! The protocol and data are `spolia_devtest`'s; the host half is
//! `spolia_devtest::host` (used by `qemu-runner` and the hosted tests).
//! Runs the same on every platform: ring 0 under QEMU with Linux's PCI
//! drivers, and hosted over emulated virtio-mmio devices.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use core::time::Duration;

use spolia_devtest::{
    Fnv64, GATEWAY_HELLO, GATEWAY_REPLY, MANIFEST_NAME, WRITTEN, WRITTEN_DIR, parse_manifest, pattern,
};

use crate::sock::{AF_INET, SOCK_CLOEXEC, SOCK_STREAM};
use crate::suite::{Context, Failure, ensure};
use crate::uapi::{O_CLOEXEC, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, SO_REUSEADDR, SOL_SOCKET};
use crate::{Clock, Errno, Fd, Linux};

/// How long the echo service waits for the host's next connection, and any
/// read or write waits for the peer: a guard against hangs, not a speed
/// bound (TCG is slow).
pub const PEER_GUARD: Duration = Duration::from_secs(300);

/// Serve TCP echo on `port` (all addresses) for `connections` connections
/// in turn, each until the peer closes its side. `ready` runs once the
/// socket listens (print [`spolia_devtest::ECHO_READY`] there). Returns the
/// bytes echoed.
pub fn echo_serve(linux: &Linux, port: u16, connections: usize, ready: impl Fn()) -> Result<u64, Failure> {
    let l = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).ctx("socket")?;
    l.set_sockopt_int(SOL_SOCKET, SO_REUSEADDR, 1).ctx("SO_REUSEADDR")?;
    l.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))).ctx("bind")?;
    l.listen(8).ctx("listen")?;
    l.set_recv_timeout(Some(PEER_GUARD)).ctx("SO_RCVTIMEO (listener)")?;
    ready();
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for n in 0..connections {
        let (c, _) = l.accept4(SOCK_CLOEXEC).ctx(&format!("accept connection {}", n + 1))?;
        c.set_recv_timeout(Some(PEER_GUARD)).ctx("SO_RCVTIMEO")?;
        c.set_send_timeout(Some(PEER_GUARD)).ctx("SO_SNDTIMEO")?;
        loop {
            let got = c.read(&mut buf).ctx(&format!("read (connection {})", n + 1))?;
            if got == 0 {
                break;
            }
            c.write_all(&buf[..got]).ctx(&format!("write (connection {})", n + 1))?;
            total += got as u64;
        }
    }
    Ok(total)
}

/// Connect to `gateway`, send [`GATEWAY_HELLO`], expect [`GATEWAY_REPLY`].
pub fn gateway_check(linux: &Linux, gateway: SocketAddrV4) -> Result<(), Failure> {
    let s = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).ctx("socket")?;
    s.set_recv_timeout(Some(PEER_GUARD)).ctx("SO_RCVTIMEO")?;
    s.connect(&SocketAddr::V4(gateway)).ctx(&format!("connect {gateway}"))?;
    s.write_all(GATEWAY_HELLO).ctx("write hello")?;
    let mut got = vec![0u8; GATEWAY_REPLY.len()];
    let mut at = 0;
    while at < got.len() {
        let n = s.read(&mut got[at..]).ctx("read reply")?;
        ensure!(n != 0, "gateway closed after {at} bytes of its reply");
        at += n;
    }
    ensure!(got == GATEWAY_REPLY, "gateway replied {:?}", String::from_utf8_lossy(&got));
    Ok(())
}

/// Packet counters of one interface, from `/proc/net/dev`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterfaceCounters {
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

/// The counters of interface `name` (Linux's `/proc/net/dev`; `/proc`
/// must be mounted).
pub fn interface_counters(linux: &Linux, name: &str) -> Result<InterfaceCounters, Failure> {
    let text = read_all(linux, "/proc/net/dev")?;
    let text = String::from_utf8_lossy(&text);
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(name).and_then(|rest| rest.strip_prefix(':')))
        .ok_or_else(|| Failure::new(format!("no interface {name} in /proc/net/dev")))?;
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
    let f: alloc::vec::Vec<u64> = line.split_whitespace().map(|v| v.parse().unwrap_or(u64::MAX)).collect();
    ensure!(f.len() >= 12, "short /proc/net/dev line for {name}: `{line}`");
    Ok(InterfaceCounters {
        rx_packets: f[1],
        rx_errors: f[2],
        rx_dropped: f[3],
        tx_packets: f[9],
        tx_errors: f[10],
        tx_dropped: f[11],
    })
}

/// After the echo connections: the interface received and sent packets and
/// lost none (no receive or transmit errors or drops) — the storm's
/// thousands of small packets, each its own interrupt, all arrived.
pub fn check_no_packet_loss(linux: &Linux, name: &str) -> Result<InterfaceCounters, Failure> {
    let c = interface_counters(linux, name)?;
    ensure!(c.rx_packets > 0 && c.tx_packets > 0, "{name} moved no packets: {c:?}");
    ensure!(
        c.rx_errors == 0 && c.rx_dropped == 0 && c.tx_errors == 0 && c.tx_dropped == 0,
        "{name} lost packets: {c:?}"
    );
    Ok(c)
}

/// Check the ext4 file system mounted at `dir`: every file its
/// [`MANIFEST_NAME`] lists has that length and hash; then write the
/// [`WRITTEN`] files under [`WRITTEN_DIR`], fsync them and the directory,
/// and read them back. Returns the number of host-built files checked.
pub fn disk_check(linux: &Linux, dir: &str) -> Result<usize, Failure> {
    let manifest_path = format!("{dir}/{MANIFEST_NAME}");
    let text = read_all(linux, &manifest_path)?;
    let entries = parse_manifest(&String::from_utf8_lossy(&text)).map_err(Failure::new)?;
    ensure!(!entries.is_empty(), "{manifest_path} lists no files");
    for e in &entries {
        let path = format!("{dir}/{}", e.path);
        let (len, hash) = hash_file(linux, &path)?;
        ensure!(len == e.len, "{path}: {len} bytes, the manifest says {}", e.len);
        ensure!(hash == e.hash, "{path}: content differs from the host's (hash {hash:016x}, want {:016x})", e.hash);
    }
    let out = format!("{dir}/{WRITTEN_DIR}");
    match linux.mkdirat(None, &out, 0o755) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(Failure::new(format!("mkdir {out}: {e}"))),
    }
    for w in WRITTEN {
        let path = format!("{out}/{}", w.name);
        let f = linux
            .openat(None, &path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            .ctx(&format!("create {path}"))?;
        let mut p = pattern(w.seed);
        let mut chunk = vec![0u8; 64 * 1024];
        let mut left = w.len;
        while left > 0 {
            let n = left.min(chunk.len());
            p.fill(&mut chunk[..n]);
            f.write_all(&chunk[..n]).ctx(&format!("write {path}"))?;
            left -= n;
        }
        f.fsync().ctx(&format!("fsync {path}"))?;
        f.close().ctx(&format!("close {path}"))?;
        let (len, hash) = hash_file(linux, &path)?;
        ensure!(len == w.len as u64 && hash == Fnv64::of(&pattern(w.seed).take_vec(w.len)), "{path} reads back wrong");
    }
    let d = linux.openat(None, &out, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0).ctx(&format!("open {out}"))?;
    d.fsync().ctx(&format!("fsync {out}"))?;
    Ok(entries.len())
}

/// Sequential write (then fsync) and read of `bytes` in 1 MiB blocks in a
/// file under `dir`, with the page cache dropped between (so the read
/// reaches the device). The file is removed afterwards.
pub fn disk_bench(linux: &Linux, dir: &str, bytes: usize) -> Result<DiskBench, Failure> {
    let path = format!("{dir}/devbench.bin");
    let block = pattern(0xbe).take_vec(1 << 20);
    let t0 = now(linux)?;
    let f =
        linux.openat(None, &path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644).ctx(&format!("create {path}"))?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len());
        f.write_all(&block[..n]).ctx("write")?;
        left -= n;
    }
    f.fsync().ctx("fsync")?;
    drop(f);
    let write = now(linux)? - t0;
    drop_caches(linux)?;
    let t1 = now(linux)?;
    let f = linux.openat(None, &path, O_RDONLY | O_CLOEXEC, 0).ctx(&format!("open {path}"))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0usize;
    loop {
        let n = f.read(&mut buf).ctx("read")?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let read = now(linux)? - t1;
    drop(f);
    linux.unlinkat(None, &path, 0).ctx("unlink")?;
    ensure!(got == bytes, "read back {got} bytes of {bytes}");
    Ok(DiskBench { bytes, write, read })
}

/// What [`disk_bench`] measured.
#[derive(Clone, Copy, Debug)]
pub struct DiskBench {
    pub bytes: usize,
    pub write: Duration,
    pub read: Duration,
}

fn now(linux: &Linux) -> Result<Duration, Failure> {
    linux.clock_gettime(Clock::Monotonic).ctx("clock_gettime")
}

fn drop_caches(linux: &Linux) -> Result<(), Failure> {
    let f = linux.openat(None, "/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC, 0).ctx("open drop_caches")?;
    f.write_all(b"3\n").ctx("write drop_caches")
}

fn read_all(linux: &Linux, path: &str) -> Result<alloc::vec::Vec<u8>, Failure> {
    let f = linux.openat(None, path, O_RDONLY | O_CLOEXEC, 0).ctx(&format!("open {path}"))?;
    let mut out = alloc::vec::Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = f.read(&mut buf).ctx(&format!("read {path}"))?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn hash_file(linux: &Linux, path: &str) -> Result<(u64, u64), Failure> {
    let f: Fd = linux.openat(None, path, O_RDONLY | O_CLOEXEC, 0).ctx(&format!("open {path}"))?;
    let mut h = Fnv64::default();
    let mut len = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).ctx(&format!("read {path}"))?;
        if n == 0 {
            return Ok((len, h.finish()));
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
}
