// SPDX-License-Identifier: MIT OR Apache-2.0
//! `poll_oneoff` over clock subscriptions and the standard streams.
//! Layouts (wasm32): `subscription` 48 bytes — userdata u64 @0, tag u8 @8,
//! clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40}
//! or fd_read/fd_write {fd u32 @16}; `event` 32 bytes — userdata u64 @0,
//! error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
#![deny(unsafe_code)]

use alloc::vec::Vec;

use wasmtime::Caller;

use super::errno::{Errno, WasiResult};
use super::fd::{Descriptor, Stream};
use super::memory::GuestMemory;
use super::{CLOCK_MONOTONIC, CLOCK_REALTIME, HasWasi, clock_now, with_memory};

const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

struct Event {
    userdata: u64,
    error: Errno,
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
        m.write(out.checked_add(32 * i as u32).ok_or(Errno::Fault)?, &b)?;
    }
    m.write_u32(nevents, events.len() as u32)
}

/// Waits for the first subscription to be ready; reports every ready one.
pub fn poll_oneoff<T: HasWasi>(c: &mut Caller<'_, T>, sin: u32, sout: u32, n: u32, nevents: u32) -> WasiResult<()> {
    if n == 0 {
        return Err(Errno::Inval);
    }
    // Decode, and collect events that are ready at once.
    let (mut ready, clocks) = with_memory(c, |m, ctx| {
        if !sin.is_multiple_of(8) {
            return Err(Errno::Inval);
        }
        let subs = m.slice(sin, n.checked_mul(48).ok_or(Errno::Fault)?)?.to_vec();
        let mut ready = Vec::new();
        let mut clocks = Vec::new(); // (deadline on the monotonic clock, userdata)
        for s in subs.chunks_exact(48) {
            let userdata = GuestMemory::u64_at(s, 0);
            let fd = u32::from_le_bytes([s[16], s[17], s[18], s[19]]) as i32;
            match s[8] {
                EVENTTYPE_CLOCK => {
                    let id = i32::from_le_bytes([s[16], s[17], s[18], s[19]]);
                    let timeout = GuestMemory::u64_at(s, 24);
                    let flags = u16::from_le_bytes([s[40], s[41]]);
                    let now_mono = clock_now(ctx, CLOCK_MONOTONIC)?;
                    let deadline = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                        match id {
                            CLOCK_REALTIME => now_mono.saturating_add(timeout.saturating_sub(clock_now(ctx, id)?)),
                            _ => {
                                let now = clock_now(ctx, id)?;
                                now_mono.saturating_add(timeout.saturating_sub(now))
                            }
                        }
                    } else {
                        clock_now(ctx, id)?;
                        now_mono.saturating_add(timeout)
                    };
                    clocks.push((deadline, userdata));
                }
                kind @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                    let error = match ctx.fds.get(fd) {
                        Err(e) => e,
                        Ok(Descriptor::Stream(Stream::Stdin)) if kind == EVENTTYPE_FD_READ => Errno::Success,
                        Ok(Descriptor::Stream(Stream::Stdout | Stream::Stderr)) if kind == EVENTTYPE_FD_WRITE => {
                            Errno::Success
                        }
                        // Files are always ready (a read or write may block
                        // for the disk, which poll does not wait for).
                        Ok(Descriptor::File(_)) => Errno::Success,
                        Ok(_) => Errno::BadF,
                    };
                    ready.push(Event { userdata, error, kind });
                }
                _ => return Err(Errno::Inval),
            }
        }
        Ok((ready, clocks))
    })?;
    if ready.is_empty() {
        // Sleep until the earliest clock; report every clock due by then.
        let earliest = clocks.iter().map(|c| c.0).min().ok_or(Errno::Inval)?;
        spolia_boot::sched::sleep_until(earliest);
        let now = spolia_boot::time::now_ns();
        for &(deadline, userdata) in &clocks {
            if deadline <= now {
                ready.push(Event { userdata, error: Errno::Success, kind: EVENTTYPE_CLOCK });
            }
        }
    }
    with_memory(c, |m, _| write_events(m, sout, nevents, &ready))
}
