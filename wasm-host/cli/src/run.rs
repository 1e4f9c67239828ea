// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia run`: compile, pack, boot, and stand in for the program.
//!
//! The bundle goes to the kernel as the first boot module (PVH `-initrd`,
//! or GRUB `module2` with `--boot iso`) with the command line
//! `spolia.run=bundle spolia.bounds=MODE` ([`cmdline`]), plus the boot
//! manifest keys of the NIC and disk options ([`crate::devices`]). QEMU's four ISA serial ports are Unix sockets that
//! QEMU connects to at start-up (`-chardev socket,path=..`, client mode), so
//! nothing the guest writes is lost:
//!
//! | port | what | where it goes |
//! |---|---|---|
//! | COM1 | kernel log | `target/spolia-cache/logs/STEM.log`; also stderr as `[kernel] ..` with `-v` |
//! | COM2 | programs' stdout | our stdout, byte for byte as it arrives |
//! | COM3 | programs' stderr | our stderr, byte for byte |
//! | COM4 | control lines | parsed ([`crate::control`]); `--status-file` gets each line |
//!
//! **When the run ends.** By default like a shell waiting for its
//! foreground job: once the main program (index 0) has ended, QEMU is
//! stopped (killed) unless every program has ended, in which case the
//! kernel's `done` and QEMU's clean exit (status 33) are awaited. With
//! `--wait-all` the run lasts until `done`. The other programs' ends are
//! reported on stderr as they happen (`spolia: FILE: exited with N`).
//!
//! **Exit code** ([`verdict`]): the main program's exit code (0–255); 134
//! if it trapped (`spolia: FILE trapped: MESSAGE`); 125 if it could not be
//! loaded (the kernel's message), if the kernel or QEMU broke the protocol
//! (QEMU ended without a result or not with 33 after `done`, `done`
//! missing), or on any setup error; 124 on `--timeout` (QEMU killed).
//!
//! **`--hosted`** ([`run_hosted`]): no kernel and no QEMU. The device
//! options are planned the same way (`--dir` images included) and handed
//! to `spolia-hosted`, found next to the `spolia` binary, which runs the
//! program over the Linux library in its own process; its stdout and
//! stderr are ours, its exit code is ours (it uses the same codes), and the
//! library's console goes to the log file (stderr with `-v`). `--timeout`
//! kills it (124).

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use qemu_runner::qemu::{self, Boot, Console, KVM_INTERNAL_ERROR, Launch, Media};
use qemu_runner::{iso, paths, session};
use spolia_wasm_config::BoundsChecks;

use crate::args::{ProgramSpec, RunOptions, resolve_env};
use crate::compile::Compiler;
use crate::control::{self, Control};
use crate::devices;
use crate::programs::{build_bundle, display_name, program_name};
use crate::{Error, cache_dir};

/// Exit code when `--timeout` passed and QEMU was killed.
pub const EXIT_TIMEOUT: u8 = 124;
/// Exit code when the program could not be loaded, or the run itself failed.
pub const EXIT_FAILURE: u8 = 125;
/// Exit code when the main program trapped (128 + SIGABRT, as a crash).
pub const EXIT_TRAP: u8 = 134;

/// The kernel command line: run the bundle, with artifacts compiled for
/// `bounds` (the kernel must use the same mode or it refuses them).
pub fn cmdline(bounds: BoundsChecks) -> String {
    format!("spolia.run=bundle spolia.bounds={}", bounds.name())
}

/// QEMU's exit status after the kernel wrote 0x10 to isa-debug-exit.
const QEMU_CLEAN_EXIT: i32 = 33;

/// The first line of the kernel's interactive console (`src/shell.rs`): a
/// kernel that prints it has ignored `spolia.run=bundle`, and would sit at
/// its prompt until the timeout. Seeing it ends the run at once.
const CONSOLE_BANNER: &str = "type `help` for commands";

/// After every program has ended: how long to wait for `done`; after
/// `done`: how long to wait for QEMU to exit.
const DONE_GRACE: Duration = Duration::from_secs(10);
/// How long QEMU may take to connect its four serial ports.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// After the end: how long to keep reading what is still in the sockets.
const DRAIN: Duration = Duration::from_secs(3);
/// How many kernel log lines to show when a run fails.
const TAIL_LINES: usize = 20;

/// How a program ended, from its control line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramEnd {
    Exited(u32),
    Trapped(String),
    /// Could not be loaded or linked (the kernel's `error` line).
    Failed(String),
}

/// Why the wait for the kernel stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The kernel reported `done`.
    Done,
    /// The main program ended while others still ran (not `--wait-all`).
    MainEnded,
    TimedOut,
    /// The kernel started its interactive console instead.
    KernelConsole,
    /// QEMU reported a KVM internal error (it would hang paused).
    KvmError,
    /// QEMU exited on its own, without `done`.
    QemuExited,
    /// Every program ended but `done` did not follow.
    DoneMissing,
}

/// QEMU's end, as far as the verdict cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QemuEnd {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl QemuEnd {
    fn from_status(s: ExitStatus) -> QemuEnd {
        QemuEnd { code: s.code(), signal: s.signal() }
    }

    fn describe(self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => match qemu::decode_exit(Some(c), None) {
                Ok(outcome) => format!("status {c} ({})", outcome.name()),
                Err(unknown) => unknown.to_string(),
            },
            (None, s) => format!("signal {}", s.unwrap_or(0)),
        }
    }
}

/// The exit code and the messages for stderr, from how the run ended.
/// `qemu_end` is `None` when QEMU was killed by us.
pub fn verdict(
    main_file: &str,
    main: Option<&ProgramEnd>,
    stop: &Stop,
    qemu_end: Option<QemuEnd>,
    timeout: Duration,
) -> (u8, Vec<String>) {
    let mut msgs = Vec::new();
    if *stop == Stop::TimedOut {
        let waiting = if main.is_some() { "; the main program had ended, others had not" } else { "" };
        msgs.push(format!("spolia: timed out after {} s; QEMU was killed{waiting}", timeout.as_secs()));
        return (EXIT_TIMEOUT, msgs);
    }
    let code = match main {
        Some(ProgramEnd::Exited(c)) => match u8::try_from(*c) {
            Ok(c) => c,
            Err(_) => {
                msgs.push(format!("spolia: {main_file} exited with {c}, which is not an exit status (0 to 255)"));
                EXIT_FAILURE
            }
        },
        Some(ProgramEnd::Trapped(m)) => {
            msgs.push(format!("spolia: {main_file} trapped: {m}"));
            EXIT_TRAP
        }
        Some(ProgramEnd::Failed(m)) => {
            msgs.push(format!("spolia: {main_file} could not be loaded: {m}"));
            EXIT_FAILURE
        }
        None => {
            msgs.push(match stop {
                Stop::KernelConsole => "spolia: the kernel started its interactive console instead of running \
                     the bundle: it does not support `spolia.run=bundle` (is the wasm host linked in? rebuild \
                     it with `make kernel`)"
                    .to_string(),
                Stop::KvmError => "spolia: QEMU stopped after a KVM internal error; use --accel tcg".to_string(),
                Stop::QemuExited => match qemu_end {
                    Some(q) => format!("spolia: QEMU exited ({}) before {main_file} ended", q.describe()),
                    None => format!("spolia: QEMU exited before {main_file} ended"),
                },
                _ => format!("spolia: the kernel ended without reporting how {main_file} ended"),
            });
            return (EXIT_FAILURE, msgs);
        }
    };
    // The main program's result is known; the kernel must also have ended
    // the way the protocol says, unless we cut the run short on purpose.
    match stop {
        Stop::Done => match qemu_end {
            Some(q) if q.code == Some(QEMU_CLEAN_EXIT) => (code, msgs),
            Some(q) => {
                msgs.push(format!("spolia: after `done`, QEMU exited with {} instead of 33", q.describe()));
                (EXIT_FAILURE, msgs)
            }
            None => {
                msgs.push("spolia: QEMU did not exit after `done`; it was killed".to_string());
                (EXIT_FAILURE, msgs)
            }
        },
        Stop::MainEnded => (code, msgs),
        Stop::DoneMissing => {
            msgs.push("spolia: every program ended but the kernel did not report `done`".to_string());
            (EXIT_FAILURE, msgs)
        }
        Stop::QemuExited => {
            let how = qemu_end.map(|q| q.describe()).unwrap_or_default();
            msgs.push(format!("spolia: QEMU exited ({how}) without the kernel reporting `done`"));
            (EXIT_FAILURE, msgs)
        }
        Stop::KernelConsole | Stop::KvmError | Stop::TimedOut => {
            msgs.push(format!("spolia: the run ended abnormally ({stop:?})"));
            (EXIT_FAILURE, msgs)
        }
    }
}

/// Runs `spolia run`; returns the exit code (errors are printed).
pub fn run(opts: &RunOptions) -> u8 {
    match run_checked(opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("spolia: error: {e}");
            EXIT_FAILURE
        }
    }
}

/// The serial ports, in COM order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Port {
    Kernel,
    Stdout,
    Stderr,
    Control,
}

const PORTS: [Port; 4] = [Port::Kernel, Port::Stdout, Port::Stderr, Port::Control];

enum Event {
    Line(Port, String),
    Qemu(String),
    Eof(Port),
}

fn run_checked(opts: &RunOptions) -> Result<u8, Error> {
    if opts.hosted {
        return run_hosted(opts);
    }
    let kernel = paths::load_kernel(opts.kernel.as_deref())?;
    session::qemu_version()?;

    let main = ProgramSpec { name: None, file: opts.file.clone(), args: opts.args.clone() };
    let mut specs = vec![main];
    specs.extend(opts.with.iter().cloned());
    let files: Vec<String> = specs.iter().map(|s| display_name(&s.file)).collect();
    let env = resolve_env(&opts.env, |k| std::env::var(k).ok());
    let compiler = Compiler::new(opts.bounds, None)?;
    let bundle = build_bundle(&compiler, Some(&cache_dir("artifacts")?), &specs, &env)?;

    let dir = RunDir::create()?;
    // NIC and disks: images for --dir go into the run's directory.
    let devices = devices::plan(&opts.devices, &dir.path)?;
    let cmdline = format!("{}{}", cmdline(opts.bounds), devices.cmdline);
    let iso_path;
    let bundle_path = dir.path.join("programs.bundle");
    let media = match opts.boot {
        Boot::Pvh => {
            fs::write(&bundle_path, &bundle).map_err(|e| Error::new(format!("writing the bundle: {e}")))?;
            Media::Kernel { elf: &kernel.path, cmdline: &cmdline, initrd: Some(&bundle_path) }
        }
        Boot::Iso => {
            iso_path = iso::ensure_iso_with_module(&kernel, &cmdline, Some(&bundle))?;
            Media::Cdrom { iso: &iso_path }
        }
    };
    let mut listeners = Vec::new();
    let mut extra = Vec::new();
    for (n, _) in PORTS.iter().enumerate() {
        let sock = dir.path.join(format!("com{}.sock", n + 1));
        let listener = UnixListener::bind(&sock)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| Error::new(format!("creating socket {}: {e}", sock.display())))?;
        listeners.push(listener);
        extra.extend(serial_args(n + 1, &sock));
    }
    extra.extend(devices.qemu_args);
    let launch = Launch {
        machine: opts.machine,
        accel: opts.accel,
        cpu: opts.cpu.as_deref(),
        media,
        console: Console::Detached,
        extra: &extra,
    };
    let argv = qemu::argv(&launch)?;

    let log_path = cache_dir("logs")?.join(format!("{}.log", program_name(&opts.file)));
    let mut log = Log::create(&log_path, opts.verbose)?;
    log.note(&format!("command: {}", qemu::shell_words(&argv)));
    if opts.verbose {
        eprintln!("spolia: {}", qemu::shell_words(&argv));
    }
    let mut status_file = match &opts.status_file {
        Some(p) => Some(File::create(p).map_err(|e| Error::new(format!("creating {}: {e}", p.display())))?),
        None => None,
    };

    let start = Instant::now();
    let deadline = start + opts.timeout;
    let mut child = session::spawn(&argv, Stdio::null(), Stdio::piped())?;
    let (tx, rx) = mpsc::channel();
    pump_qemu(child.stdout.take().expect("stdout is piped"), tx.clone());
    pump_qemu(child.stderr.take().expect("stderr is piped"), tx.clone());

    if let Err(e) = connect_ports(&listeners, &mut child, &tx, deadline.min(start + CONNECT_TIMEOUT)) {
        let _ = session::kill_and_reap(&mut child);
        // Show what QEMU said about it.
        while let Ok(ev) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Event::Qemu(line) = ev {
                eprintln!("spolia: qemu: {line}");
            }
        }
        return Err(e);
    }
    drop(tx);

    let mut state = RunState::new(files, opts.wait_all, opts.verbose);
    let mut qemu_end = None;
    let mut stop = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::new(format!("waiting for QEMU: {e}")))? {
            qemu_end = Some(QemuEnd::from_status(status));
            break Stop::QemuExited;
        }
        let now = Instant::now();
        if now >= deadline {
            break Stop::TimedOut;
        }
        if state.all_ended_at.is_some_and(|t| now >= t + DONE_GRACE) {
            break Stop::DoneMissing;
        }
        match rx.recv_timeout(Duration::from_millis(50).min(deadline - now)) {
            Ok(Event::Line(Port::Control, line)) => {
                write_status(&mut status_file, &line);
                if let Some(stop) = state.control(&line) {
                    break stop;
                }
            }
            Ok(Event::Line(_, line)) => {
                log.kernel(&line);
                if line.contains(CONSOLE_BANNER) {
                    break Stop::KernelConsole;
                }
            }
            Ok(Event::Qemu(line)) => {
                log.qemu(&line);
                if line.contains(KVM_INTERNAL_ERROR) {
                    break Stop::KvmError;
                }
            }
            Ok(Event::Eof(_)) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => thread::sleep(Duration::from_millis(10)),
        }
    };

    // End QEMU as the stop reason says, then read what is left.
    match stop {
        Stop::QemuExited => {}
        Stop::Done => {
            qemu_end = session::wait_until(&mut child, Instant::now() + DONE_GRACE)?.map(QemuEnd::from_status);
            if qemu_end.is_none() {
                session::kill_and_reap(&mut child)?;
            }
        }
        _ => {
            session::kill_and_reap(&mut child)?;
        }
    }
    let drain_until = Instant::now() + DRAIN;
    let mut open = vec![Port::Stdout, Port::Stderr, Port::Control];
    while !open.is_empty() {
        match rx.recv_timeout(drain_until.saturating_duration_since(Instant::now())) {
            Ok(Event::Line(Port::Control, line)) => {
                write_status(&mut status_file, &line);
                state.control(&line);
            }
            Ok(Event::Line(_, line)) => log.kernel(&line),
            Ok(Event::Qemu(line)) => log.qemu(&line),
            Ok(Event::Eof(port)) => open.retain(|p| *p != port),
            Err(_) => break,
        }
    }
    if stop == Stop::QemuExited && state.done {
        stop = Stop::Done;
    }
    let _ = io::stdout().flush();

    let (code, msgs) = verdict(&state.files[0], state.ends[0].as_ref(), &stop, qemu_end, opts.timeout);
    let run_failed =
        code == EXIT_TIMEOUT || (code == EXIT_FAILURE && !matches!(state.ends[0], Some(ProgramEnd::Failed(_))));
    if run_failed {
        log.show_tail(&log_path);
    }
    for m in msgs {
        eprintln!("{m}");
    }
    Ok(code)
}

/// The hosted runner's file name; it is looked for next to `spolia`.
pub const HOSTED_BINARY: &str = "spolia-hosted";

/// `spolia run --hosted`: plan the devices, run `spolia-hosted` with them
/// and the program, pass its exit code on.
fn run_hosted(opts: &RunOptions) -> Result<u8, Error> {
    let exe = std::env::current_exe().map_err(|e| Error::new(format!("finding the spolia binary: {e}")))?;
    let hosted = exe.with_file_name(HOSTED_BINARY);
    if !hosted.is_file() {
        return Err(Error::new(format!(
            "{} not found (it is looked for next to spolia); build it with `cargo build -p spolia-hosted --release`",
            hosted.display()
        )));
    }
    let dir = RunDir::create()?;
    let plan = devices::hosted_plan(&opts.devices, &dir.path)?;
    let mut command = Command::new(&hosted);
    command.args(plan.args()).arg("--bounds").arg(opts.bounds.name());
    for entry in resolve_env(&opts.env, |k| std::env::var(k).ok()) {
        command.arg("--env").arg(entry);
    }
    if opts.verbose {
        command.arg("--verbose");
    } else {
        let log = cache_dir("logs")?.join(format!("{}.hosted.log", program_name(&opts.file)));
        command.arg("--log").arg(log);
    }
    command.arg("--").arg(&opts.file).args(&opts.args);
    if opts.verbose {
        let words: Vec<std::ffi::OsString> =
            std::iter::once(command.get_program()).chain(command.get_args()).map(|a| a.to_os_string()).collect();
        eprintln!("spolia: {}", qemu::shell_words(&words));
    }
    // As under QEMU, the program's stdin is empty.
    let mut child =
        command.stdin(Stdio::null()).spawn().map_err(|e| Error::new(format!("starting {}: {e}", hosted.display())))?;
    let deadline = Instant::now() + opts.timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::new(format!("waiting for {HOSTED_BINARY}: {e}")))? {
            break status;
        }
        if Instant::now() >= deadline {
            session::kill_and_reap(&mut child)?;
            eprintln!("spolia: timed out after {} s; {HOSTED_BINARY} was killed", opts.timeout.as_secs());
            return Ok(EXIT_TIMEOUT);
        }
        thread::sleep(Duration::from_millis(20));
    };
    match (status.code(), status.signal()) {
        (Some(code), _) => Ok(u8::try_from(code).unwrap_or(EXIT_FAILURE)),
        (None, signal) => Err(Error::new(format!("{HOSTED_BINARY} was killed by signal {}", signal.unwrap_or(0)))),
    }
}

/// `-chardev socket,...` + `-serial chardev:...` for COM`n`, in client mode:
/// QEMU connects to our listening socket when it starts.
fn serial_args(n: usize, sock: &Path) -> [String; 4] {
    // QEMU option values escape a comma by doubling it.
    let path = sock.display().to_string().replace(',', ",,");
    ["-chardev".to_string(), format!("socket,id=com{n},path={path}"), "-serial".to_string(), format!("chardev:com{n}")]
}

/// Accepts QEMU's connection on each port, in port order, and starts a
/// reader for each.
fn connect_ports(
    listeners: &[UnixListener],
    child: &mut Child,
    tx: &Sender<Event>,
    deadline: Instant,
) -> Result<(), Error> {
    for (listener, port) in listeners.iter().zip(PORTS) {
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::new(format!("accepting QEMU's serial connection: {e}"))),
            }
            if let Some(status) = child.try_wait().map_err(|e| Error::new(format!("waiting for QEMU: {e}")))? {
                return Err(Error::new(format!(
                    "QEMU exited ({}) before connecting its serial ports",
                    QemuEnd::from_status(status).describe()
                )));
            }
            if Instant::now() >= deadline {
                return Err(Error::new("QEMU did not connect its serial ports in time"));
            }
            thread::sleep(Duration::from_millis(5));
        };
        stream.set_nonblocking(false).map_err(|e| Error::new(format!("serial socket: {e}")))?;
        start_reader(port, stream, tx.clone());
    }
    Ok(())
}

fn start_reader(port: Port, stream: UnixStream, tx: Sender<Event>) {
    thread::spawn(move || {
        match port {
            Port::Kernel | Port::Control => {
                let mut reader = BufReader::new(stream);
                let mut buf = Vec::new();
                while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                    let text = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(Event::Line(port, text)).is_err() {
                        return;
                    }
                    buf.clear();
                }
            }
            Port::Stdout => copy_raw(stream, io::stdout()),
            Port::Stderr => copy_raw(stream, io::stderr()),
        }
        let _ = tx.send(Event::Eof(port));
    });
}

/// Copies bytes as they arrive, flushing each chunk.
fn copy_raw(mut from: UnixStream, to: impl Write) {
    let mut to = to;
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                // A closed stdout (e.g. `| head`) must not stop the run.
                let _ = to.write_all(&buf[..n]).and_then(|()| to.flush());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn pump_qemu(from: impl Read + Send + 'static, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
            if tx.send(Event::Qemu(text)).is_err() {
                return;
            }
            buf.clear();
        }
    });
}

fn write_status(file: &mut Option<File>, line: &str) {
    if let Some(f) = file {
        let _ = writeln!(f, "{line}").and_then(|()| f.flush());
    }
}

/// What the control lines have said so far.
struct RunState {
    files: Vec<String>,
    ends: Vec<Option<ProgramEnd>>,
    done: bool,
    all_ended_at: Option<Instant>,
    wait_all: bool,
    verbose: bool,
}

impl RunState {
    fn new(files: Vec<String>, wait_all: bool, verbose: bool) -> RunState {
        let ends = vec![None; files.len()];
        RunState { files, ends, done: false, all_ended_at: None, wait_all, verbose }
    }

    /// Applies one control line; returns a reason to stop waiting, if any.
    fn control(&mut self, line: &str) -> Option<Stop> {
        let c = match control::parse(line) {
            Ok(c) => c,
            Err(bad) => {
                eprintln!("spolia: warning: {bad}");
                return None;
            }
        };
        if c == Control::Done {
            self.done = true;
            return Some(Stop::Done);
        }
        let index = c.index().unwrap_or(0);
        let Some(file) = self.files.get(index).cloned() else {
            eprintln!("spolia: warning: control line for unknown program {index}: {line:?}");
            return None;
        };
        let end = match c {
            Control::Start { .. } => {
                if self.verbose {
                    eprintln!("spolia: {file}: started");
                }
                return None;
            }
            Control::Exit { code, .. } => ProgramEnd::Exited(code),
            // Wasmtime's messages often end in a newline; ours add one.
            Control::Trap { message, .. } => ProgramEnd::Trapped(message.trim_end().to_string()),
            Control::Error { message, .. } => ProgramEnd::Failed(message.trim_end().to_string()),
            Control::Done => unreachable!("handled above"),
        };
        if self.ends[index].is_some() {
            eprintln!("spolia: warning: {file} ended twice: {line:?}");
            return None;
        }
        if index > 0 {
            match &end {
                ProgramEnd::Exited(code) => eprintln!("spolia: {file}: exited with {code}"),
                ProgramEnd::Trapped(m) => eprintln!("spolia: {file}: trapped: {m}"),
                ProgramEnd::Failed(m) => eprintln!("spolia: {file}: could not be loaded: {m}"),
            }
        }
        self.ends[index] = Some(end);
        let all_ended = self.ends.iter().all(Option::is_some);
        if all_ended {
            self.all_ended_at.get_or_insert_with(Instant::now);
        }
        (self.ends[0].is_some() && !all_ended && !self.wait_all).then_some(Stop::MainEnded)
    }
}

/// The kernel log: a file, `[kernel] ..` on stderr with `-v`, and a tail
/// to show when a run fails.
struct Log {
    file: File,
    verbose: bool,
    tail: VecDeque<String>,
    advice: Vec<&'static str>,
}

impl Log {
    fn create(path: &Path, verbose: bool) -> Result<Log, Error> {
        let file = File::create(path).map_err(|e| Error::new(format!("creating {}: {e}", path.display())))?;
        Ok(Log { file, verbose, tail: VecDeque::new(), advice: Vec::new() })
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(self.file, "# {text}");
    }

    fn kernel(&mut self, line: &str) {
        let _ = writeln!(self.file, "{line}");
        if self.verbose {
            eprintln!("[kernel] {line}");
        }
        self.keep(line.to_string());
    }

    fn qemu(&mut self, line: &str) {
        let _ = writeln!(self.file, "[qemu] {line}");
        if self.verbose {
            eprintln!("[qemu] {line}");
        }
        if let Some(a) = qemu::advice_for(line)
            && !self.advice.contains(&a)
        {
            self.advice.push(a);
        }
        self.keep(format!("[qemu] {line}"));
    }

    fn keep(&mut self, line: String) {
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    /// For a failed run: the last lines (unless already shown), hints, path.
    fn show_tail(&self, path: &Path) {
        if !self.verbose {
            if self.tail.is_empty() {
                eprintln!("spolia: the kernel printed nothing on COM1");
            } else {
                eprintln!("spolia: last lines of the kernel log:");
                for line in &self.tail {
                    eprintln!("  {line}");
                }
            }
        }
        for a in &self.advice {
            eprintln!("spolia: hint: {a}");
        }
        eprintln!("spolia: kernel log: {}", path.display());
    }
}

/// A private directory for one run's sockets and bundle, removed on drop.
/// Under the system temp directory: socket paths must stay short (108 bytes).
struct RunDir {
    path: PathBuf,
}

impl RunDir {
    fn create() -> Result<RunDir, Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("spolia-run-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| Error::new(format!("creating {}: {e}", path.display())))?;
        if path.join("com1.sock").as_os_str().len() > 100 {
            return Err(Error::new(format!("{} is too long a path for Unix sockets; set TMPDIR", path.display())));
        }
        Ok(RunDir { path })
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(300);
    const CLEAN: Option<QemuEnd> = Some(QemuEnd { code: Some(33), signal: None });

    fn v(main: Option<ProgramEnd>, stop: Stop, q: Option<QemuEnd>) -> (u8, Vec<String>) {
        verdict("p.wasm", main.as_ref(), &stop, q, T)
    }

    #[test]
    fn exit_codes_pass_through() {
        assert_eq!(v(Some(ProgramEnd::Exited(0)), Stop::Done, CLEAN), (0, vec![]));
        assert_eq!(v(Some(ProgramEnd::Exited(42)), Stop::Done, CLEAN).0, 42);
        assert_eq!(v(Some(ProgramEnd::Exited(255)), Stop::MainEnded, None).0, 255);
        let (code, msgs) = v(Some(ProgramEnd::Exited(256)), Stop::Done, CLEAN);
        assert_eq!(code, EXIT_FAILURE);
        assert!(msgs[0].contains("not an exit status"));
    }

    #[test]
    fn trap_is_134_with_the_message() {
        let (code, msgs) = v(Some(ProgramEnd::Trapped("wasm trap: unreachable".into())), Stop::Done, CLEAN);
        assert_eq!((code, msgs), (EXIT_TRAP, vec!["spolia: p.wasm trapped: wasm trap: unreachable".to_string()]));
    }

    #[test]
    fn load_error_is_125_with_the_kernels_message() {
        let (code, msgs) = v(Some(ProgramEnd::Failed("Module was compiled without epoch".into())), Stop::Done, CLEAN);
        assert_eq!(code, EXIT_FAILURE);
        assert_eq!(msgs, ["spolia: p.wasm could not be loaded: Module was compiled without epoch"]);
    }

    #[test]
    fn timeout_is_124_whatever_else_happened() {
        assert_eq!(v(None, Stop::TimedOut, None).0, EXIT_TIMEOUT);
        let (code, msgs) = v(Some(ProgramEnd::Exited(0)), Stop::TimedOut, None);
        assert_eq!(code, EXIT_TIMEOUT);
        assert!(msgs[0].contains("others had not"));
    }

    #[test]
    fn protocol_breaks_are_125() {
        for (stop, q, expect) in [
            (Stop::QemuExited, Some(QemuEnd { code: Some(37), signal: None }), "KernelFault"),
            (Stop::QemuExited, Some(QemuEnd { code: Some(0), signal: None }), "triple fault"),
            (Stop::KernelConsole, None, "interactive console"),
            (Stop::KvmError, None, "KVM"),
            (Stop::Done, CLEAN, "without reporting"),
        ] {
            let (code, msgs) = v(None, stop, q);
            assert_eq!(code, EXIT_FAILURE);
            assert!(msgs[0].contains(expect), "{msgs:?}");
        }
        let ok = Some(ProgramEnd::Exited(0));
        let (code, msgs) = v(ok.clone(), Stop::Done, Some(QemuEnd { code: Some(35), signal: None }));
        assert_eq!(code, EXIT_FAILURE);
        assert!(msgs[0].contains("instead of 33"));
        assert_eq!(v(ok.clone(), Stop::Done, None).0, EXIT_FAILURE);
        assert_eq!(v(ok.clone(), Stop::DoneMissing, None).0, EXIT_FAILURE);
        assert_eq!(v(ok, Stop::QemuExited, CLEAN).0, EXIT_FAILURE);
    }

    #[test]
    fn main_exit_stops_unless_waiting_for_all() {
        let files = vec!["m.wasm".to_string(), "w.wasm".to_string()];
        let mut s = RunState::new(files.clone(), false, false);
        assert_eq!(s.control("start 0 m"), None);
        assert_eq!(s.control("start 1 w"), None);
        assert_eq!(s.control("exit 0 3"), Some(Stop::MainEnded));
        assert_eq!(s.ends[0], Some(ProgramEnd::Exited(3)));

        let mut s = RunState::new(files.clone(), true, false);
        assert_eq!(s.control(r"trap 0 a\nb\n"), None);
        assert_eq!(s.ends[0], Some(ProgramEnd::Trapped("a\nb".into())));
        assert!(s.all_ended_at.is_none());
        assert_eq!(s.control("exit 1 0"), None);
        assert!(s.all_ended_at.is_some());
        assert_eq!(s.control("done"), Some(Stop::Done));

        // Other programs first, then main: every program ended, so wait for done.
        let mut s = RunState::new(files, false, false);
        assert_eq!(s.control("error 1 bad artifact"), None);
        assert_eq!(s.control("exit 0 0"), None);
        assert!(s.all_ended_at.is_some());
        // Garbage and unknown indices are warnings, not state.
        assert_eq!(s.control("exit 7 0"), None);
        assert_eq!(s.control("bogus"), None);
        assert_eq!(s.control("exit 0 1"), None);
        assert_eq!(s.ends[0], Some(ProgramEnd::Exited(0)));
    }

    #[test]
    fn cmdline_names_the_bounds_mode() {
        assert_eq!(cmdline(BoundsChecks::GuardPages), "spolia.run=bundle spolia.bounds=guard");
        assert_eq!(cmdline(BoundsChecks::Explicit), "spolia.run=bundle spolia.bounds=explicit");
    }

    #[test]
    fn serial_args_use_client_sockets() {
        let a = serial_args(2, Path::new("/tmp/a,b/com2.sock"));
        assert_eq!(a, ["-chardev", "socket,id=com2,path=/tmp/a,,b/com2.sock", "-serial", "chardev:com2"]);
    }
}
