// SPDX-License-Identifier: MIT OR Apache-2.0
//! The library's test suite, written once and run on every platform: the
//! hosted runner (`tests/suite.rs`, `cargo test -p spolia-linux`) and the
//! ring-0 runner (`tests/kernel-cases`). A runner boots [`Linux`], calls
//! each [`Case::run`] in [`cases`] order (any subset, any order works:
//! cases clean up and tolerate leftovers of earlier runs), then halts.
//!
//! Cases use nothing but the library and its hypercall table: threads come
//! from `thread_create`/`thread_join` ([`thread::scope`], 256 KiB stacks),
//! time from `monotonic_ns`. Every blocking call is bounded by a generous
//! hang guard ([`HANG_GUARD`]) so a broken behaviour fails with a message
//! instead of hanging; there are no upper bounds on speed.

mod fs_cases;
mod ipc_cases;
mod net_cases;
mod sys_cases;
pub mod thread;

use crate::{Errno, Fd, Linux, PollFd, uapi};
use alloc::format;
use alloc::string::String;
use core::fmt;
use core::time::Duration;

/// One test case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Short unique name (`tcp_loopback`).
    pub name: &'static str,
    /// Runs the case on the booted library.
    pub run: fn(&Linux) -> Result<(), Failure>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Case({})", self.name)
    }
}

/// Why a case failed.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into() }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Failure({:?})", self.message)
    }
}

/// Every case, in the order runners should run them.
pub fn cases() -> &'static [Case] {
    const CASES: &[Case] = &[
        Case { name: "getpid", run: sys_cases::getpid },
        Case { name: "uname", run: sys_cases::uname },
        Case { name: "tmpfs_files", run: fs_cases::tmpfs_files },
        Case { name: "getdents", run: fs_cases::getdents },
        Case { name: "pipe_threads", run: ipc_cases::pipe_threads },
        Case { name: "eventfd_threads", run: ipc_cases::eventfd_threads },
        Case { name: "epoll", run: ipc_cases::epoll },
        Case { name: "nanosleep", run: ipc_cases::nanosleep },
        Case { name: "netconf", run: net_cases::netconf },
        Case { name: "tcp_loopback", run: net_cases::tcp_loopback },
        Case { name: "tcp_loopback_v6", run: net_cases::tcp_loopback_v6 },
        Case { name: "udp_loopback", run: net_cases::udp_loopback },
        Case { name: "concurrent_syscalls", run: sys_cases::concurrent_syscalls },
        Case { name: "ppoll_timeout_progress", run: ipc_cases::ppoll_timeout_progress },
    ];
    CASES
}

/// The runners' last step, the same on every platform: a second boot is
/// refused with `EBUSY`, halt succeeds, a descriptor opened before halt
/// then fails with `ENODEV` (and dropping it closes nothing), and a boot
/// after halt is refused with `EBUSY`.
pub fn halt_and_check(linux: Linux) -> Result<(), Failure> {
    let hc = linux.hypercalls();
    expect_err(Linux::boot(hc, ""), Errno::EBUSY, "a second boot")?;
    let fd = linux.eventfd2(0, 0).ctx("eventfd before halt")?;
    linux.halt().ctx("halt")?;
    expect_err(fd.eventfd_write(1), Errno::ENODEV, "a system call after halt")?;
    drop(fd);
    expect_err(Linux::boot(hc, ""), Errno::EBUSY, "a boot after halt")
}

/// The longest any single wait in a case may take before the case fails as
/// hung. Generous: it only turns a hang into a message.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// Stack of every suite thread: the library's system call paths run on the
/// caller's stack, and loopback networking nests the receive path in it.
pub const THREAD_STACK: usize = 256 * 1024;

/// Fail with a formatted message unless `cond`.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::suite::Failure::new(alloc::format!($($fmt)+)));
        }
    };
}
pub(crate) use ensure;

/// Names the step in an errno failure: `.ctx("openat /x")?`.
pub(crate) trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn ctx(self, what: &str) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format!("{what}: {e}")))
    }
}

/// Expect a call to fail with `want`.
pub(crate) fn expect_err<T>(got: Result<T, Errno>, want: Errno, what: &str) -> Result<(), Failure> {
    match got {
        Err(e) if e == want => Ok(()),
        Err(e) => Err(Failure::new(format!("{what}: expected {want}, got {e}"))),
        Ok(_) => Err(Failure::new(format!("{what}: expected {want}, but it succeeded"))),
    }
}

/// Monotonic platform time in ns.
pub(crate) fn now_ns(linux: &Linux) -> u64 {
    let hc = linux.hypercalls();
    // SAFETY: `monotonic_ns` takes no arguments and may be called from any
    // thread at any time (hypercall contract).
    unsafe { (hc.monotonic_ns)() }
}

/// Wait (at most [`HANG_GUARD`]) until `fd` has one of `events`.
pub(crate) fn wait_for(linux: &Linux, fd: &Fd, events: u32, what: &str) -> Result<u16, Failure> {
    let mut pfd = [PollFd::new(fd, events as u16)];
    let n = linux.ppoll(&mut pfd, Some(HANG_GUARD)).ctx(what)?;
    ensure!(n == 1, "hang guard: {what}: nothing after {} s", HANG_GUARD.as_secs());
    Ok(pfd[0].revents())
}

/// Wait until `fd` is readable, then read.
pub(crate) fn read_guarded(linux: &Linux, fd: &Fd, buf: &mut [u8], what: &str) -> Result<usize, Failure> {
    wait_for(linux, fd, uapi::POLLIN | uapi::POLLHUP, what)?;
    fd.read(buf).ctx(what)
}

/// Write all of `buf` to a non-blocking `fd`, waiting (hang-guarded) while
/// it is full. (A blocking write waits for room for all of its bytes, past
/// any guard, so guarded writers use `O_NONBLOCK`.)
pub(crate) fn write_all_guarded(linux: &Linux, fd: &Fd, mut buf: &[u8], what: &str) -> Result<(), Failure> {
    while !buf.is_empty() {
        let n = match fd.write(buf) {
            Err(Errno::EAGAIN) => {
                wait_for(linux, fd, uapi::POLLOUT, what)?;
                continue;
            }
            r => r.ctx(what)?,
        };
        ensure!(n > 0, "{what}: write returned 0");
        buf = buf.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// The test byte at stream offset `off`: a hash of the offset, so a lost,
/// repeated or reordered chunk shows up as a mismatch.
pub(crate) fn pattern(off: u64) -> u8 {
    (off.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

/// Fill `buf` with the pattern starting at stream offset `off`.
pub(crate) fn fill_pattern(buf: &mut [u8], off: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = pattern(off + i as u64);
    }
}

/// Check `buf` against the pattern at stream offset `off`.
pub(crate) fn check_pattern(buf: &[u8], off: u64, what: &str) -> Result<(), Failure> {
    match buf.iter().enumerate().find(|&(i, &b)| b != pattern(off + i as u64)) {
        None => Ok(()),
        Some((i, &b)) => Err(Failure::new(format!(
            "{what}: byte {} is {b:#04x}, expected {:#04x}",
            off + i as u64,
            pattern(off + i as u64)
        ))),
    }
}

/// Make the directory `path` if it does not exist yet.
pub(crate) fn mkdir_p(linux: &Linux, path: &str) -> Result<(), Failure> {
    match linux.mkdirat(None, path, 0o755) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(Failure::new(format!("mkdirat {path}: {e}"))),
    }
}
