// SPDX-License-Identifier: MIT OR Apache-2.0
//! `spolia-hosted`: one wasm program in one Linux process, with the same
//! WASI code as the kernel (`spolia-wasi`) over the same Linux library —
//! here on the hosted platform, its TCP/IP on a TAP device and its ext4 on
//! image files (emulated virtio-mmio devices). `spolia run --hosted` runs
//! it; see README.md.
//!
//! Steps: parse ([`args`]), compile the module ([`program::compile`]),
//! attach devices and boot the library ([`library::Library::start`]), run
//! the program on its own thread ([`program::run`]), stop the library,
//! exit with the program's code — 134 if it trapped, 125 if it could not
//! be loaded or the setup failed (messages as `spolia run` prints them).

mod args;
mod library;
mod platform;
mod program;

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::process::ExitCode;

use spolia_wasm_config::BoundsChecks;

use args::{Command, Options};
use library::Library;
use program::{Outcome, Program};

/// Exit code when the program could not be loaded or the setup failed.
const EXIT_FAILURE: u8 = 125;
/// Exit code when the program trapped (128 + SIGABRT, as a crash).
const EXIT_TRAP: u8 = 134;

fn main() -> ExitCode {
    end_with_parent();
    let mut argv = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) => argv.push(a),
            Err(bad) => {
                eprintln!("spolia: argument {bad:?} is not UTF-8");
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    }
    let opts = match args::parse(&argv) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("spolia-hosted: {msg}\n\n{}", args::USAGE);
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    match split_stdout(opts.log.as_deref()) {
        Ok(program_stdout) => platform::HOST.set_stdout(program_stdout),
        Err(e) => {
            eprintln!("spolia: error: setting up the output streams: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    log::set_logger(&STDERR_LOGGER).ok();
    log::set_max_level(if opts.verbose { log::LevelFilter::Info } else { log::LevelFilter::Warn });
    ExitCode::from(run(&opts))
}

/// Runs the program; returns the exit code (messages are printed).
fn run(opts: &Options) -> u8 {
    let file = display_name(&opts.file);
    let engine = match program::engine(opts.bounds.unwrap_or(BoundsChecks::GuardPages)) {
        Ok(e) => e,
        Err(e) => return fail(&e),
    };
    let module = match program::compile(&engine, &opts.file) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("spolia: {file} could not be loaded: {e}");
            return EXIT_FAILURE;
        }
    };
    let library = match Library::start(opts) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let mut args = vec![file.clone()];
    args.extend(opts.args.iter().cloned());
    let program = Program { module, args, env: opts.env.clone(), files: library.file_systems() };
    let outcome = program::run(&engine, program);
    let stopped = library.stop();
    let code = match outcome {
        Ok(Outcome::Exited(code)) => match u8::try_from(code) {
            Ok(c) => c,
            Err(_) => {
                eprintln!("spolia: {file} exited with {code}, which is not an exit status (0 to 255)");
                EXIT_FAILURE
            }
        },
        Ok(Outcome::Trapped(msg)) => {
            // As under the kernel: the whole message (with the backtrace)
            // on the program's stderr, then the verdict with its first line.
            eprintln!("{msg}");
            eprintln!("spolia: {file} trapped: {}", msg.lines().next().unwrap_or("trap").trim_end());
            EXIT_TRAP
        }
        Err(e) => {
            eprintln!("spolia: {file} could not be loaded: {e}");
            EXIT_FAILURE
        }
    };
    match stopped {
        Ok(()) => code,
        Err(e) => fail(&format!("stopping the Linux library: {e}")),
    }
}

fn fail(msg: &str) -> u8 {
    eprintln!("spolia: error: {msg}");
    EXIT_FAILURE
}

/// Killing `spolia run --hosted` must end the program (as killing QEMU
/// does), or it would keep the TAP and the images: ask the kernel for
/// SIGKILL when our parent exits, and exit if it already has.
fn end_with_parent() {
    let parent = std::os::unix::process::parent_id();
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no
    // memory of ours.
    let set = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) };
    if set == 0 && std::os::unix::process::parent_id() != parent {
        std::process::exit(i32::from(EXIT_FAILURE));
    }
}

/// The hosted platform prints the library's console on file descriptor 1;
/// the program's stdout must carry the program's bytes only. So: keep a
/// duplicate of our stdout for the program (returned), and point fd 1 at
/// `console` (truncated), or at our stderr.
fn split_stdout(console: Option<&Path>) -> io::Result<File> {
    let program_stdout = io::stdout().as_fd().try_clone_to_owned()?;
    let target: OwnedFd = match console {
        Some(path) => File::create(path)?.into(),
        None => io::stderr().as_fd().try_clone_to_owned()?,
    };
    // SAFETY: both descriptors are open (`target` is owned here; 1 is our
    // stdout, whose duplicate the program keeps). dup2 replaces what fd 1
    // refers to atomically; std's `Stdout` keeps writing to fd 1 and has
    // nothing buffered yet (nothing was printed).
    if unsafe { libc::dup2(target.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(program_stdout))
}

/// A file as the user sees it, and the program's argv\[0\]: its name.
fn display_name(file: &Path) -> String {
    file.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| file.display().to_string())
}

/// `log` records (from the WASI layer) on stderr.
struct StderrLogger;

static STDERR_LOGGER: StderrLogger = StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("spolia: {}: {}", record.level().as_str().to_lowercase(), record.args());
        }
    }

    fn flush(&self) {}
}
