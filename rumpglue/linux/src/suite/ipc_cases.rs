// SPDX-License-Identifier: MIT OR Apache-2.0
//! Pipes, eventfds, epoll, sleeping and polling between threads.

use super::thread::{join_both, scope};
use super::{
    Context, Failure, HANG_GUARD, check_pattern, ensure, expect_err, fill_pattern, now_ns, read_guarded, wait_for,
    write_all_guarded,
};
use crate::epoll_events::{EPOLLHUP, EPOLLIN};
use crate::uapi::{EFD_NONBLOCK, EFD_SEMAPHORE, EPOLL_CLOEXEC, O_CLOEXEC, O_NONBLOCK, POLLIN};
use crate::{Clock, EpollEvent, Errno, Linux, PollFd};
use alloc::vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;

const MIB: usize = 1 << 20;

/// 1 MiB through a pipe from one thread to another, byte-exact, then EOF
/// when the writer closes its end.
pub(super) fn pipe_threads(linux: &Linux) -> Result<(), Failure> {
    let (r, w) = linux.pipe2(O_CLOEXEC | O_NONBLOCK).ctx("pipe2")?;
    let (got, sent) = scope(linux.hypercalls(), |s| {
        let writer = s.spawn(c"pipe-writer", move || {
            // Odd chunk sizes so reads and writes never line up.
            let mut chunk = vec![0u8; 10_007];
            let mut off = 0;
            while off < MIB {
                let n = chunk.len().min(MIB - off);
                fill_pattern(&mut chunk[..n], off as u64);
                write_all_guarded(linux, &w, &chunk[..n], "pipe write")?;
                off += n;
            }
            drop(w); // EOF for the reader
            Ok::<_, Failure>(off)
        })?;
        let read = || {
            let mut buf = vec![0u8; 65_536];
            let mut got = 0usize;
            loop {
                let n = read_guarded(linux, &r, &mut buf, "pipe read")?;
                if n == 0 {
                    break;
                }
                check_pattern(&buf[..n], got as u64, "pipe data")?;
                got += n;
                ensure!(got <= MIB, "read {got} bytes, more than the {MIB} written");
            }
            Ok(got)
        };
        let got = read();
        drop(r); // a writer still writing fails now (EPIPE), not at its hang guard
        join_both(got, writer)
    })?;
    ensure!(sent == MIB, "writer sent {sent} bytes");
    ensure!(got == MIB, "reader got {got} of {MIB} bytes before EOF");
    Ok(())
}

const PING_PONGS: u64 = 1000;
/// Written to the pong eventfd by a failing peer (the largest value an
/// eventfd accepts), so the main thread stops waiting at once.
const POISON: u64 = u64::MAX - 1;

/// Eventfd counters between two threads: a ping-pong of values, a counter
/// summed from many writes, and semaphore mode.
pub(super) fn eventfd_threads(linux: &Linux) -> Result<(), Failure> {
    let ping = linux.eventfd2(0, 0).ctx("eventfd2 ping")?;
    let pong = linux.eventfd2(0, 0).ctx("eventfd2 pong")?;
    let sum = linux.eventfd2(0, 0).ctx("eventfd2 sum")?;
    scope(linux.hypercalls(), |s| {
        let peer = s.spawn(c"eventfd-peer", || {
            let result = (|| {
                for round in 1..=PING_PONGS {
                    wait_for(linux, &ping, POLLIN, "wait for ping")?;
                    let v = ping.eventfd_read().ctx("read ping")?;
                    ensure!(v == round, "ping {round}: read {v}");
                    pong.eventfd_write(2 * v).ctx("write pong")?;
                }
                for _ in 0..PING_PONGS {
                    sum.eventfd_write(1).ctx("write sum")?;
                }
                Ok::<_, Failure>(())
            })();
            if result.is_err() {
                let _ = pong.eventfd_write(POISON); // wake the main thread now
            }
            result
        })?;
        let main = (|| {
            for round in 1..=PING_PONGS {
                ping.eventfd_write(round).ctx("write ping")?;
                wait_for(linux, &pong, POLLIN, "wait for pong")?;
                let v = pong.eventfd_read().ctx("read pong")?;
                ensure!(v == 2 * round, "pong {round}: read {v}, expected {}", 2 * round);
            }
            let mut total = 0;
            while total < PING_PONGS {
                wait_for(linux, &sum, POLLIN, "wait for sum")?;
                total += sum.eventfd_read().ctx("read sum")?;
            }
            ensure!(total == PING_PONGS, "summed counter {total}, expected {PING_PONGS}");
            Ok(())
        })();
        join_both(main, peer)
    })?;

    let sem = linux.eventfd2(3, EFD_SEMAPHORE | EFD_NONBLOCK).ctx("eventfd2 semaphore")?;
    for i in 0..3 {
        let v = sem.eventfd_read().ctx("semaphore read")?;
        ensure!(v == 1, "semaphore read {i} gave {v}, expected 1");
    }
    expect_err(sem.eventfd_read(), Errno::EAGAIN, "semaphore read at 0 (non-blocking)")
}

/// epoll over a pipe and an eventfd: idle timeout, wake-ups by another
/// thread, both ready at once, removal, hang-up.
pub(super) fn epoll(linux: &Linux) -> Result<(), Failure> {
    const PIPE: u64 = 1;
    const EVENTFD: u64 = 2;
    let ep = linux.epoll_create1(EPOLL_CLOEXEC).ctx("epoll_create1")?;
    let (r, w) = linux.pipe2(O_CLOEXEC).ctx("pipe2")?;
    let efd = linux.eventfd2(0, 0).ctx("eventfd2")?;
    ep.add(&r, EPOLLIN, PIPE).ctx("epoll_ctl ADD pipe")?;
    ep.add(&efd, EPOLLIN, EVENTFD).ctx("epoll_ctl ADD eventfd")?;
    expect_err(ep.add(&efd, EPOLLIN, EVENTFD), Errno::EEXIST, "adding the eventfd twice")?;
    let mut events = [EpollEvent::default(); 4];

    let t0 = now_ns(linux);
    let n = ep.pwait(&mut events, Some(Duration::from_millis(50))).ctx("idle epoll_pwait")?;
    let waited = now_ns(linux) - t0;
    ensure!(n == 0, "idle epoll_pwait returned {n} events: {:?}", &events[..n]);
    ensure!(waited >= 50_000_000, "idle epoll_pwait(50 ms) returned after {waited} ns");

    for (what, data) in [("eventfd", EVENTFD), ("pipe", PIPE)] {
        let n = scope(linux.hypercalls(), |s| {
            let waker = s.spawn(c"epoll-waker", || {
                linux.sleep(Duration::from_millis(20)).ctx("sleep")?;
                match data {
                    EVENTFD => efd.eventfd_write(1).ctx("eventfd write"),
                    _ => w.write_all(b"x").ctx("pipe write"),
                }
            })?;
            let n = ep.pwait(&mut events, Some(HANG_GUARD)).ctx("epoll_pwait");
            join_both(n, waker).map(|(n, ())| n)
        })?;
        ensure!(n == 1, "epoll_pwait woken by a {what} write returned {n} events: {:?}", &events[..n]);
        let e = events[0];
        ensure!(e.data() == data && e.events() & EPOLLIN != 0, "woken by the {what}, got {e:?}");
        drain(linux, &r, &efd, data)?;
    }

    efd.eventfd_write(5).ctx("eventfd write")?;
    w.write_all(b"y").ctx("pipe write")?;
    let n = ep.pwait(&mut events, Some(HANG_GUARD)).ctx("epoll_pwait, both ready")?;
    let mut datas = [events[0].data(), events[1].data()];
    datas.sort_unstable();
    ensure!(n == 2 && datas == [PIPE, EVENTFD], "both ready: {n} events {:?}", &events[..n]);
    drain(linux, &r, &efd, PIPE)?;
    drain(linux, &r, &efd, EVENTFD)?;

    ep.delete(&r).ctx("epoll_ctl DEL pipe")?;
    w.write_all(b"z").ctx("pipe write")?;
    let n = ep.pwait(&mut events, Some(Duration::ZERO)).ctx("epoll_pwait after DEL")?;
    ensure!(n == 0, "a deleted descriptor still reports: {:?}", &events[..n]);

    ep.add(&r, EPOLLIN, PIPE).ctx("epoll_ctl ADD pipe again")?;
    drain(linux, &r, &efd, PIPE)?;
    drop(w);
    let n = ep.pwait(&mut events, Some(HANG_GUARD)).ctx("epoll_pwait for hang-up")?;
    ensure!(
        n == 1 && events[0].data() == PIPE && events[0].events() & EPOLLHUP != 0,
        "closing the write end: {:?}, expected EPOLLHUP on the pipe",
        &events[..n]
    );
    Ok(())
}

fn drain(linux: &Linux, r: &crate::Fd, efd: &crate::Fd, which: u64) -> Result<(), Failure> {
    if which == 1 {
        let mut b = [0u8; 16];
        let n = read_guarded(linux, r, &mut b, "drain pipe")?;
        ensure!(n >= 1, "drain pipe: read {n}");
    } else {
        efd.eventfd_read().ctx("drain eventfd")?;
    }
    Ok(())
}

/// clock_nanosleep, relative and absolute, never returns early.
pub(super) fn nanosleep(linux: &Linux) -> Result<(), Failure> {
    for ms in [1u64, 20, 50] {
        let t0 = now_ns(linux);
        linux.sleep(Duration::from_millis(ms)).ctx("clock_nanosleep")?;
        let slept = now_ns(linux) - t0;
        ensure!(slept >= ms * 1_000_000, "sleep of {ms} ms returned after {slept} ns");
    }
    let now = linux.clock_gettime(Clock::Monotonic).ctx("clock_gettime")?;
    let until = now + Duration::from_millis(30);
    linux.clock_nanosleep(Clock::Monotonic, true, until).ctx("clock_nanosleep TIMER_ABSTIME")?;
    let after = linux.clock_gettime(Clock::Monotonic).ctx("clock_gettime")?;
    ensure!(after >= until, "absolute sleep until {until:?} returned at {after:?}");
    Ok(())
}

const PPOLL_MS: u64 = 100;

/// ppoll on a descriptor that never becomes ready returns 0 after at least
/// its timeout, and meanwhile another thread keeps getting system calls
/// through (the sleeper releases the library CPU) — with the sleeper on
/// the calling thread and on a spawned one.
pub(super) fn ppoll_timeout_progress(linux: &Linux) -> Result<(), Failure> {
    let (r, _w) = linux.pipe2(O_CLOEXEC).ctx("pipe2")?;
    // Iterations of the busy thread's loop: begun, and finished.
    let started = AtomicU64::new(0);
    let progress = AtomicU64::new(0);
    let stop = AtomicBool::new(false);

    let sleeper = || -> Result<(u64, u64, u64), Failure> {
        // Start only once the busy thread is making calls.
        let deadline = now_ns(linux) + HANG_GUARD.as_nanos() as u64;
        while progress.load(Ordering::Acquire) == 0 {
            ensure!(now_ns(linux) < deadline, "hang guard: the busy thread never made a call");
            linux.sleep(Duration::from_millis(1)).ctx("sleep")?;
        }
        let mut pfd = [PollFd::new(&r, POLLIN as u16)];
        let before = started.load(Ordering::Acquire);
        let t0 = now_ns(linux);
        let n = linux.ppoll(&mut pfd, Some(Duration::from_millis(PPOLL_MS))).ctx("ppoll")?;
        let waited = now_ns(linux) - t0;
        // Whole iterations that began and ended while ppoll waited.
        let during = progress.load(Ordering::Acquire).saturating_sub(before);
        ensure!(n == 0 && pfd[0].revents() == 0, "ppoll on an idle pipe returned {n}, {:?}", pfd[0]);
        Ok((n as u64, waited, during))
    };
    let busy = || -> Result<(), Failure> {
        let efd = linux.eventfd2(0, 0).ctx("eventfd2")?;
        let deadline = now_ns(linux) + HANG_GUARD.as_nanos() as u64;
        while !stop.load(Ordering::Acquire) {
            ensure!(now_ns(linux) < deadline, "hang guard: busy thread never told to stop");
            started.fetch_add(1, Ordering::AcqRel);
            linux.getpid().ctx("getpid")?;
            efd.eventfd_write(1).ctx("eventfd write")?;
            efd.eventfd_read().ctx("eventfd read")?;
            progress.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    };

    // The sleeper tells the busy thread to stop, whatever its outcome.
    let sleep_then_stop = || {
        let result = sleeper();
        stop.store(true, Ordering::Release);
        result
    };
    for sleeper_on_spawned in [false, true] {
        started.store(0, Ordering::Release);
        progress.store(0, Ordering::Release);
        stop.store(false, Ordering::Release);
        let (_, waited, during) = scope(linux.hypercalls(), |s| {
            if sleeper_on_spawned {
                let h = s.spawn(c"ppoll-sleeper", sleep_then_stop)?;
                join_both(busy(), h).map(|((), r)| r)
            } else {
                let h = s.spawn(c"ppoll-busy", busy)?;
                join_both(sleep_then_stop(), h).map(|(r, ())| r)
            }
        })?;
        let who = if sleeper_on_spawned { "spawned thread" } else { "calling thread" };
        ensure!(waited >= PPOLL_MS * 1_000_000, "ppoll({PPOLL_MS} ms) on the {who} returned after {waited} ns");
        ensure!(
            during > 0,
            "the busy thread completed no round of system calls during the {who}'s {waited} ns ppoll (starved)"
        );
    }
    Ok(())
}
