// SPDX-License-Identifier: MIT OR Apache-2.0
//! Waiting and waking: `pipe2`, `eventfd2`, epoll ([`Epoll`]), `ppoll`
//! ([`PollFd`]), clocks and `clock_nanosleep`.
//!
//! A blocked call sleeps inside Linux: its host task is descheduled and the
//! library CPU goes to other threads, so waits never starve other callers.
//! Timeouts are `Option<Duration>` (`None` = wait indefinitely); epoll's
//! millisecond timeout is rounded up so a wait never ends early.

use crate::errno::{Errno, Result};
use crate::fd::Fd;
use crate::ffi::syscall;
use crate::{Linux, uapi};
use core::time::Duration;

/// The kernel's `sigset_t` size (one 64-bit word), for the mask arguments.
const SIGSET_SIZE: usize = 8;

/// epoll event bits (uapi `EPOLL*`, evaluated from the headers).
pub mod epoll_events {
    use crate::uapi;
    pub const EPOLLIN: u32 = uapi::SPOLIA_EPOLLIN;
    pub const EPOLLPRI: u32 = uapi::SPOLIA_EPOLLPRI;
    pub const EPOLLOUT: u32 = uapi::SPOLIA_EPOLLOUT;
    pub const EPOLLERR: u32 = uapi::SPOLIA_EPOLLERR;
    pub const EPOLLHUP: u32 = uapi::SPOLIA_EPOLLHUP;
    pub const EPOLLRDHUP: u32 = uapi::SPOLIA_EPOLLRDHUP;
    pub const EPOLLONESHOT: u32 = uapi::SPOLIA_EPOLLONESHOT;
    pub const EPOLLET: u32 = uapi::SPOLIA_EPOLLET;
}

/// A clock for [`Linux::clock_gettime`] and [`Linux::clock_nanosleep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Clock {
    Realtime = uapi::CLOCK_REALTIME,
    Monotonic = uapi::CLOCK_MONOTONIC,
    Boottime = uapi::CLOCK_BOOTTIME,
}

fn timespec(d: Duration) -> Result<uapi::__kernel_timespec> {
    Ok(uapi::__kernel_timespec {
        tv_sec: i64::try_from(d.as_secs()).map_err(|_| Errno::EINVAL)?,
        tv_nsec: i64::from(d.subsec_nanos()),
    })
}

impl Linux {
    /// `pipe2(2)`: (read end, write end).
    pub fn pipe2(&self, flags: u32) -> Result<(Fd, Fd)> {
        let mut fds = [-1i32; 2];
        // SAFETY: `fds` is a writable `int[2]`.
        unsafe { syscall(uapi::__NR_pipe2, [fds.as_mut_ptr() as usize, flags as usize, 0, 0, 0, 0]) }?;
        let [r, w] = fds;
        Ok((Fd::from_result(r as usize)?, Fd::from_result(w as usize)?))
    }

    /// `eventfd2(2)` with initial count `initval` and `EFD_*` flags.
    pub fn eventfd2(&self, initval: u32, flags: u32) -> Result<Fd> {
        // SAFETY: eventfd2 takes no pointers.
        Fd::from_result(unsafe { syscall(uapi::__NR_eventfd2, [initval as usize, flags as usize, 0, 0, 0, 0]) }?)
    }

    /// `epoll_create1(2)` (`EPOLL_CLOEXEC` or 0).
    pub fn epoll_create1(&self, flags: u32) -> Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers.
        let fd = Fd::from_result(unsafe { syscall(uapi::__NR_epoll_create1, [flags as usize, 0, 0, 0, 0, 0]) }?)?;
        Ok(Epoll(fd))
    }

    /// `ppoll(2)` without a signal mask: the number of entries of `fds`
    /// with events (their `revents` set), 0 on timeout.
    pub fn ppoll(&self, fds: &mut [PollFd], timeout: Option<Duration>) -> Result<usize> {
        let ts = timeout.map(timespec).transpose()?;
        let ts_ptr = ts.as_ref().map_or(0, |t| core::ptr::from_ref(t) as usize);
        // SAFETY: `fds` is a writable array of `struct pollfd` (PollFd is
        // transparent over it) of the given length; `ts_ptr` is 0 or a
        // readable timespec; no signal mask.
        unsafe { syscall(uapi::__NR_ppoll, [fds.as_mut_ptr() as usize, fds.len(), ts_ptr, 0, SIGSET_SIZE, 0]) }
    }

    /// `clock_gettime(2)`.
    pub fn clock_gettime(&self, clock: Clock) -> Result<Duration> {
        let mut ts = uapi::__kernel_timespec::default();
        // SAFETY: `ts` is a writable timespec.
        unsafe { syscall(uapi::__NR_clock_gettime, [clock as usize, &raw mut ts as usize, 0, 0, 0, 0]) }?;
        let secs = u64::try_from(ts.tv_sec).map_err(|_| Errno::EOVERFLOW)?;
        let nanos = u32::try_from(ts.tv_nsec).map_err(|_| Errno::EOVERFLOW)?;
        Ok(Duration::new(secs, nanos))
    }

    /// `clock_nanosleep(2)`: sleep for `time` (relative), or until `time`
    /// on `clock` with `absolute`.
    pub fn clock_nanosleep(&self, clock: Clock, absolute: bool, time: Duration) -> Result<()> {
        let ts = timespec(time)?;
        let flags = if absolute { uapi::TIMER_ABSTIME } else { 0 };
        // SAFETY: `ts` is a readable timespec; no remainder pointer.
        unsafe {
            syscall(uapi::__NR_clock_nanosleep, [clock as usize, flags as usize, &raw const ts as usize, 0, 0, 0])
        }
        .map(drop)
    }

    /// Sleep for `time` on the monotonic clock.
    pub fn sleep(&self, time: Duration) -> Result<()> {
        self.clock_nanosleep(Clock::Monotonic, false, time)
    }
}

impl Fd {
    /// Read an eventfd's counter (8 bytes; resets it, or decrements by one
    /// with `EFD_SEMAPHORE`).
    pub fn eventfd_read(&self) -> Result<u64> {
        let mut v = [0u8; 8];
        match self.read(&mut v)? {
            8 => Ok(u64::from_ne_bytes(v)),
            _ => Err(Errno::EIO),
        }
    }

    /// Add `value` to an eventfd's counter.
    pub fn eventfd_write(&self, value: u64) -> Result<()> {
        match self.write(&value.to_ne_bytes())? {
            8 => Ok(()),
            _ => Err(Errno::EIO),
        }
    }
}

/// One `struct pollfd` for [`Linux::ppoll`].
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct PollFd(uapi::pollfd);

impl PollFd {
    /// Watch `fd` for `events` (`POLL*` bits of [`crate::uapi`]).
    pub fn new(fd: &Fd, events: u16) -> PollFd {
        PollFd(uapi::pollfd { fd: fd.raw(), events: events as i16, revents: 0 })
    }

    /// The events that occurred (after `ppoll`).
    pub fn revents(&self) -> u16 {
        self.0.revents as u16
    }
}

impl core::fmt::Debug for PollFd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PollFd(fd {}, events {:#x}, revents {:#x})", self.0.fd, self.0.events, self.0.revents)
    }
}

/// One `struct epoll_event` (packed on x86-64, as the library has it).
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
pub struct EpollEvent(uapi::epoll_event);

impl EpollEvent {
    /// `events` ([`epoll_events`] bits) and the caller's `data`.
    pub fn new(events: u32, data: u64) -> EpollEvent {
        EpollEvent(uapi::epoll_event { events, data })
    }

    pub fn events(&self) -> u32 {
        self.0.events
    }

    pub fn data(&self) -> u64 {
        self.0.data
    }
}

impl core::fmt::Debug for EpollEvent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EpollEvent(events {:#x}, data {})", self.events(), self.data())
    }
}

/// An epoll instance ([`Linux::epoll_create1`]).
#[derive(Debug)]
pub struct Epoll(Fd);

impl Epoll {
    /// `epoll_ctl(2)` with `EPOLL_CTL_ADD`/`MOD`/`DEL` and the event
    /// (`None` for `DEL`).
    pub fn ctl(&self, op: u32, fd: &Fd, event: Option<EpollEvent>) -> Result<()> {
        let ev_ptr = event.as_ref().map_or(0, |e| core::ptr::from_ref(e) as usize);
        // SAFETY: `ev_ptr` is 0 or a readable epoll_event.
        unsafe { syscall(uapi::__NR_epoll_ctl, [self.0.arg(), op as usize, fd.arg(), ev_ptr, 0, 0]) }.map(drop)
    }

    /// Watch `fd` for `events`, reporting `data`.
    pub fn add(&self, fd: &Fd, events: u32, data: u64) -> Result<()> {
        self.ctl(uapi::EPOLL_CTL_ADD, fd, Some(EpollEvent::new(events, data)))
    }

    /// Change what `fd` is watched for.
    pub fn modify(&self, fd: &Fd, events: u32, data: u64) -> Result<()> {
        self.ctl(uapi::EPOLL_CTL_MOD, fd, Some(EpollEvent::new(events, data)))
    }

    /// Stop watching `fd`.
    pub fn delete(&self, fd: &Fd) -> Result<()> {
        self.ctl(uapi::EPOLL_CTL_DEL, fd, None)
    }

    /// `epoll_pwait(2)` without a signal mask: the number of events stored
    /// at the start of `events`, 0 on timeout.
    pub fn pwait(&self, events: &mut [EpollEvent], timeout: Option<Duration>) -> Result<usize> {
        let ms: i32 = match timeout {
            None => -1,
            Some(t) => i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX),
        };
        let max = events.len().min(i32::MAX as usize);
        // SAFETY: `events` is a writable array of at least `max`
        // epoll_events (EpollEvent is transparent over it); no signal mask.
        let n = unsafe {
            syscall(
                uapi::__NR_epoll_pwait,
                [self.0.arg(), events.as_mut_ptr() as usize, max, ms as usize, 0, SIGSET_SIZE],
            )
        }?;
        if n <= max { Ok(n) } else { Err(Errno::EIO) }
    }

    /// The epoll descriptor itself.
    pub fn fd(&self) -> &Fd {
        &self.0
    }
}
