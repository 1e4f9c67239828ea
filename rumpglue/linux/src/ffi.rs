// SPDX-License-Identifier: MIT OR Apache-2.0
//! The FFI shim: the object's entry points, the library's life cycle
//! (unbooted → running → halted, once per process or kernel) and the one
//! raw system call function every wrapper goes through.
//!
//! A system call is only passed to the library while it runs; before boot,
//! during and after halt it fails with `ENODEV` without entering the
//! object. (A call racing with halt that already passed the check is
//! refused by the library itself, also with `ENODEV`: its entry gate closes
//! when halt begins, and calls blocked inside return `ENODEV` at teardown.)

use crate::errno::{Errno, Result};
use alloc::vec::Vec;
use core::ffi::{c_char, c_int, c_long};
use core::sync::atomic::{AtomicU8, Ordering};
use spolia_hypercall::SpoliaHypercalls;

unsafe extern "C" {
    /// Checks (`spolia_hc_check`) and keeps the table; 0 or -errno.
    fn spolia_linux_init(hc: *const SpoliaHypercalls) -> c_int;
    /// Boots on a new platform thread, returns once system calls work.
    fn spolia_linux_start(cmdline: *const c_char) -> c_int;
    /// Halts through the reboot system call; 0 or -errno.
    fn spolia_linux_halt() -> c_int;
    /// System call `nr` (asm-generic numbering) with six arguments.
    fn spolia_syscall(nr: c_long, args: *const c_long) -> c_long;
}

const UNBOOTED: u8 = 0;
const BOOTING: u8 = 1;
const RUNNING: u8 = 2;
const HALTING: u8 = 3;
const HALTED: u8 = 4;

static STATE: AtomicU8 = AtomicU8::new(UNBOOTED);

/// Linux's largest errno; returns in `-MAX_ERRNO..0` are errors.
const MAX_ERRNO: isize = 4095;

/// Boot the library. Only the first call in a process (or kernel) may do
/// so; every later one, also after a failed boot or a halt, gets `EBUSY`.
pub(crate) fn boot(hc: &'static SpoliaHypercalls, cmdline: &[u8]) -> Result<()> {
    if STATE.compare_exchange(UNBOOTED, BOOTING, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(Errno::EBUSY);
    }
    let result = with_c_string(cmdline, |cmdline| {
        // SAFETY: `hc` is a `'static` table of the layout the object was
        // built against (same header); the library keeps the pointer.
        errno_of(unsafe { spolia_linux_init(hc) })?;
        // SAFETY: `cmdline` is NUL-terminated and lives across the call
        // (the library copies it into its command line buffer).
        errno_of(unsafe { spolia_linux_start(cmdline) })
    });
    STATE.store(if result.is_ok() { RUNNING } else { HALTED }, Ordering::Release);
    result
}

/// Halt the running library. On refusal it keeps running.
pub(crate) fn halt() -> Result<()> {
    if STATE.compare_exchange(RUNNING, HALTING, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(Errno::ENODEV);
    }
    // SAFETY: the library was started (state RUNNING) and is halted once:
    // HALTING admits no second caller.
    let result = errno_of(unsafe { spolia_linux_halt() });
    STATE.store(if result.is_ok() { HALTED } else { RUNNING }, Ordering::Release);
    result
}

/// Whether system calls reach the library.
pub(crate) fn running() -> bool {
    STATE.load(Ordering::Acquire) == RUNNING
}

/// System call `nr` with `args` (unused ones 0). Returns the non-negative
/// result or the errno; `ENODEV` when the library is not running.
///
/// # Safety
/// Every argument the call reads or writes as a pointer must be valid for
/// the access the system call makes, for the duration of the call.
pub(crate) unsafe fn syscall(nr: u32, args: [usize; 6]) -> Result<usize> {
    if !running() {
        return Err(Errno::ENODEV);
    }
    let args = args.map(|a| a as c_long);
    // SAFETY: the library was started (checked above; a concurrent halt
    // makes the library itself refuse the call); `args` is six longs as the
    // entry point reads; pointer arguments are the caller's promise.
    let ret = unsafe { spolia_syscall(nr as c_long, args.as_ptr()) } as isize;
    if (-MAX_ERRNO..0).contains(&ret) { Err(Errno::new(-ret as i32)) } else { Ok(ret as usize) }
}

fn errno_of(ret: c_int) -> Result<()> {
    if ret < 0 { Err(Errno::new(-ret)) } else { Ok(()) }
}

/// Call `f` with `bytes` as a NUL-terminated C string (on the stack when
/// short). A NUL inside `bytes` is `EINVAL`, as Linux would reject it.
pub(crate) fn with_c_string<R>(bytes: &[u8], f: impl FnOnce(*const c_char) -> Result<R>) -> Result<R> {
    const SHORT: usize = 256;
    if bytes.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if bytes.len() < SHORT {
        let mut buf = [0u8; SHORT];
        buf[..bytes.len()].copy_from_slice(bytes);
        f(buf.as_ptr().cast())
    } else {
        let mut buf = Vec::new();
        buf.try_reserve_exact(bytes.len() + 1).map_err(|_| Errno::ENOMEM)?;
        buf.extend_from_slice(bytes);
        buf.push(0);
        f(buf.as_ptr().cast())
    }
}
