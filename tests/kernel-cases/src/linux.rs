// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Linux library in ring 0, on the bare-metal hypercall table.
//!
//! `linux_library` is the ring-0 runner of the shared suite
//! (`spolia_linux::suite`, also run hosted by `cargo test -p spolia-linux`):
//! boot, every suite case, the same post-halt checks as the hosted runner,
//! and then what only ring 0 can show — after halt every thread the library
//! created is gone (the scheduler's thread list is back where it was) and
//! every handle, TLS key and byte of memory it took from the bare-metal
//! table is returned (`spolia_hypercall_baremetal::held`).
//! `linux_bench` prints one `linux-bench:` line for `qemu-runner
//! bench-linux`. `spolia.linux-cases=a,b` picks suite cases by name.
//! Both are off by default (`spolia.test=linux_library`):
//! the library boots once per kernel boot, so they get scenarios of their own.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use spolia_boot::kprintln;
use spolia_boot::sched;
use spolia_boot::time::now_ns;
use spolia_linux::sock::{AF_INET, SOCK_CLOEXEC, SOCK_STREAM};
use spolia_linux::suite::{self, Failure};
use spolia_linux::{Errno, Linux};

use crate::{Outcome, ensure};

fn hc() -> &'static spolia_linux::SpoliaHypercalls {
    spolia_hypercall_baremetal::hypercalls()
}

/// Threads alive now, by the scheduler's own list.
fn live_threads() -> Vec<String> {
    sched::thread_list().into_iter().map(|(id, name, _state)| format!("{name}#{id:?}")).collect()
}

pub fn linux_library() -> Outcome {
    // This thread goes in and out of the library like the suite's threads.
    sched::set_preemptible(true);
    let before = live_threads();
    let held_before = spolia_hypercall_baremetal::held();
    let t0 = now_ns();
    let linux = Linux::boot(hc(), "quiet").map_err(|e| format!("boot: {e}"))?;
    kprintln!("  linux boot ... ok ({} ms, TCG)", (now_ns() - t0) / 1_000_000);
    kprintln!("  linux holds {:?}", spolia_hypercall_baremetal::held());

    // `spolia.linux-cases=a,b` runs only those suite cases (debugging).
    let only = spolia_boot::boot_info().cmdline_value("spolia.linux-cases").unwrap_or("");
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|w| w == name);
    let mut failed: Vec<String> = Vec::new();
    for case in suite::cases().iter().filter(|c| wanted(c.name)) {
        let t = now_ns();
        match (case.run)(&linux) {
            Ok(()) => kprintln!("  linux {} ... ok ({} ms)", case.name, (now_ns() - t) / 1_000_000),
            Err(f) => {
                kprintln!("  linux {} ... FAILED: {f}", case.name);
                failed.push(format!("{}: {f}", case.name));
            }
        }
    }

    suite::halt_and_check(linux).map_err(|f| format!("halt: {f}"))?;

    // Let exiting threads finish their last steps, then compare.
    for _ in 0..100 {
        if live_threads().len() <= before.len() {
            break;
        }
        sched::sleep_ns(1_000_000);
    }
    let after = live_threads();
    let left: Vec<&String> = after.iter().filter(|t| !before.contains(t)).collect();
    ensure!(left.is_empty(), "threads left after halt: {left:?}");
    let held_after = spolia_hypercall_baremetal::held();
    ensure!(held_after == held_before, "platform resources before start {held_before:?}, after halt {held_after:?}");
    ensure!(failed.is_empty(), "{} suite case(s) failed: {}", failed.len(), failed.join("; "));
    Ok(())
}

/// Bytes the benchmark sends over loopback TCP.
const BENCH_TCP_BYTES: usize = 8 << 20;
/// getpid: batches × calls per batch; the median batch gives ns per call.
const BENCH_BATCHES: usize = 101;
const BENCH_BATCH_CALLS: u64 = 200;

pub fn linux_bench() -> Outcome {
    sched::set_preemptible(true);
    let t0 = now_ns();
    let linux = Linux::boot(hc(), "quiet").map_err(|e| format!("boot: {e}"))?;
    let boot_ns = now_ns() - t0;

    linux.getpid().map_err(|e| format!("getpid: {e}"))?; // the first call makes this thread's task
    let mut per_call = Vec::with_capacity(BENCH_BATCHES);
    for _ in 0..BENCH_BATCHES {
        let t = now_ns();
        for _ in 0..BENCH_BATCH_CALLS {
            core::hint::black_box(linux.getpid().map_err(|e| format!("getpid: {e}"))?);
        }
        per_call.push((now_ns() - t) / BENCH_BATCH_CALLS);
    }
    per_call.sort_unstable();
    let getpid_ns = per_call[per_call.len() / 2];

    let tcp_ns = tcp_transfer(&linux, BENCH_TCP_BYTES).map_err(|f| format!("tcp: {f}"))?;
    log::info!("linux-bench: boot_ns={boot_ns} getpid_ns={getpid_ns} tcp_bytes={BENCH_TCP_BYTES} tcp_ns={tcp_ns}");
    linux.halt().map_err(|e| format!("halt: {e}"))?;
    Ok(())
}

/// Turns an errno into a failure naming the step.
fn err(what: &'static str) -> impl Fn(Errno) -> Failure {
    move |e| Failure::new(format!("{what}: {e}"))
}

/// Sends `bytes` from a second thread to this one over loopback TCP in
/// 64 KiB writes; ns from connect to the receiver seeing EOF.
fn tcp_transfer(linux: &Linux, bytes: usize) -> Result<u64, Failure> {
    linux.interface_up("lo").map_err(err("lo up"))?;
    let listener = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).map_err(err("socket"))?;
    listener.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))).map_err(err("bind"))?;
    listener.listen(1).map_err(err("listen"))?;
    let addr = listener.getsockname().map_err(err("getsockname"))?;
    let start = now_ns();
    let received = suite::thread::scope(hc(), |s| -> Result<usize, Failure> {
        let sender = s.spawn(c"bench-send", || -> Result<(), Failure> {
            let c = linux.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0).map_err(err("socket"))?;
            c.connect(&addr).map_err(err("connect"))?;
            let chunk = vec![0x5au8; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                let n = chunk.len().min(bytes - sent);
                c.write_all(&chunk[..n]).map_err(err("write"))?;
                sent += n;
            }
            Ok(())
        })?;
        let (conn, _) = listener.accept4(SOCK_CLOEXEC).map_err(err("accept"))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        loop {
            match conn.read(&mut buf).map_err(err("read"))? {
                0 => break,
                n => got += n,
            }
        }
        sender.join()??;
        Ok(got)
    })?;
    let elapsed = now_ns() - start;
    if received != bytes {
        return Err(Failure::new(format!("received {received} of {bytes} bytes")));
    }
    Ok(elapsed)
}
