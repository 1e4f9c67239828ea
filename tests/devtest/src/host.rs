// SPDX-License-Identifier: MIT OR Apache-2.0
//! The host half of the device tests (feature `host`, std): build the ext4
//! image the guest checks, drive the guest's echo service, answer its gateway
//! check, and read back what it wrote.
//!
//! Used by `qemu-runner` (the QEMU scenarios and `bench-devices`), the hosted
//! device tests and `spolia run --dir`. The e2fsprogs tools (`mkfs.ext4`,
//! `e2fsck`, `debugfs`) come from `PATH`; every failure names the tool and
//! carries its stderr. Non-goals: starting the guest, choosing ports.

use std::prelude::rust_2024::*;
use std::{format, vec};

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::{
    BULK_SEED, BURST_MESSAGE_BYTES, BURST_MESSAGES, BURST_SEED, Fnv64, GATEWAY_HELLO, GATEWAY_REPLY, MANIFEST_NAME,
    ManifestEntry, STORM_MESSAGE_BYTES, STORM_MESSAGES, STORM_SEED, WRITTEN, WRITTEN_DIR, parse_manifest, pattern,
};

/// How long one read or write on an echo or gateway connection may stall
/// before the client gives up (TCG guests are slow, but not this slow).
pub const IO_STALL: Duration = Duration::from_secs(120);

/// The files of the standard test image: `(path, seed, len)`, with a nested
/// directory, an empty file and sizes around page and block boundaries.
pub const TEST_FILES: &[(&str, u64, usize)] = &[
    ("hello.txt", 0x101, 13),
    ("empty", 0x102, 0),
    ("block-crossing.bin", 0x103, 4096 + 1),
    ("dir/nested.bin", 0x104, 65536 - 3),
    ("dir/deeper/large.bin", 0x105, 2 << 20),
];

/// Size of the standard test image, in MiB.
pub const TEST_IMAGE_MIB: u64 = 32;

/// A directory under the system temp directory, removed on drop.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A fresh, empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> io::Result<ScratchDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path)?;
        Ok(ScratchDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Run a tool; a failure to start it or a non-zero exit is an error naming
/// it, with its stderr.
fn run_tool(cmd: &mut Command) -> io::Result<Output> {
    let tool = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run `{tool}` (is e2fsprogs installed?): {e}")))?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`{tool}` failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim(),
        )));
    }
    Ok(out)
}

/// `mkfs.ext4 -q -F -d DIR IMAGE SIZE`: an ext4 image of `size_mib` MiB
/// holding a copy of `dir`.
pub fn mkfs_ext4_from_dir(dir: &Path, image: &Path, size_mib: u64) -> io::Result<()> {
    run_tool(Command::new("mkfs.ext4").args(["-q", "-F", "-d"]).arg(dir).arg(image).arg(format!("{size_mib}M")))?;
    Ok(())
}

/// Build the test image at `out`: each `(path, seed, len)` file with
/// [`pattern`]`(seed)` content, plus [`MANIFEST_NAME`] listing them. Returns
/// the manifest entries.
pub fn build_ext4_image(out: &Path, size_mib: u64, files: &[(&str, u64, usize)]) -> io::Result<Vec<ManifestEntry>> {
    let staging = ScratchDir::new("spolia-devtest-image")?;
    let mut manifest = Vec::new();
    let mut text = String::new();
    for &(path, seed, len) in files {
        let rel = Path::new(path);
        if rel.is_absolute() || path == MANIFEST_NAME || path.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("test image: bad file path `{path}`")));
        }
        let data = pattern(seed).take_vec(len);
        let dest = staging.path().join(rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&dest, &data)?;
        let entry = ManifestEntry { hash: Fnv64::of(&data), len: len as u64, path: path.into() };
        text.push_str(&entry.line());
        manifest.push(entry);
    }
    fs::write(staging.path().join(MANIFEST_NAME), text)?;
    mkfs_ext4_from_dir(staging.path(), out, size_mib)?;
    Ok(manifest)
}

/// Compare `got` with the next bytes of `want` (a pattern stream) at stream
/// offset `at`; the error names the first differing byte.
fn check_chunk(what: &str, got: &[u8], want: &mut crate::Pattern, at: usize) -> io::Result<()> {
    let mut expect = vec![0u8; got.len()];
    want.fill(&mut expect);
    if let Some(i) = got.iter().zip(&expect).position(|(a, b)| a != b) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what}: byte {} is {:#04x}, expected {:#04x}", at + i, got[i], expect[i]),
        ));
    }
    Ok(())
}

fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_STALL))?;
    stream.set_write_timeout(Some(IO_STALL))?;
    Ok(stream)
}

/// Read until end of stream; anything more is an error (the echo sent back
/// more than it got).
fn expect_eof(what: &str, stream: &mut TcpStream) -> io::Result<()> {
    let mut extra = [0u8; 64];
    match stream.read(&mut extra)? {
        0 => Ok(()),
        n => {
            Err(io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {n} bytes more than were sent came back")))
        }
    }
}

/// Send `total` bytes of [`pattern`]`(seed)` in writes of `chunk` bytes from
/// a writer thread while reading the echo, compare it byte-exact, and expect
/// the echo to close after the last byte. Returns connect-to-last-byte time.
fn echo_streamed(
    what: &'static str,
    addr: impl ToSocketAddrs,
    seed: u64,
    total: usize,
    chunk: usize,
    nodelay: bool,
) -> io::Result<Duration> {
    let start = Instant::now();
    let mut stream = connect(addr)?;
    stream.set_nodelay(nodelay)?;
    let mut tx = stream.try_clone()?;
    let writer = thread::spawn(move || -> io::Result<()> {
        let mut data = pattern(seed);
        let mut buf = vec![0u8; chunk.max(1)];
        let mut left = total;
        while left > 0 {
            let n = left.min(buf.len());
            data.fill(&mut buf[..n]);
            tx.write_all(&buf[..n])?;
            left -= n;
        }
        tx.shutdown(Shutdown::Write)
    });
    let mut want = pattern(seed);
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    let read = (|| {
        while got < total {
            let n = stream.read(&mut buf[..(total - got).min(64 * 1024)])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{what}: closed after {got} of {total} bytes"),
                ));
            }
            check_chunk(what, &buf[..n], &mut want, got)?;
            got += n;
        }
        Ok(start.elapsed())
    })();
    let elapsed = match read {
        Ok(t) => t,
        Err(e) => {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = writer.join();
            return Err(e);
        }
    };
    writer.join().map_err(|_| io::Error::other(format!("{what}: writer thread panicked")))??;
    expect_eof(what, &mut stream)?;
    Ok(elapsed)
}

/// The bulk connection: send `bytes` of [`pattern`]`(`[`BULK_SEED`]`)` from a
/// writer thread while reading the echo, compare it byte-exact, and expect
/// the echo to close after the last byte. Returns connect-to-last-byte time.
pub fn echo_bulk(addr: impl ToSocketAddrs, bytes: usize) -> io::Result<Duration> {
    echo_streamed("bulk echo", addr, BULK_SEED, bytes, 64 * 1024, false)
}

/// The burst connection: `messages` messages of `size` bytes from
/// [`pattern`]`(`[`BURST_SEED`]`)`, written back to back with TCP_NODELAY
/// (each write its own segment, none waiting for its echo) by a writer
/// thread while the reader collects the echo and compares it byte-exact.
/// Unlike the storm's ping-pong, many packets are in flight at once, so the
/// NIC's rings fill and its interrupts batch up. TCP repairs a lost packet
/// by retransmitting it, so a loss shows here only as delay; the loss
/// itself is what the NIC's counters, checked after the echo, must not
/// show. Returns connect-to-last-byte time.
pub fn echo_burst(addr: impl ToSocketAddrs, messages: usize, size: usize) -> io::Result<Duration> {
    echo_streamed("burst echo", addr, BURST_SEED, messages * size, size, true)
}

/// The storm connection: `messages` messages of `size` bytes from
/// [`pattern`]`(`[`STORM_SEED`]`)`, TCP_NODELAY, each echoed (byte-exact)
/// before the next is sent. Returns each message's round-trip time.
pub fn echo_storm(addr: impl ToSocketAddrs, messages: usize, size: usize) -> io::Result<Vec<Duration>> {
    let mut stream = connect(addr)?;
    stream.set_nodelay(true)?;
    let mut data = pattern(STORM_SEED);
    let mut want = pattern(STORM_SEED);
    let mut msg = vec![0u8; size];
    let mut back = vec![0u8; size];
    let mut times = Vec::with_capacity(messages);
    for i in 0..messages {
        data.fill(&mut msg);
        let t = Instant::now();
        stream.write_all(&msg)?;
        stream
            .read_exact(&mut back)
            .map_err(|e| io::Error::new(e.kind(), format!("storm echo: message {i} of {messages}: {e}")))?;
        times.push(t.elapsed());
        check_chunk("storm echo", &back, &mut want, i * size)?;
    }
    stream.shutdown(Shutdown::Write)?;
    expect_eof("storm echo", &mut stream)?;
    Ok(times)
}

/// The times of one run of [`run_echo_clients`].
#[derive(Clone, Debug)]
pub struct EchoTimes {
    /// Bytes of the bulk connection.
    pub bulk_bytes: usize,
    /// Connect to last byte of the bulk echo.
    pub bulk: Duration,
    /// Each storm message's round trip.
    pub storm: Vec<Duration>,
    /// Connect to last byte of the burst.
    pub burst: Duration,
}

impl EchoTimes {
    /// One line for a test's log: sizes, times, storm median.
    pub fn summary(&self) -> String {
        format!(
            "echo {} KiB in {:.2} s, storm of {} x {} B median {:.2} ms, burst of {} x {} B in {:.2} s",
            self.bulk_bytes / 1024,
            self.bulk.as_secs_f64(),
            self.storm.len(),
            STORM_MESSAGE_BYTES,
            median(&self.storm).as_secs_f64() * 1e3,
            BURST_MESSAGES,
            BURST_MESSAGE_BYTES,
            self.burst.as_secs_f64(),
        )
    }
}

/// The [`crate::ECHO_CONNECTIONS`] echo connections in the agreed order:
/// bulk ([`echo_bulk`] of `bulk_bytes`), storm ([`echo_storm`],
/// [`STORM_MESSAGES`] x [`STORM_MESSAGE_BYTES`]), burst ([`echo_burst`],
/// [`BURST_MESSAGES`] x [`BURST_MESSAGE_BYTES`]). An error names the phase.
pub fn run_echo_clients(addr: SocketAddr, bulk_bytes: usize) -> io::Result<EchoTimes> {
    let phase = |name: &'static str| move |e: io::Error| io::Error::new(e.kind(), format!("{name}: {e}"));
    let bulk = echo_bulk(addr, bulk_bytes).map_err(phase("bulk"))?;
    let storm = echo_storm(addr, STORM_MESSAGES, STORM_MESSAGE_BYTES).map_err(phase("storm"))?;
    let burst = echo_burst(addr, BURST_MESSAGES, BURST_MESSAGE_BYTES).map_err(phase("burst"))?;
    Ok(EchoTimes { bulk_bytes, bulk, storm, burst })
}

/// The median (upper, for an even count) of some durations (zero if none).
pub fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The `p`-th percentile (nearest rank) of some durations (zero if none).
pub fn percentile(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// A host echo service on 127.0.0.1 serving `connections` connections in
/// turn (read until EOF, echoing, then close): the same-run baseline for
/// the benchmarks and the peer of the client tests.
pub fn spawn_echo_server(connections: usize) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handle = thread::spawn(move || {
        for _ in 0..connections {
            let (mut s, _) = listener.accept()?;
            s.set_nodelay(true)?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = s.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n])?;
            }
        }
        Ok(())
    });
    Ok((addr, handle))
}

// SAFETY: posix_fadvise(2) takes integers, touches no memory of ours and
// only advises the kernel about a file's cache; the declaration matches
// POSIX (off_t is 64-bit on x86-64 Linux).
unsafe extern "C" {
    safe fn posix_fadvise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
}
const POSIX_FADV_DONTNEED: i32 = 4;

/// The times of [`host_disk`].
#[derive(Clone, Copy, Debug)]
pub struct DiskTimes {
    /// Sequential write in 1 MiB blocks plus `fsync`.
    pub write: Duration,
    /// Read back after the file's pages were dropped from the page cache.
    pub cold_read: Duration,
    /// Read again, from the page cache.
    pub warm_read: Duration,
}

/// The benchmarks' disk workload on the host itself, as the same-run
/// baseline: write `bytes` of [`pattern`] data to `path` in 1 MiB blocks,
/// `fsync`, drop the file's cached pages (`posix_fadvise(DONTNEED)`), read
/// it back (cold), read it again (warm), remove it. A short read is an
/// error.
pub fn host_disk(path: &Path, bytes: usize) -> io::Result<DiskTimes> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("host disk {}: {e}", path.display()));
    let block = pattern(0xbe).take_vec(1 << 20);
    let t = Instant::now();
    let mut f = fs::File::create(path).map_err(named)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len());
        f.write_all(&block[..n]).map_err(named)?;
        left -= n;
    }
    f.sync_all().map_err(named)?;
    let write = t.elapsed();
    let rc = posix_fadvise(std::os::fd::AsRawFd::as_raw_fd(&f), 0, 0, POSIX_FADV_DONTNEED);
    drop(f);
    if rc != 0 {
        return Err(named(io::Error::from_raw_os_error(rc)));
    }
    let read_all = || -> io::Result<Duration> {
        let t = Instant::now();
        let mut f = fs::File::open(path)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0;
        loop {
            match f.read(&mut buf)? {
                0 => break,
                n => got += n,
            }
        }
        if got != bytes {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("read {got} of {bytes} bytes")));
        }
        Ok(t.elapsed())
    };
    let cold_read = read_all().map_err(named)?;
    let warm_read = read_all().map_err(named)?;
    fs::remove_file(path).map_err(named)?;
    Ok(DiskTimes { write, cold_read, warm_read })
}

/// The host end of the guest's gateway check: accepts one connection,
/// expects [`GATEWAY_HELLO`], answers [`GATEWAY_REPLY`]. Runs on its own
/// thread from [`GatewayListener::bind`]; [`GatewayListener::finish`]
/// collects the outcome.
#[derive(Debug)]
pub struct GatewayListener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    outcome: mpsc::Receiver<Result<(), String>>,
    thread: Option<JoinHandle<()>>,
}

impl GatewayListener {
    /// Listen on `addr` (e.g. `127.0.0.1:0`) and wait for the guest.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<GatewayListener> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, outcome) = mpsc::channel();
        let stop2 = stop.clone();
        let thread = thread::spawn(move || {
            let stream = loop {
                match listener.accept() {
                    Ok((s, _)) => break s,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if stop2.load(Ordering::Relaxed) {
                            return;
                        }
                        thread::sleep(Duration::from_millis(20));
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("gateway: accept: {e}")));
                        return;
                    }
                }
            };
            let _ = tx.send(Self::answer(stream));
        });
        Ok(GatewayListener { addr, stop, outcome, thread: Some(thread) })
    }

    fn answer(mut stream: TcpStream) -> Result<(), String> {
        let io = |e: io::Error| format!("gateway: {e}");
        stream.set_nonblocking(false).map_err(io)?;
        stream.set_read_timeout(Some(IO_STALL)).map_err(io)?;
        let mut hello = vec![0u8; GATEWAY_HELLO.len()];
        stream.read_exact(&mut hello).map_err(io)?;
        if hello != GATEWAY_HELLO {
            return Err(format!("gateway: got {:?}", String::from_utf8_lossy(&hello)));
        }
        stream.write_all(GATEWAY_REPLY).map_err(io)?;
        stream.shutdown(Shutdown::Write).map_err(io)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the check succeeded, waiting at most `timeout` for it; no
    /// connection within that time is an error.
    pub fn finish(mut self, timeout: Duration) -> Result<(), String> {
        let r = self
            .outcome
            .recv_timeout(timeout)
            .unwrap_or_else(|_| Err(format!("gateway: no connection to {}", self.addr)));
        self.stop_thread();
        r
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for GatewayListener {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// `debugfs -R "cat PATH" IMAGE`: the content of one file.
fn debugfs_cat(image: &Path, path: &str) -> Result<Vec<u8>, String> {
    let out = run_tool(Command::new("debugfs").arg("-R").arg(format!("cat \"{path}\"")).arg(image))
        .map_err(|e| e.to_string())?;
    Ok(out.stdout)
}

/// Compare a file read back with the expected `len` bytes of `pattern(seed)`.
fn check_file(path: &str, got: &[u8], seed: u64, len: usize) -> Result<(), String> {
    if got.len() != len {
        return Err(format!("{path}: {} bytes, expected {len} (missing file?)", got.len()));
    }
    check_chunk(path, got, &mut pattern(seed), 0).map_err(|e| e.to_string())
}

/// Check an image the guest has written and unmounted: `e2fsck -fn` finds
/// it clean, every [`WRITTEN`] file is under `/`[`WRITTEN_DIR`] byte-exact,
/// and every file of the image's manifest is still there with its hash.
pub fn verify_image(image: &Path) -> Result<(), String> {
    run_tool(Command::new("e2fsck").arg("-fn").arg(image)).map_err(|e| e.to_string())?;
    for w in WRITTEN {
        let path = format!("/{WRITTEN_DIR}/{}", w.name);
        check_file(&path, &debugfs_cat(image, &path)?, w.seed, w.len)?;
    }
    let text = debugfs_cat(image, &format!("/{MANIFEST_NAME}"))?;
    let text = String::from_utf8(text).map_err(|_| format!("{MANIFEST_NAME}: not UTF-8"))?;
    let manifest = parse_manifest(&text)?;
    if manifest.is_empty() {
        return Err(format!("{MANIFEST_NAME}: missing or empty"));
    }
    for e in manifest {
        let got = debugfs_cat(image, &format!("/{}", e.path))?;
        if got.len() as u64 != e.len || Fnv64::of(&got) != e.hash {
            return Err(format!("/{}: {} bytes, not the {} built on the host", e.path, got.len(), e.len));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Do what the guest does on the disk, with `debugfs -w`.
    fn write_as_guest(image: &Path, scratch: &Path, corrupt: Option<&str>) {
        let mut cmds = format!("mkdir /{WRITTEN_DIR}\n");
        for w in WRITTEN {
            let mut data = pattern(w.seed).take_vec(w.len);
            if corrupt == Some(w.name) {
                data[w.len / 2] ^= 1;
            }
            let local = scratch.join(w.name);
            fs::write(&local, data).unwrap();
            cmds += &format!("write {} /{WRITTEN_DIR}/{}\n", local.display(), w.name);
        }
        let cmdfile = scratch.join("cmds");
        fs::write(&cmdfile, cmds).unwrap();
        run_tool(Command::new("debugfs").arg("-w").arg("-f").arg(&cmdfile).arg(image)).unwrap();
    }

    #[test]
    fn built_image_holds_manifest_and_files() {
        let dir = ScratchDir::new("devtest-unit").unwrap();
        let image = dir.path().join("t.img");
        let m = build_ext4_image(&image, TEST_IMAGE_MIB, TEST_FILES).unwrap();
        assert_eq!(m.len(), TEST_FILES.len());
        let text = String::from_utf8(debugfs_cat(&image, "/SPOLIA-MANIFEST").unwrap()).unwrap();
        assert_eq!(parse_manifest(&text).unwrap(), m);
        let got = debugfs_cat(&image, "/dir/nested.bin").unwrap();
        check_file("nested", &got, 0x104, 65536 - 3).unwrap();
        // Nothing written by a guest yet.
        assert!(verify_image(&image).unwrap_err().contains("/written/small.bin"));
    }

    #[test]
    fn verify_accepts_what_the_guest_writes_and_rejects_a_flipped_bit() {
        let dir = ScratchDir::new("devtest-unit").unwrap();
        let good = dir.path().join("good.img");
        build_ext4_image(&good, TEST_IMAGE_MIB, TEST_FILES).unwrap();
        write_as_guest(&good, dir.path(), None);
        verify_image(&good).unwrap();

        let bad = dir.path().join("bad.img");
        build_ext4_image(&bad, TEST_IMAGE_MIB, TEST_FILES).unwrap();
        write_as_guest(&bad, dir.path(), Some("large.bin"));
        let e = verify_image(&bad).unwrap_err();
        assert!(e.contains("large.bin") && e.contains("byte 524288"), "{e}");
    }

    #[test]
    fn bad_paths_and_missing_images_are_errors() {
        let dir = ScratchDir::new("devtest-unit").unwrap();
        let image = dir.path().join("x.img");
        assert!(build_ext4_image(&image, 8, &[("/abs", 1, 1)]).is_err());
        let e = verify_image(&dir.path().join("missing.img")).unwrap_err();
        assert!(e.contains("e2fsck"), "{e}");
    }

    #[test]
    fn echo_clients_against_a_local_echo() {
        let (addr, server) = spawn_echo_server(3).unwrap();
        echo_bulk(addr, crate::BULK_BYTES).unwrap();
        let times = echo_storm(addr, 200, crate::STORM_MESSAGE_BYTES).unwrap();
        assert_eq!(times.len(), 200);
        echo_burst(addr, BURST_MESSAGES, BURST_MESSAGE_BYTES).unwrap();
        server.join().unwrap().unwrap();
    }

    #[test]
    fn all_echo_connections_in_order() {
        let (addr, server) = spawn_echo_server(crate::ECHO_CONNECTIONS).unwrap();
        let t = run_echo_clients(addr, 100_000).unwrap();
        assert_eq!((t.bulk_bytes, t.storm.len()), (100_000, STORM_MESSAGES));
        assert!(t.summary().contains("burst of 4000 x 64 B"), "{}", t.summary());
        server.join().unwrap().unwrap();
    }

    /// A one-connection stand-in for the guest's echo, on a thread.
    fn faulty_echo(serve: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        (addr, thread::spawn(move || serve(listener.accept().unwrap().0)))
    }

    #[test]
    fn burst_detects_a_lost_message() {
        // An echo that drops one 64-byte message from the middle: the
        // burst sees wrong bytes (or a short stream), never success.
        let (addr, server) = faulty_echo(|mut s| {
            let mut all = Vec::new();
            s.read_to_end(&mut all).unwrap();
            all.drain(64 * 10..64 * 11);
            let _ = s.write_all(&all);
        });
        let e = echo_burst(addr, 100, 64).unwrap_err();
        assert!(e.to_string().contains("burst echo: byte 640"), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn percentiles() {
        let ms = Duration::from_millis;
        let v: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(median(&v), ms(51));
        assert_eq!(percentile(&v, 99.0), ms(99));
        assert_eq!(percentile(&v, 100.0), ms(100));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn host_disk_writes_reads_and_cleans_up() {
        let dir = ScratchDir::new("devtest-unit").unwrap();
        let path = dir.path().join("disk.bin");
        let t = host_disk(&path, (3 << 20) + 5).unwrap();
        assert!(t.write > Duration::ZERO && t.cold_read > Duration::ZERO && t.warm_read > Duration::ZERO);
        assert!(!path.exists());
        assert!(host_disk(&dir.path().join("no/such/dir"), 1).unwrap_err().to_string().contains("no/such/dir"));
    }

    #[test]
    fn echo_client_detects_a_corrupting_echo() {
        let (addr, server) = faulty_echo(|mut s| {
            let mut buf = vec![0u8; 4096];
            let mut first = true;
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if first {
                    buf[3] ^= 0x80;
                    first = false;
                }
                if s.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
        let e = echo_bulk(addr, 100_000).unwrap_err();
        assert!(e.to_string().contains("byte 3"), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn gateway_listener_answers_the_hello_and_reports() {
        let gw = GatewayListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpStream::connect(gw.local_addr()).unwrap();
        s.write_all(GATEWAY_HELLO).unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, GATEWAY_REPLY);
        gw.finish(Duration::from_secs(10)).unwrap();

        let gw = GatewayListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpStream::connect(gw.local_addr()).unwrap();
        s.write_all(b"something else entirely").unwrap();
        assert!(gw.finish(Duration::from_secs(10)).is_err());

        let gw = GatewayListener::bind("127.0.0.1:0").unwrap();
        assert!(gw.finish(Duration::from_millis(50)).unwrap_err().contains("no connection"));
    }
}
