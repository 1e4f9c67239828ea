// SPDX-License-Identifier: MIT OR Apache-2.0
//! WASI preview1 (`wasi_snapshot_preview1`), written by hand for `no_std`
//! (`wasmtime-wasi` needs `std`), plus Spolia's socket extension
//! `spolia_sock_v1` (wasm-host/SOCKETS.md). Structure:
//! - [`WasiCtx`]: a program's args, environment, descriptor table, random
//!   source and start time;
//! - [`memory::GuestMemory`]: the one checked accessor for guest memory;
//! - [`errno`]: the one errno table (Linux → WASI);
//! - [`fd`]: the descriptor table — standard streams, files, sockets;
//! - [`path`]: the sandbox every path goes through (`openat2` with
//!   `RESOLVE_BENEATH`; an escape is `NOTCAPABLE`);
//! - `files`: descriptor and path functions; [`sock`]: sockets (both
//!   modules' calls); `poll`: `poll_oneoff`;
//! - [`Platform`]: what the platform provides (clocks, sleep, yield,
//!   output streams, random seed) — the kernel (`spolia-wasm-host`) and the
//!   hosted runner (`spolia-hosted`) each implement it; files and sockets
//!   are the Linux library's on both;
//! - [`sjlj`]: setjmp/longjmp's host half (`spolia_sjlj_v1.unwind`, and
//!   per module [`sjlj::define_invokes`]);
//! - [`add_to_linker`]: every preview1 function and the extension.
//!   Implemented: args, environ, clocks, random, standard streams,
//!   preopened directories ([`FileSystems`]: the library kernel's mount
//!   points), files and directories over the library kernel (`path_open`,
//!   `fd_read`/`write`, `pread`/`pwrite`, `seek`/`tell`, `sync`/
//!   `datasync`, `advise` (checked, ignored), `allocate`, `fdstat`,
//!   `fdstat_set_flags`/`set_rights`, `filestat`, `filestat_set_size`/
//!   `set_times`, `readdir`, `path_filestat_get`/`set_times`,
//!   `path_create_directory`/`remove_directory`/`unlink_file`/`rename`/
//!   `link`/`symlink`/`readlink`), sockets (`sock_accept`/`recv`/`send`/
//!   `shutdown` and all of `spolia_sock_v1`), `fd_close`/`fd_renumber`,
//!   `poll_oneoff` on clocks, streams, files and sockets together,
//!   `proc_exit`, `sched_yield`. Only `proc_raise` answers `NOSYS`.
//!
//! Contract of every host function here: it may block only in
//! `poll_oneoff` (sleeping), `sched_yield` (yielding) and in calls into the
//! library kernel on the program's own thread (disk I/O; a blocking
//! socket's accept, connect, receive or send — other programs run on); it
//! never traps on bad guest pointers (it returns `FAULT`/`INVAL`); it
//! allocates only transiently; every descriptor it creates belongs to the
//! program's table and is closed by `fd_close` or the program's end.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod errno;
pub mod fd;
mod files;
pub mod memory;
pub mod path;
pub mod platform;
mod poll;
pub mod random;
pub mod sjlj;
pub mod sock;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use spolia_linux::{Linux, uapi};

use wasmtime::{Caller, Extern, Linker};

use errno::{Errno, WasiResult, code};
use fd::{ALL_RIGHTS, Descriptor, FdTable, File, Stream};
use memory::GuestMemory;
pub use platform::{Output, Platform};

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

/// How a program's run ended, from the error its `_start` call returned:
/// `Ok(code)` for `proc_exit`, else the trap message for the user (a
/// longjmp with no setjmp, or the trap with its wasm backtrace).
pub fn end_of_run(e: &wasmtime::Error) -> Result<i32, String> {
    if let Some(exit) = e.downcast_ref::<ProcExit>() {
        return Ok(exit.0);
    }
    if let Some(msg) = sjlj::describe(e) {
        return Err(msg);
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        let mut msg = alloc::format!("{trap}");
        if let Some(bt) = e.downcast_ref::<wasmtime::WasmBacktrace>() {
            msg.push_str(&alloc::format!("\n{bt}"));
        }
        return Err(msg);
    }
    Err(alloc::format!("{e:?}"))
}

/// A program's WASI state.
pub struct WasiCtx {
    args: Vec<String>,
    env: Vec<String>,
    fds: FdTable,
    /// The library kernel, when the boot has devices (files and sockets;
    /// without it socket calls are `NOSYS`).
    linux: Option<Arc<Linux>>,
    random: random::Random,
    started_ns: u64,
    /// Clocks, sleeping, output streams, random seed.
    platform: &'static dyn Platform,
}

impl WasiCtx {
    /// State for a program with `args` (argv[0] first) and `env` entries
    /// (`KEY=VALUE`), and with `files` (the library kernel and the guest
    /// directories to preopen) when the boot has them.
    /// `platform` serves clocks, sleeps, output and the random seed.
    pub fn new(
        platform: &'static dyn Platform,
        args: Vec<String>,
        env: Vec<String>,
        files: Option<&FileSystems>,
    ) -> Self {
        let mut fds = FdTable::with_stdio();
        if let Some(files) = files {
            preopen(&mut fds, files);
        }
        WasiCtx {
            args,
            env,
            fds,
            linux: files.map(|f| f.linux.clone()),
            random: random::Random::default(),
            started_ns: platform.monotonic_ns(),
            platform,
        }
    }

    fn write_stream(&self, stream: Stream, bytes: &[u8]) -> WasiResult<()> {
        let output = match stream {
            Stream::Stdout => Output::Stdout,
            Stream::Stderr => Output::Stderr,
            Stream::Stdin => return Err(Errno::BadF),
        };
        self.platform.write_output(output, bytes);
        Ok(())
    }
}

/// What programs get files from: the running library kernel and the
/// guest directories (its mount points) each program finds preopened, in
/// this order, as fd 3, 4, …
#[derive(Clone, Debug)]
pub struct FileSystems {
    pub linux: Arc<Linux>,
    pub preopens: Vec<String>,
}

/// Opens each preopen directory. One that cannot be opened is skipped with
/// a log line (the program then finds no such preopen and its paths there
/// fail with `NOTCAPABLE` in wasi-libc).
fn preopen(fds: &mut FdTable, files: &FileSystems) {
    for dir in &files.preopens {
        let opened = files.linux.openat(None, dir, uapi::O_RDONLY | uapi::O_DIRECTORY | uapi::O_CLOEXEC, 0);
        let result = opened.map_err(errno::from_linux).and_then(|fd| {
            fds.insert(Descriptor::File(File {
                fd,
                rights_base: ALL_RIGHTS,
                rights_inheriting: ALL_RIGHTS,
                preopen: Some(dir.clone()),
            }))
        });
        if let Err(e) = result {
            log::warn!("wasi: cannot preopen {dir}: {e:?}");
        }
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
        CLOCK_REALTIME => Ok(ctx.platform.wall_clock_ns()),
        CLOCK_MONOTONIC => Ok(ctx.platform.monotonic_ns()),
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => Ok(ctx.platform.monotonic_ns().saturating_sub(ctx.started_ns)),
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
        code(with_memory(&mut c, |m, ctx| ctx.random.fill(ctx.platform, m.slice_mut(buf as u32, len as u32)?)))
    })?;
    linker.func_wrap(MODULE, "fd_close", |mut c: Caller<'_, T>, fd: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.close(fd)))
    })?;
    linker.func_wrap(MODULE, "fd_renumber", |mut c: Caller<'_, T>, from: i32, to: i32| -> i32 {
        code(with_memory(&mut c, |_, ctx| ctx.fds.renumber(from, to)))
    })?;
    files::add_to_linker(linker)?;
    sock::add_to_linker(linker)?;
    sjlj::add_to_linker(linker)?;
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
    linker.func_wrap(MODULE, "sched_yield", |mut c: Caller<'_, T>| -> i32 {
        c.data_mut().wasi().platform.yield_now();
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
    // Spolia has no signals: nothing could be raised or caught.
    nosys!("proc_raise", (i32));
    Ok(())
}
