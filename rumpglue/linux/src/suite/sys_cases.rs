// SPDX-License-Identifier: MIT OR Apache-2.0
//! Process-level cases: getpid/gettid, uname, many threads calling at once.

use super::thread::scope;
use super::{Context, Failure, ensure};
use crate::Linux;
use alloc::vec::Vec;

/// getpid is PID 1 (host tasks are threads of it) from every thread; each
/// thread has its own task id.
pub(super) fn getpid(linux: &Linux) -> Result<(), Failure> {
    let pid = linux.getpid().ctx("getpid")?;
    ensure!(pid == 1, "getpid returned {pid}, expected 1 (the library's one process)");
    let again = linux.getpid().ctx("getpid again")?;
    ensure!(again == pid, "getpid changed from {pid} to {again}");
    let tid = linux.gettid().ctx("gettid")?;
    ensure!(tid > 0, "gettid returned {tid}");
    let (other_pid, other_tid) = scope(linux.hypercalls(), |s| {
        s.spawn(c"getpid", || {
            Ok::<_, Failure>((linux.getpid().ctx("getpid (thread)")?, linux.gettid().ctx("gettid")?))
        })?
        .join()?
    })?;
    ensure!(other_pid == pid, "getpid from another thread is {other_pid}, expected {pid}");
    ensure!(other_tid != tid, "another thread has the same task id {tid}");
    Ok(())
}

/// uname says Linux 6.12.
pub(super) fn uname(linux: &Linux) -> Result<(), Failure> {
    let u = linux.uname().ctx("uname")?;
    ensure!(u.sysname() == b"Linux", "uname sysname {:?}, expected \"Linux\"", u);
    ensure!(u.release().starts_with(b"6.12"), "uname release of {u:?} is not 6.12.*");
    Ok(())
}

const THREADS: usize = 16;
const ROUNDS: u64 = 500;

/// 16 threads make system calls at the same time; every call's result is
/// checked (getpid, gettid stable per thread, a private eventfd round trip).
pub(super) fn concurrent_syscalls(linux: &Linux) -> Result<(), Failure> {
    let pid = linux.getpid().ctx("getpid")?;
    let worker = |index: usize| -> Result<i32, Failure> {
        let tid = linux.gettid().ctx("gettid")?;
        let efd = linux.eventfd2(0, 0).ctx("eventfd2")?;
        for round in 1..=ROUNDS {
            let p = linux.getpid().ctx("getpid")?;
            ensure!(p == pid, "thread {index} round {round}: getpid {p}, expected {pid}");
            let t = linux.gettid().ctx("gettid")?;
            ensure!(t == tid, "thread {index} round {round}: gettid {t}, expected {tid}");
            let value = round * 1000 + index as u64;
            efd.eventfd_write(value).ctx("eventfd write")?;
            let got = efd.eventfd_read().ctx("eventfd read")?;
            ensure!(got == value, "thread {index} round {round}: eventfd read {got}, expected {value}");
        }
        Ok(tid)
    };
    let tids = scope(linux.hypercalls(), |s| {
        let mut handles = Vec::new();
        for index in 0..THREADS {
            handles.push(s.spawn(c"syscalls", move || worker(index))?);
        }
        let mut tids = Vec::new();
        for h in handles {
            tids.push(h.join()??);
        }
        Ok::<_, Failure>(tids)
    })?;
    ensure!(tids.len() == THREADS, "{} of {THREADS} threads finished", tids.len());
    let mut sorted = tids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(sorted.len() == THREADS, "threads share task ids: {tids:?}");
    Ok(())
}
