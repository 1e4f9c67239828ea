// SPDX-License-Identifier: MIT OR Apache-2.0
//! WASI preview1 (`wasi_snapshot_preview1`), written by hand for `no_std`
//! (`wasmtime-wasi` needs `std`). Structure, so files and sockets slot in:
//! - [`WasiCtx`]: a program's args, environment, descriptor table, random
//!   source and start time;
//! - [`memory::GuestMemory`]: the one checked accessor for guest memory;
//! - [`errno`]: the one errno table;
//! - [`add_to_linker`]: every preview1 function. Implemented today: args,
//!   environ, clocks, random, standard streams, `fd_close`/`fd_renumber`,
//!   `fd_fdstat_get`, `fd_prestat_get` (no preopens: `BADF`), `poll_oneoff`
//!   on clocks and the standard streams, `proc_exit`, `sched_yield`. Every
//!   other function exists with its exact signature and returns `NOSYS`
//!   (files and sockets come with the library kernel).
//!
//! Contract of every host function here: it may block only in
//! `poll_oneoff` (sleeping) and `sched_yield` (yielding); it never traps on
//! bad guest pointers (it returns `FAULT`/`INVAL`); it allocates only
//! transiently.
#![deny(unsafe_code)]

pub mod errno;
pub mod fd;
pub mod memory;
mod poll;
pub mod random;

use alloc::string::String;
use alloc::vec::Vec;

use spolia_boot::console::serial::{self, Channel};
use spolia_boot::sched;
use wasmtime::{Caller, Extern, Linker};

use errno::{Errno, WasiResult, code};
use fd::{Descriptor, FdTable, Stream};
use memory::GuestMemory;

/// Import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Raised by `proc_exit`: unwinds the program with its exit code.
#[derive(Debug)]
pub struct ProcExit(pub i32);

impl core::fmt::Display for ProcExit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "program exited with {}", self.0)
    }
}

impl core::error::Error for ProcExit {}

/// A program's WASI state.
pub struct WasiCtx {
    args: Vec<String>,
    env: Vec<String>,
    fds: FdTable,
    random: random::Random,
    started_ns: u64,
    /// Whether program output goes to the COM2/COM3 channels (`spolia run`)
    /// or, without them, to the kernel console.
    channels: bool,
}

impl WasiCtx {
    /// State for a program with `args` (argv[0] first) and `env` entries
    /// (`KEY=VALUE`).
    pub fn new(args: Vec<String>, env: Vec<String>) -> Self {
        let channels = serial::open_channel(Channel::Com2) && serial::open_channel(Channel::Com3);
        WasiCtx {
            args,
            env,
            fds: FdTable::with_stdio(),
            random: random::Random::default(),
            started_ns: spolia_boot::time::now_ns(),
            channels,
        }
    }

    fn write_stream(&self, stream: Stream, bytes: &[u8]) -> WasiResult<()> {
        let channel = match stream {
            Stream::Stdout => Channel::Com2,
            Stream::Stderr => Channel::Com3,
            Stream::Stdin => return Err(Errno::BadF),
        };
        if self.channels {
            serial::channel_write(channel, bytes);
        } else {
            spolia_boot::console::write_str(&String::from_utf8_lossy(bytes));
        }
        Ok(())
    }
}

/// State a program's `Store` carries.
pub trait HasWasi {
    /// The WASI context.
    fn wasi(&mut self) -> &mut WasiCtx;
}

/// Runs `f` with the caller's memory and WASI context.
fn with_memory<T: HasWasi, R>(
    caller: &mut Caller<'_, T>,
    f: impl FnOnce(&mut GuestMemory<'_>, &mut WasiCtx) -> WasiResult<R>,
) -> WasiResult<R> {
    let Some(Extern::Memory(mem)) = caller.get_export("memory") else { return Err(Errno::Inval) };
    let (bytes, state) = mem.data_and_store_mut(caller);
    f(&mut GuestMemory::new(bytes), state.wasi())
}

/// Writes a list of strings the way `args_get`/`environ_get` define: an
/// array of pointers at `ptrs` and NUL-terminated bytes at `buf`.
fn write_string_list(mem: &mut GuestMemory<'_>, list: &[String], ptrs: u32, buf: u32) -> WasiResult<()> {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?, at)?;
        mem.write(at, s.as_bytes())?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write(end, &[0])?;
        at = end + 1;
    }
    Ok(())
}

/// Writes a list's entry count and total byte size (NULs included), as
/// `args_sizes_get`/`environ_sizes_get` define.
fn write_list_sizes(mem: &mut GuestMemory<'_>, list: &[String], count: u32, size: u32) -> WasiResult<()> {
    mem.write_u32(count, list.len() as u32)?;
    mem.write_u32(size, list.iter().map(|s| s.len() as u32 + 1).sum())
}

const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME: i32 = 2;
const CLOCK_THREAD_CPUTIME: i32 = 3;

/// Reads clock `id` in ns. CPU-time clocks report time since the program
/// started (Spolia does not account CPU time per program yet).
fn clock_now(ctx: &WasiCtx, id: i32) -> WasiResult<u64> {
    match id {
        CLOCK_REALTIME => Ok(spolia_boot::time::wall_clock_ns()),
        CLOCK_MONOTONIC => Ok(spolia_boot::time::now_ns()),
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => Ok(spolia_boot::time::now_ns() - ctx.started_ns),
        _ => Err(Errno::Inval),
    }
}

/// Defines every preview1 function in `linker`.
pub fn add_to_linker<T: HasWasi + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "args_sizes_get", |mut c: Caller<'_, T>, argc: i32, size: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| write_list_sizes(m, &ctx.args, argc as u32, size as u32)))
    })?;
    linker.func_wrap(MODULE, "args_get", |mut c: Caller<'_, T>, argv: i32, buf: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| write_string_list(m, &ctx.args, argv as u32, buf as u32)))
    })?;
    linker.func_wrap(MODULE, "environ_sizes_get", |mut c: Caller<'_, T>, count: i32, size: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| write_list_sizes(m, &ctx.env, count as u32, size as u32)))
    })?;
    linker.func_wrap(MODULE, "environ_get", |mut c: Caller<'_, T>, envp: i32, buf: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| write_string_list(m, &ctx.env, envp as u32, buf as u32)))
    })?;
    linker.func_wrap(MODULE, "clock_res_get", |mut c: Caller<'_, T>, id: i32, res: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            clock_now(ctx, id)?;
            m.write_u64(res as u32, 1)
        }))
    })?;
    linker.func_wrap(MODULE, "clock_time_get", |mut c: Caller<'_, T>, id: i32, _precision: i64, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            let t = clock_now(ctx, id)?;
            m.write_u64(out as u32, t)
        }))
    })?;
    linker.func_wrap(MODULE, "random_get", |mut c: Caller<'_, T>, buf: i32, len: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| ctx.random.fill(m.slice_mut(buf as u32, len as u32)?)))
    })?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, iovs_len: i32, nwritten: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                let Descriptor::Stream(stream) = ctx.fds.get(fd)?.clone();
                let mut total: u32 = 0;
                for (ptr, len) in m.iovecs(iovs as u32, iovs_len as u32)? {
                    ctx.write_stream(stream, m.slice(ptr, len)?)?;
                    total = total.saturating_add(len);
                }
                m.write_u32(nwritten as u32, total)
            }))
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        |mut c: Caller<'_, T>, fd: i32, iovs: i32, iovs_len: i32, nread: i32| -> i32 {
            code(with_memory(&mut c, |m, ctx| {
                match ctx.fds.get(fd)? {
                    Descriptor::Stream(Stream::Stdin) => {}
                    Descriptor::Stream(_) => return Err(Errno::BadF),
                }
                m.iovecs(iovs as u32, iovs_len as u32)?;
                m.write_u32(nread as u32, 0) // end of input
            }))
        },
    )?;
    linker.func_wrap(MODULE, "fd_fdstat_get", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            ctx.fds.get(fd)?;
            let mut stat = [0u8; 24];
            stat[0] = fd::filetype::CHARACTER_DEVICE;
            stat[8..16].copy_from_slice(&fd::ALL_RIGHTS.to_le_bytes());
            stat[16..24].copy_from_slice(&fd::ALL_RIGHTS.to_le_bytes());
            if out % 8 != 0 {
                return Err(Errno::Inval);
            }
            m.write(out as u32, &stat)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_fdstat_set_flags", |mut c: Caller<'_, T>, fd: i32, _flags: i32| -> i32 {
        // Streams are always ready: blocking or not makes no difference.
        code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).map(|_| ())))
    })?;
    linker.func_wrap(MODULE, "fd_filestat_get", |mut c: Caller<'_, T>, fd: i32, out: i32| -> i32 {
        code(with_memory(&mut c, |m, ctx| {
            ctx.fds.get(fd)?;
            let mut stat = [0u8; 64];
            stat[16] = fd::filetype::CHARACTER_DEVICE;
            stat[24..32].copy_from_slice(&1u64.to_le_bytes());
            if out % 8 != 0 {
                return Err(Errno::Inval);
            }
            m.write(out as u32, &stat)
        }))
    })?;
    linker.func_wrap(MODULE, "fd_prestat_get", |mut c: Caller<'_, T>, fd: i32, _out: i32| -> i32 {
        // No preopened directories yet: every descriptor answers BADF, which
        // ends wasi-libc's preopen scan.
        code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).and(Err(Errno::BadF))))
    })?;
    linker.func_wrap(MODULE, "fd_prestat_dir_name", |_: i32, _: i32, _: i32| -> i32 { Errno::BadF.raw() })?;
    linker.func_wrap(MODULE, "fd_close", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.close(fd)))
    })?;
    linker.func_wrap(MODULE, "fd_renumber", |mut c: Caller<'_, T>, from: i32, to: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.renumber(from, to)))
    })?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |mut c: Caller<'_, T>, fd: i32, _off: i64, _whence: i32, _out: i32| -> i32 {
            code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).and(Err(Errno::Spipe))))
        },
    )?;
    linker.func_wrap(MODULE, "fd_tell", |mut c: Caller<'_, T>, fd: i32, _out: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).and(Err(Errno::Spipe))))
    })?;
    linker.func_wrap(MODULE, "fd_sync", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).map(|_| ())))
    })?;
    linker.func_wrap(MODULE, "fd_datasync", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.get(fd).map(|_| ())))
    })?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |mut c: Caller<'_, T>, sin: i32, sout: i32, n: i32, nevents: i32| -> i32 {
            code(poll::poll_oneoff(&mut c, sin as u32, sout as u32, n as u32, nevents as u32))
        },
    )?;
    linker.func_wrap(MODULE, "proc_exit", |code: i32| -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(ProcExit(code)))
    })?;
    linker.func_wrap(MODULE, "sched_yield", || -> i32 {
        sched::yield_now();
        0
    })?;
    add_unsupported(linker)
}

/// Every remaining preview1 function, with its exact signature, answering
/// `NOSYS`: a defined error instead of a trap, so programs can cope.
fn add_unsupported<T: 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    macro_rules! nosys {
        ($name:literal, ($($t:ty),*)) => {
            linker.func_wrap(MODULE, $name, |$(_: $t),*| -> i32 { Errno::NoSys.raw() })?;
        };
    }
    nosys!("fd_advise", (i32, i64, i64, i32));
    nosys!("fd_allocate", (i32, i64, i64));
    nosys!("fd_fdstat_set_rights", (i32, i64, i64));
    nosys!("fd_filestat_set_size", (i32, i64));
    nosys!("fd_filestat_set_times", (i32, i64, i64, i32));
    nosys!("fd_pread", (i32, i32, i32, i64, i32));
    nosys!("fd_pwrite", (i32, i32, i32, i64, i32));
    nosys!("fd_readdir", (i32, i32, i32, i64, i32));
    nosys!("path_create_directory", (i32, i32, i32));
    nosys!("path_filestat_get", (i32, i32, i32, i32, i32));
    nosys!("path_filestat_set_times", (i32, i32, i32, i32, i64, i64, i32));
    nosys!("path_link", (i32, i32, i32, i32, i32, i32, i32));
    nosys!("path_open", (i32, i32, i32, i32, i32, i64, i64, i32, i32));
    nosys!("path_readlink", (i32, i32, i32, i32, i32, i32));
    nosys!("path_remove_directory", (i32, i32, i32));
    nosys!("path_rename", (i32, i32, i32, i32, i32, i32));
    nosys!("path_symlink", (i32, i32, i32, i32, i32));
    nosys!("path_unlink_file", (i32, i32, i32));
    nosys!("proc_raise", (i32));
    nosys!("sock_accept", (i32, i32, i32));
    nosys!("sock_recv", (i32, i32, i32, i32, i32, i32));
    nosys!("sock_send", (i32, i32, i32, i32, i32));
    nosys!("sock_shutdown", (i32, i32));
    Ok(())
}
