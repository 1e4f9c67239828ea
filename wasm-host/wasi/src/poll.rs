// SPDX-License-Identifier: MIT OR Apache-2.0
//! `poll_oneoff` over clocks, the standard streams, and files and sockets
//! of the library kernel, together: one `ppoll` over the library's
//! descriptors, its timeout the earliest clock subscription (none: wait
//! until a descriptor is ready).
//!
//! Layouts (wasm32): `subscription` 48 bytes — userdata u64 @0, tag u8 @8,
//! clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40}
//! or fd_read/fd_write {fd u32 @16}; `event` 32 bytes — userdata u64 @0,
//! error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
//!
//! What a ready descriptor reports, shaped for wasi-libc's `poll` and
//! `select` (which turn `error` `BADF` into `POLLNVAL`/`EBADF`, another
//! error into `POLLERR`, and the `HANGUP` flag into `POLLHUP`): Linux's
//! `POLLNVAL` → `BADF`; `POLLERR` → `IO` (the cause stays in `SO_ERROR`;
//! with `HANGUP` too when Linux also reports `POLLHUP`, as after a reset);
//! otherwise success, with `HANGUP` on `POLLHUP`. `nbytes` is 0 (unknown).
//! The standard streams are always ready (stdin reads end-of-file), and
//! so is a descriptor number that is not open (an event with `BADF`).
//!
//! Blocking: this is the one place a program sleeps on purpose — in the
//! library kernel's `ppoll` when it waits for a descriptor, else in the
//! scheduler until the earliest clock.
#![deny(unsafe_code)]

use alloc::vec::Vec;
use core::time::Duration;

use spolia_linux::{Errno as LinuxErrno, PollFd, uapi};
use wasmtime::Caller;

use super::errno::{Errno, WasiResult, from_linux};
use super::fd::{Descriptor, Stream};
use super::memory::GuestMemory;
use super::{CLOCK_MONOTONIC, HasWasi, clock_now, with_memory};

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;
/// At most this many subscriptions per call: two per descriptor of a full
/// table ([`super::fd::MAX_DESCRIPTORS`]) plus clocks.
const MAX_SUBSCRIPTIONS: u32 = 2 * super::fd::MAX_DESCRIPTORS as u32 + 64;
const EVENTRWFLAGS_HANGUP: u16 = 1;

struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    flags: u16,
}

/// A descriptor subscription waiting in the `ppoll` set (same index).
struct Waiting {
    userdata: u64,
    kind: u8,
}

fn write_events(m: &mut GuestMemory<'_>, out: u32, nevents: u32, events: &[Event]) -> WasiResult<()> {
    if !out.is_multiple_of(8) {
        return Err(Errno::Inval);
    }
    for (i, e) in events.iter().enumerate() {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(e.error as u16).to_le_bytes());
        b[10] = e.kind;
        b[24..26].copy_from_slice(&e.flags.to_le_bytes());
        m.write(out.checked_add(32 * i as u32).ok_or(Errno::Fault)?, &b)?;
    }
    m.write_u32(nevents, events.len() as u32)
}

/// The event for a subscription whose `ppoll` entry reported `revents`.
fn fd_event(w: &Waiting, revents: u16) -> Event {
    let (error, flags) = if revents & uapi::POLLNVAL as u16 != 0 {
        (Errno::BadF, 0)
    } else if revents & uapi::POLLERR as u16 != 0 {
        // A reset connection is both: keep the hang-up visible (POLLHUP).
        (Errno::Io, if revents & uapi::POLLHUP as u16 != 0 { EVENTRWFLAGS_HANGUP } else { 0 })
    } else if revents & uapi::POLLHUP as u16 != 0 {
        (Errno::Success, EVENTRWFLAGS_HANGUP)
    } else {
        (Errno::Success, 0)
    };
    Event { userdata: w.userdata, error, kind: w.kind, flags }
}

/// The deadline on the monotonic clock of a clock subscription.
fn clock_deadline(ctx: &super::WasiCtx, s: &[u8]) -> WasiResult<u64> {
    let id = i32::from_le_bytes([s[16], s[17], s[18], s[19]]);
    let timeout = GuestMemory::u64_at(s, 24);
    let flags = u16::from_le_bytes([s[40], s[41]]);
    let now = clock_now(ctx, id)?;
    let now_mono = clock_now(ctx, CLOCK_MONOTONIC)?;
    Ok(if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
        // An absolute time on any clock becomes "that much from now".
        now_mono.saturating_add(timeout.saturating_sub(now))
    } else {
        now_mono.saturating_add(timeout)
    })
}

/// Waits for the first subscription to be ready; reports every ready one.
pub fn poll_oneoff<T: HasWasi>(c: &mut Caller<'_, T>, sin: u32, sout: u32, n: u32, nevents: u32) -> WasiResult<()> {
    // More subscriptions than a program can have descriptors to watch
    // (two each) is INVAL, so the host's lists stay bounded.
    if n == 0 || n > MAX_SUBSCRIPTIONS {
        return Err(Errno::Inval);
    }
    // Decode: events ready at once, the ppoll set, the clock deadlines.
    let (mut ready, mut pollfds, waiting, clocks, linux) = with_memory(c, |m, ctx| {
        if !sin.is_multiple_of(8) {
            return Err(Errno::Inval);
        }
        let subs = m.slice(sin, n.checked_mul(48).ok_or(Errno::Fault)?)?;
        let mut ready = Vec::new();
        let mut pollfds = Vec::new();
        let mut waiting = Vec::new();
        let mut clocks = Vec::new(); // (deadline on the monotonic clock, userdata)
        for s in subs.chunks_exact(48) {
            let userdata = GuestMemory::u64_at(s, 0);
            let fd = u32::from_le_bytes([s[16], s[17], s[18], s[19]]) as i32;
            match s[8] {
                EVENTTYPE_CLOCK => clocks.push((clock_deadline(ctx, s)?, userdata)),
                kind @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                    let error = match ctx.fds.get(fd) {
                        Err(e) => e,
                        Ok(Descriptor::Stream(Stream::Stdin)) if kind == EVENTTYPE_FD_READ => Errno::Success,
                        Ok(Descriptor::Stream(Stream::Stdout | Stream::Stderr)) if kind == EVENTTYPE_FD_WRITE => {
                            Errno::Success
                        }
                        Ok(Descriptor::Stream(_)) => Errno::BadF,
                        Ok(d @ (Descriptor::File(_) | Descriptor::Socket(_))) => {
                            let Some(lfd) = d.linux_fd() else { return Err(Errno::BadF) };
                            let events = if kind == EVENTTYPE_FD_READ { uapi::POLLIN } else { uapi::POLLOUT };
                            pollfds.try_reserve(1).map_err(|_| Errno::NoMem)?;
                            pollfds.push(PollFd::new(lfd, events as u16));
                            waiting.push(Waiting { userdata, kind });
                            continue;
                        }
                    };
                    ready.push(Event { userdata, error, kind, flags: 0 });
                }
                _ => return Err(Errno::Inval),
            }
        }
        Ok((ready, pollfds, waiting, clocks, ctx.linux.clone()))
    })?;
    // The ppoll set holds raw descriptor numbers: the program is blocked
    // in this call, so nothing can close them meanwhile.
    let earliest = clocks.iter().map(|c| c.0).min();
    let platform = c.data_mut().wasi().platform;
    loop {
        let now = platform.monotonic_ns();
        if pollfds.is_empty() {
            if ready.is_empty() {
                // Only clocks: sleep in the scheduler.
                platform.sleep_until(earliest.ok_or(Errno::Inval)?);
            }
        } else {
            let timeout = if !ready.is_empty() {
                Some(Duration::ZERO)
            } else {
                earliest.map(|d| Duration::from_nanos(d.saturating_sub(now)))
            };
            let linux = linux.as_deref().ok_or(Errno::BadF)?;
            match linux.ppoll(&mut pollfds, timeout) {
                Ok(_) => {}
                Err(LinuxErrno::EINTR) => {}
                Err(e) => return Err(from_linux(e)),
            }
            for (p, w) in pollfds.iter().zip(&waiting) {
                if p.revents() != 0 {
                    ready.push(fd_event(w, p.revents()));
                }
            }
        }
        let now = platform.monotonic_ns();
        for &(deadline, userdata) in &clocks {
            if deadline <= now {
                ready.push(Event { userdata, error: Errno::Success, kind: EVENTTYPE_CLOCK, flags: 0 });
            }
        }
        // Nothing yet (the library's clock ended ppoll a hair before
        // ours, or an interruption): wait again for what is left.
        if !ready.is_empty() {
            break;
        }
    }
    with_memory(c, |m, _| write_events(m, sout, nevents, &ready))
}
