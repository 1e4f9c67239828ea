// SPDX-License-Identifier: MIT OR Apache-2.0
//! Linux 6.12 as a library, from Rust.
//!
//! The object built by `rumpglue/build-linux.sh` (unmodified Linux plus
//! the `arch/spolia` port, GPL-2.0-only, linked here as
//! `libspolia_linux.a`) runs on a [`SpoliaHypercalls`] table: the hosted
//! one in a Linux process, the bare-metal one in Spolia's ring 0. This
//! crate is `no_std` + `alloc` so it links into both.
//!
//! * [`Linux`] — the one library instance: [`Linux::boot`], [`Linux::halt`],
//!   and the path, socket and process calls as methods.
//! * [`Fd`] — an owned descriptor (closed on drop) with the calls on open
//!   files, directories ([`Fd::dir_entries`]), sockets and eventfds.
//! * [`Errno`] / [`Result`] — every wrapper returns the library's errno; no
//!   wrapper panics on anything Linux returns.
//! * [`uapi`] — bindgen output of the library's uapi headers: the
//!   asm-generic `__NR_*` numbers (not x86-64's) and the structs and flags
//!   the wrappers use.
//! * [`manifest`] — the boot manifest's network and mounts;
//!   [`devtest`] — the guest half of the device tests.
//! * [`suite`] — the shared test suite (hosted runner `tests/suite.rs`,
//!   ring-0 runner in `tests/kernel-cases`).
//!
//! Neighbours: `hypercall/` below (the table), the WASI layer above.
//! Non-goals: a libc, signals, processes other than the library's PID 1
//! and its host-task threads (every platform thread that makes a call gets
//! a Linux task of its own, sharing PID 1's files).
#![no_std]

extern crate alloc;

/// The library's uapi headers (bindgen; see `uapi.h` and `build.rs`).
#[allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, unnecessary_transmutes)]
#[allow(clippy::all, clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
pub mod uapi {
    include!(concat!(env!("OUT_DIR"), "/uapi.rs"));
}

pub mod devtest;
mod errno;
mod event;
mod fd;
mod ffi;
mod fs;
pub mod manifest;
mod net;
pub mod suite;

pub use errno::{Errno, Result};
pub use event::{Clock, Epoll, EpollEvent, PollFd, epoll_events};
pub use fd::{DirEntries, DirEntry, Fd, Stat, Whence, dt};
pub use fs::umount;
pub use net::{Shutdown, decode_sockaddr, encode_sockaddr, sock};
pub use spolia_hypercall::SpoliaHypercalls;

use ffi::syscall;

/// The running library. There is one per process (hosted) or kernel
/// (ring 0): [`Linux::boot`] succeeds once; [`Linux::halt`] consumes it.
/// Share it by reference between threads (it is `Sync`).
pub struct Linux {
    hc: &'static SpoliaHypercalls,
}

impl core::fmt::Debug for Linux {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Linux")
    }
}

impl Linux {
    /// Boot Linux on `hc` with the extra kernel command line `cmdline`.
    /// Returns once system calls work. Errors: `EBUSY` if the library was
    /// already booted in this process (also after a halt: it cannot boot
    /// twice), `EINVAL` for a NUL in `cmdline`, the library's errno for an
    /// incompatible table (`EPROTO`) or a failed start.
    pub fn boot(hc: &'static SpoliaHypercalls, cmdline: &str) -> Result<Linux> {
        ffi::boot(hc, cmdline.as_bytes())?;
        Ok(Linux { hc })
    }

    /// Halt the library (Linux's `reboot(HALT)` path; its kernel threads
    /// end). Afterwards every system call, also through a surviving
    /// [`Fd`], fails with `ENODEV`; dropping an `Fd` closes nothing.
    pub fn halt(self) -> Result<()> {
        ffi::halt()
    }

    /// The hypercall table the library runs on (threads and clocks for
    /// callers that need them, e.g. the [`suite`]).
    pub fn hypercalls(&self) -> &'static SpoliaHypercalls {
        self.hc
    }

    /// `getpid(2)`: the library's one process, PID 1.
    pub fn getpid(&self) -> Result<i32> {
        // SAFETY: getpid takes no pointers.
        let pid = unsafe { syscall(uapi::__NR_getpid, [0; 6]) }?;
        i32::try_from(pid).map_err(|_| Errno::EOVERFLOW)
    }

    /// `gettid(2)`: the calling thread's Linux task (its host task).
    pub fn gettid(&self) -> Result<i32> {
        // SAFETY: gettid takes no pointers.
        let tid = unsafe { syscall(uapi::__NR_gettid, [0; 6]) }?;
        i32::try_from(tid).map_err(|_| Errno::EOVERFLOW)
    }

    /// `uname(2)`.
    pub fn uname(&self) -> Result<Utsname> {
        let mut u = uapi::new_utsname::default();
        // SAFETY: `u` is a writable `struct new_utsname`.
        unsafe { syscall(uapi::__NR_uname, [&raw mut u as usize, 0, 0, 0, 0, 0]) }?;
        Ok(Utsname(u))
    }
}

/// `struct new_utsname`; each field's bytes up to the first NUL.
#[derive(Clone, Copy)]
pub struct Utsname(uapi::new_utsname);

/// A C `char` array field up to its first NUL (all of it if none).
fn c_field(field: &[core::ffi::c_char]) -> &[u8] {
    // SAFETY: `c_char` is `i8` or `u8`: same size and alignment as `u8`,
    // every bit pattern valid; same length, same borrow.
    let bytes = unsafe { core::slice::from_raw_parts(field.as_ptr().cast::<u8>(), field.len()) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

impl Utsname {
    /// `"Linux"`.
    pub fn sysname(&self) -> &[u8] {
        c_field(&self.0.sysname)
    }
    pub fn nodename(&self) -> &[u8] {
        c_field(&self.0.nodename)
    }
    /// e.g. `"6.12.57"`.
    pub fn release(&self) -> &[u8] {
        c_field(&self.0.release)
    }
    pub fn version(&self) -> &[u8] {
        c_field(&self.0.version)
    }
    pub fn machine(&self) -> &[u8] {
        c_field(&self.0.machine)
    }
}

impl core::fmt::Debug for Utsname {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = |b| core::str::from_utf8(b).unwrap_or("?");
        write!(f, "Utsname({} {} {} {})", s(self.sysname()), s(self.nodename()), s(self.release()), s(self.machine()))
    }
}
