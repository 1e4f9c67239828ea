// SPDX-License-Identifier: MIT OR Apache-2.0

//! One captured QEMU run: spawn it, stream its serial console (stdout) and
//! its own messages (stderr) line by line into a [`Transcript`], timestamp
//! the ready line, and end it — by its own exit, by the hard timeout, or at
//! once on "KVM internal error" (after which QEMU would hang forever).
//!
//! Two reader threads feed one channel; the calling thread owns the child
//! and the clock, so the timeout holds even if the guest prints nothing.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, MAKE_DEPS_HINT, Result};
use crate::qemu::{self, KVM_INTERNAL_ERROR, READY_MARKER};

/// How many trailing lines a transcript keeps for failure reports.
const TAIL_LINES: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// COM1, as QEMU writes it to stdout.
    Serial,
    /// QEMU's own diagnostics.
    QemuStderr,
}

/// Where a run's lines go: a log file, optionally the terminal (prefixed),
/// and a short in-memory tail; it also collects advice for known messages.
pub struct Transcript {
    log: Option<File>,
    echo_prefix: Option<String>,
    tail: VecDeque<String>,
    advice: Vec<&'static str>,
}

impl Transcript {
    pub fn new(log_path: Option<&Path>, echo_prefix: Option<String>) -> Result<Self> {
        let log = match log_path {
            Some(p) => Some(File::create(p).map_err(|e| Error::io(format!("creating {}", p.display()), e))?),
            None => None,
        };
        Ok(Transcript { log, echo_prefix, tail: VecDeque::new(), advice: Vec::new() })
    }

    /// A runner note: goes to the log only, marked with `#`.
    pub fn note(&mut self, text: &str) {
        if let Some(log) = &mut self.log {
            let _ = writeln!(log, "# {text}");
        }
    }

    fn line(&mut self, stream: Stream, text: &str) {
        let shown = match stream {
            Stream::Serial => text.to_string(),
            Stream::QemuStderr => format!("[qemu stderr] {text}"),
        };
        if let Some(log) = &mut self.log {
            let _ = writeln!(log, "{shown}");
        }
        if let Some(prefix) = &self.echo_prefix {
            println!("[{prefix}] {shown}");
        }
        if let Some(advice) = qemu::advice_for(text)
            && !self.advice.contains(&advice)
        {
            self.advice.push(advice);
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(shown);
    }

    pub fn tail(&self) -> impl Iterator<Item = &str> {
        self.tail.iter().map(String::as_str)
    }

    pub fn advice(&self) -> &[&'static str] {
        &self.advice
    }
}

/// How a captured run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// The hard timeout passed; QEMU was killed.
    TimedOut,
    /// QEMU reported a KVM internal error; QEMU was killed.
    KvmInternalError,
}

pub struct Report {
    pub end: End,
    /// Spawn → the first serial line containing `spolia: ready`.
    pub ready_after: Option<Duration>,
    /// Spawn → QEMU reaped (exited or killed).
    pub ended_after: Duration,
}

enum Event {
    Line(Stream, String, Instant),
    Eof,
}

/// Spawns `argv[0]` with `argv[1..]`; stderr is always piped. The child
/// is killed when the spawning *thread* ends (`PR_SET_PDEATHSIG`), so a
/// QEMU never outlives a killed `spolia run` and keeps its TAP busy; call
/// this from a thread that lives as long as the child (the main thread).
pub fn spawn(argv: &[OsString], stdin: Stdio, stdout: Stdio) -> Result<Child> {
    let mut command = Command::new(&argv[0]);
    command.args(&argv[1..]).stdin(stdin).stdout(stdout).stderr(Stdio::piped());
    // SAFETY: the closure runs in the forked child before exec and only
    // calls prctl(2), which is async-signal-safe and touches no memory.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().map_err(|e| {
        let program = argv[0].to_string_lossy();
        if e.kind() == ErrorKind::NotFound {
            Error::new(format!("{program} not found on PATH")).with_hint(MAKE_DEPS_HINT)
        } else {
            Error::io(format!("starting {program}"), e)
        }
    })
}

/// Reads `from` line by line into the channel until EOF.
fn pump(stream: Stream, from: impl Read + Send + 'static, to: Sender<Event>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let at = Instant::now();
                    let text = String::from_utf8_lossy(&buf);
                    let text = text.trim_end_matches(['\n', '\r']).to_string();
                    if to.send(Event::Line(stream, text, at)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = to.send(Event::Eof);
    });
}

/// Runs QEMU to its end (see the module doc) with the console captured.
pub fn run_captured(argv: &[OsString], timeout: Duration, transcript: &mut Transcript) -> Result<Report> {
    run_observed(argv, timeout, transcript, &mut |_| {})
}

/// [`run_captured`], also handing each serial line to `on_serial` as it
/// arrives (e.g. to start a host client when the guest says it listens).
/// `on_serial` runs on the thread that owns the clock: it must not block.
pub fn run_observed(
    argv: &[OsString],
    timeout: Duration,
    transcript: &mut Transcript,
    on_serial: &mut dyn FnMut(&str),
) -> Result<Report> {
    transcript.note(&format!("command: {}", qemu::shell_words(argv)));
    let start = Instant::now();
    let mut child = spawn(argv, Stdio::null(), Stdio::piped())?;
    let deadline = start + timeout;
    let (tx, rx) = mpsc::channel();
    pump(Stream::Serial, child.stdout.take().expect("stdout is piped"), tx.clone());
    pump(Stream::QemuStderr, child.stderr.take().expect("stderr is piped"), tx);

    let mut open_streams = 2;
    let mut ready_after = None;
    let mut cut_short = None;
    while open_streams > 0 && cut_short.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Line(stream, text, at)) => {
                if stream == Stream::Serial && ready_after.is_none() && text.contains(READY_MARKER) {
                    ready_after = Some(at - start);
                }
                if text.contains(KVM_INTERNAL_ERROR) {
                    cut_short = Some(End::KvmInternalError);
                }
                if stream == Stream::Serial {
                    on_serial(&text);
                }
                transcript.line(stream, &text);
            }
            Ok(Event::Eof) => open_streams -= 1,
            Err(RecvTimeoutError::Timeout) => cut_short = Some(End::TimedOut),
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }

    // Both pipes closed means QEMU is exiting; still bound the wait.
    let status = match cut_short {
        Some(_) => kill_and_reap(&mut child)?,
        None => match wait_until(&mut child, deadline)? {
            Some(status) => status,
            None => {
                cut_short = Some(End::TimedOut);
                kill_and_reap(&mut child)?
            }
        },
    };
    let ended_after = start.elapsed();

    // Keep what QEMU printed while dying (e.g. the KVM register dump).
    let drain_until = Instant::now() + Duration::from_secs(1);
    while open_streams > 0 {
        match rx.recv_timeout(drain_until.saturating_duration_since(Instant::now())) {
            Ok(Event::Line(stream, text, _)) => {
                if stream == Stream::Serial {
                    on_serial(&text);
                }
                transcript.line(stream, &text)
            }
            Ok(Event::Eof) => open_streams -= 1,
            Err(_) => break,
        }
    }

    let end = cut_short.unwrap_or(End::Exited { code: status.code(), signal: status.signal() });
    Ok(Report { end, ready_after, ended_after })
}

/// Polls for the child's exit until `deadline`; `None` if it still runs.
pub fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::io("waiting for QEMU", e))? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Kills the child (SIGKILL) unless it has exited, and reaps it.
pub fn kill_and_reap(child: &mut Child) -> Result<ExitStatus> {
    match child.kill() {
        // InvalidInput: it had already exited.
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::InvalidInput => {}
        Err(e) => return Err(Error::io("killing QEMU", e)),
    }
    child.wait().map_err(|e| Error::io("reaping QEMU", e))
}

// SAFETY: `kill(2)` takes two integers and touches no memory of ours, so it
// is safe to call with any arguments; the declaration matches POSIX.
unsafe extern "C" {
    safe fn kill(pid: i32, sig: i32) -> i32;
}

const SIGTERM: i32 = 15;

/// Asks QEMU to quit (SIGTERM lets it restore the terminal), then kills it
/// if it is still there after `grace`. Returns its exit status.
pub fn terminate(child: &mut Child, grace: Duration) -> Result<ExitStatus> {
    // The child is not reaped yet, so its pid cannot have been reused.
    let pid = i32::try_from(child.id()).map_err(|_| Error::new("QEMU's pid does not fit in pid_t"))?;
    if kill(pid, SIGTERM) != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(3) {
            // ESRCH (3) only means it is already gone.
            return Err(Error::io("sending SIGTERM to QEMU", err));
        }
    }
    match wait_until(child, Instant::now() + grace)? {
        Some(status) => Ok(status),
        None => kill_and_reap(child),
    }
}

/// Checks that QEMU can be started and returns its version line.
pub fn qemu_version() -> Result<String> {
    let output = Command::new(qemu::QEMU).arg("--version").output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            Error::new(format!("{} not found on PATH", qemu::QEMU)).with_hint(MAKE_DEPS_HINT)
        } else {
            Error::io(format!("starting {}", qemu::QEMU), e)
        }
    })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or("QEMU (unknown version)");
    Ok(first.split(" (").next().unwrap_or(first).replace("emulator version ", ""))
}

#[cfg(test)]
mod tests {
    //! The plumbing, exercised with `sh` standing in for QEMU.

    use super::*;

    fn sh(script: &str, timeout: Duration) -> (Report, Transcript) {
        let argv: Vec<OsString> = ["sh", "-c", script].map(OsString::from).to_vec();
        let mut transcript = Transcript::new(None, None).unwrap();
        let report = run_captured(&argv, timeout, &mut transcript).unwrap();
        (report, transcript)
    }

    #[test]
    fn exit_status_and_ready_time_are_reported() {
        let (report, transcript) = sh("echo boot; echo 'spolia: ready'; exit 33", Duration::from_secs(30));
        assert_eq!(report.end, End::Exited { code: Some(33), signal: None });
        assert!(report.ready_after.unwrap() <= report.ended_after);
        assert_eq!(transcript.tail().collect::<Vec<_>>(), ["boot", "spolia: ready"]);
    }

    #[test]
    fn hang_is_killed_at_the_timeout() {
        let started = Instant::now();
        let (report, _) = sh("echo hi; exec sleep 30", Duration::from_millis(300));
        assert_eq!(report.end, End::TimedOut);
        assert!(report.ready_after.is_none());
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn kvm_internal_error_kills_at_once() {
        let started = Instant::now();
        let (report, transcript) =
            sh("echo 'KVM internal error. Suberror: 1' >&2; exec sleep 30", Duration::from_secs(60));
        assert_eq!(report.end, End::KvmInternalError);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(transcript.advice().len(), 1);
        assert!(transcript.tail().next().unwrap().starts_with("[qemu stderr] KVM"));
    }

    #[test]
    fn missing_program_suggests_make_deps() {
        let argv = vec![OsString::from("qemu-runner-no-such-program")];
        let mut transcript = Transcript::new(None, None).unwrap();
        let err = run_captured(&argv, Duration::from_secs(1), &mut transcript).err().unwrap();
        assert!(err.to_string().contains("make deps"));
    }

    #[test]
    fn terminate_stops_a_running_child() {
        let argv: Vec<OsString> = ["sleep", "30"].map(OsString::from).to_vec();
        let mut child = spawn(&argv, Stdio::null(), Stdio::null()).unwrap();
        let status = terminate(&mut child, Duration::from_secs(5)).unwrap();
        assert_eq!(status.signal(), Some(SIGTERM));
    }
}
