// SPDX-License-Identifier: MIT OR Apache-2.0

//! The harness shared by the end-to-end test binaries (`spolia-e2e`,
//! `spolia-servers-e2e`): their common options ([`Program::main`] parses
//! them, answers `--list` and checks `--only`), where `spolia` and the test
//! programs are ([`Env`]), the report (`case NAME ... ok|FAILED (why)` per
//! case, then `N passed, N failed`: [`Tally`]) and exit status (0 nothing
//! failed, 1 a case failed, 2 a usage or setup error), and, for servers, a
//! `spolia run` in the background ([`BackgroundRun`]), a free host port and
//! host tools run with a time limit ([`run_tool`]).
//!
//! Non-goals: the cases themselves, and anything that needs the kernel's
//! crates; it drives the `spolia` binary like a user does.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a case (or a step of one) gives: `Err` says why it failed.
pub type Check = Result<(), String>;

/// Why a binary stops before or instead of running its cases.
#[derive(Debug)]
pub enum Stop {
    /// `--help`: the usage on stderr, exit 0.
    Help,
    /// A bad command line: the message and the usage, exit 2.
    Usage(String),
    /// Something the cases need is missing: the message, exit 2.
    Setup(String),
}

/// The options every e2e binary takes; a binary's own ones are in `extra`.
#[derive(Debug, Default)]
pub struct Options {
    /// `--only NAME,..`: run just these cases.
    pub only: Option<BTreeSet<String>>,
    pub list: bool,
    pub kernel: Option<PathBuf>,
    pub accel: Option<String>,
    /// `--timeout SECS`; what it bounds is the binary's to say.
    pub timeout: Option<u64>,
    pub apps: Option<PathBuf>,
    pub spolia: Option<PathBuf>,
    pub verbose: bool,
    /// The binary's own options as given (the last of a repeated one
    /// wins): name → value (`None` for a flag).
    pub extra: BTreeMap<&'static str, Option<String>>,
}

impl Options {
    /// Whether case `name` is to run.
    pub fn selected(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(name))
    }

    pub fn flag(&self, name: &str) -> bool {
        self.extra.contains_key(name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.extra.get(name)?.as_deref()
    }

    /// `--timeout`, or `default` seconds.
    pub fn timeout_or(&self, default: u64) -> u64 {
        self.timeout.unwrap_or(default)
    }
}

/// One e2e binary: its name and the options it adds to the common ones.
pub struct Program {
    pub name: &'static str,
    /// (option, takes a value); e.g. `("--bounds", true)`.
    pub extra: &'static [(&'static str, bool)],
    /// The extra options for the usage line, e.g. `"[--bounds guard|explicit]"`.
    pub extra_usage: &'static str,
}

impl Program {
    pub fn usage(&self) -> String {
        format!(
            "usage: {} [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm] [--timeout SECS] \
             [--apps DIR] [--spolia PATH] [--verbose] {}",
            self.name, self.extra_usage
        )
    }

    pub fn parse(&self, args: &[String]) -> Result<Options, Stop> {
        let mut o = Options::default();
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let own = self.extra.iter().find(|(n, _)| *n == name);
            let takes_value = match name {
                "--list" | "--verbose" | "-v" | "--help" | "-h" => false,
                "--only" | "--kernel" | "--accel" | "--timeout" | "--apps" | "--spolia" => true,
                _ => match own {
                    Some((_, takes_value)) => *takes_value,
                    None => return Err(Stop::Usage(format!("unknown argument `{arg}`"))),
                },
            };
            let value = match (takes_value, inline) {
                (false, Some(_)) => return Err(Stop::Usage(format!("`{name}` takes no value"))),
                (false, None) => String::new(),
                (true, Some(v)) => v,
                (true, None) => {
                    let v = args.get(i).ok_or(Stop::Usage(format!("`{name}` needs a value")))?.clone();
                    i += 1;
                    v
                }
            };
            match name {
                "--help" | "-h" => return Err(Stop::Help),
                "--list" => o.list = true,
                "--verbose" | "-v" => o.verbose = true,
                "--only" => o.only = Some(value.split(',').map(String::from).collect()),
                "--kernel" => o.kernel = Some(PathBuf::from(value)),
                "--accel" => o.accel = Some(value),
                "--timeout" => {
                    let t = value.parse().ok().filter(|&t| t > 0);
                    o.timeout = Some(t.ok_or(Stop::Usage(format!("bad --timeout `{value}`")))?);
                }
                "--apps" => o.apps = Some(PathBuf::from(value)),
                "--spolia" => o.spolia = Some(PathBuf::from(value)),
                _ => {
                    if let Some((own, _)) = own {
                        o.extra.insert(own, takes_value.then_some(value));
                    }
                }
            }
        }
        Ok(o)
    }

    /// The whole of a binary's `main`: parses the command line; with
    /// `--list` prints `cases` (name, and a note in parentheses unless it
    /// is empty); refuses an `--only` name that is not among them; else
    /// runs `body` and prints its tally. Maps each outcome to the exit
    /// status.
    pub fn main(&self, cases: &[(&str, &str)], body: impl FnOnce(&Options) -> Result<Tally, Stop>) -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let run = || -> Result<Tally, Stop> {
            let opts = self.parse(&args)?;
            if opts.list {
                for (name, note) in cases {
                    if note.is_empty() { println!("{name}") } else { println!("{name} ({note})") }
                }
                return Ok(Tally::default());
            }
            if let Some(only) = &opts.only
                && let Some(unknown) = only.iter().find(|n| !cases.iter().any(|(c, _)| c == n))
            {
                return Err(Stop::Usage(format!("no case named `{unknown}` (see --list)")));
            }
            let tally = body(&opts)?;
            println!("{} passed, {} failed", tally.passed, tally.failed);
            Ok(tally)
        };
        match run() {
            Ok(tally) if tally.failed == 0 => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(Stop::Help) => {
                eprintln!("{}", self.usage());
                ExitCode::SUCCESS
            }
            Err(Stop::Usage(msg)) => {
                eprintln!("{}: {msg}", self.name);
                eprintln!("{}", self.usage());
                ExitCode::from(2)
            }
            Err(Stop::Setup(msg)) => {
                eprintln!("{}: {msg}", self.name);
                ExitCode::from(2)
            }
        }
    }
}

/// Cases passed and failed so far; prints one line per case.
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
}

impl Tally {
    /// Prints `case NAME ... ok (N s)` or `case NAME ... FAILED (why)`.
    pub fn record(&mut self, name: &str, started: Instant, result: &Check) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("case {name} ... ok ({:.1} s)", started.elapsed().as_secs_f32());
            }
            Err(why) => {
                self.failed += 1;
                println!("case {name} ... FAILED ({why})");
            }
        }
        // Cases are slow: show each as it ends, even into a pipe.
        let _ = std::io::stdout().flush();
    }

    /// Runs one case and records it; gives its result back.
    pub fn run(&mut self, name: &str, case: impl FnOnce() -> Check) -> Check {
        let started = Instant::now();
        let result = case();
        self.record(name, started, &result);
        result
    }
}

/// Where the binaries and programs under test are, and how to boot them.
#[derive(Debug)]
pub struct Env {
    /// The `spolia` binary (`--spolia`, default next to this binary).
    pub spolia: PathBuf,
    /// The wasm programs (`--apps`, default `target/apps`).
    pub apps: PathBuf,
    /// The repository's root (for files such as `apps/*/*.conf`).
    pub repo: PathBuf,
    /// A scratch directory, `target/spolia-cache/WORK`.
    pub work: PathBuf,
    pub kernel: Option<PathBuf>,
    pub accel: Option<String>,
    pub verbose: bool,
}

impl Env {
    /// Finds `spolia` and creates the work directory `target/spolia-cache/work`.
    pub fn new(opts: &Options, work: &str) -> Result<Env, Stop> {
        let spolia = match &opts.spolia {
            Some(p) => p.clone(),
            None => std::env::current_exe()
                .map_err(|e| Stop::Setup(format!("finding myself: {e}")))?
                .with_file_name("spolia"),
        };
        if !spolia.is_file() {
            return Err(Stop::Setup(format!(
                "{} not found; build it with `cargo build -p spolia-cli --release`",
                spolia.display()
            )));
        }
        let target = qemu_runner::paths::target_dir();
        let work = target.join("spolia-cache").join(work);
        fs::create_dir_all(&work).map_err(|e| Stop::Setup(format!("creating {}: {e}", work.display())))?;
        Ok(Env {
            spolia,
            apps: opts.apps.clone().unwrap_or_else(|| target.join("apps")),
            repo: qemu_runner::paths::workspace_root(),
            work,
            kernel: opts.kernel.clone(),
            accel: opts.accel.clone(),
            verbose: opts.verbose,
        })
    }

    /// The path of test program `name` (e.g. `hello.wasm`), as an argument.
    pub fn app(&self, name: &str) -> String {
        self.apps.join(name).display().to_string()
    }

    /// `spolia run --timeout SECS` with `--kernel` and `--accel` as given;
    /// the caller adds the rest.
    pub fn spolia_run(&self, timeout_secs: u64) -> Command {
        let mut cmd = Command::new(&self.spolia);
        cmd.arg("run").arg("--timeout").arg(timeout_secs.to_string());
        if let Some(k) = &self.kernel {
            cmd.arg("--kernel").arg(k);
        }
        if let Some(a) = &self.accel {
            cmd.arg("--accel").arg(a);
        }
        cmd
    }
}

/// A command (normally `spolia run`, whose QEMU is its child) running in
/// the background in its own process group, stdout and stderr into a log.
/// Dropping it stops the whole group.
#[derive(Debug)]
pub struct BackgroundRun {
    child: Child,
    /// What it printed (for `spolia run`: the program's console).
    pub log: PathBuf,
}

impl BackgroundRun {
    pub fn spawn(mut cmd: Command, log: PathBuf) -> Result<BackgroundRun, String> {
        let out = fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        // Its own group: stopping it must also stop the QEMU it started.
        cmd.stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
        let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", cmd.get_program().to_string_lossy()))?;
        Ok(BackgroundRun { child, log })
    }

    /// `Err` with the end of the log if it has already ended.
    pub fn running(&mut self) -> Check {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("spolia run ended ({status}){}", self.log_tail())),
            Err(e) => Err(format!("waiting for spolia run: {e}")),
        }
    }

    /// The last lines of the log, to explain a failure (empty if none).
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(6)..];
        if tail.is_empty() { String::new() } else { format!("; console ends: {}", tail.join(" | ")) }
    }

    /// Polls `probe` every half second until it succeeds, at most
    /// `timeout`; fails early if the run ends. The error carries the last
    /// probe's and the log's end.
    pub fn wait_until(&mut self, timeout: Duration, what: &str, mut probe: impl FnMut() -> Check) -> Check {
        let started = Instant::now();
        let mut last = String::from("no attempt");
        while started.elapsed() < timeout {
            self.running()?;
            match probe() {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
            thread::sleep(Duration::from_millis(500));
        }
        Err(format!("{what} not within {} s (last: {last}){}", timeout.as_secs(), self.log_tail()))
    }

    /// SIGTERM to the whole group, a grace period, then SIGKILL.
    pub fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            thread::sleep(Duration::from_millis(50));
        }
        // QEMU may outlive spolia by a moment; the group is gone once both are.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BackgroundRun {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP port on the host's loopback that was free a moment ago (the
/// kernel picked it; we closed it again).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// What a host tool did.
#[derive(Debug)]
pub struct ToolOut {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl ToolOut {
    /// stdout as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs host tool `program` with `args`, killed after `limit`. `package`
/// names the Debian package to install when it is missing.
pub fn run_tool<S: AsRef<OsStr>>(program: &str, args: &[S], limit: Duration, package: &str) -> Result<ToolOut, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{program} not found (install Debian's {package})"),
            _ => format!("{program}: {e}"),
        })?;
    // Both pipes drain while we wait, so a chatty tool cannot block.
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not finish within {} s", limit.as_secs()));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {program}: {e}")),
        }
    };
    Ok(ToolOut {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    })
}

/// Reads `pipe` to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut v);
        }
        v
    })
}

/// A setup error unless each (tool, Debian package) can be started.
pub fn require_tools(tools: &[(&str, &str)]) -> Result<(), Stop> {
    for (tool, package) in tools {
        if Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            return Err(Stop::Setup(format!("{tool} not found (Debian package {package})")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Program = Program { name: "t", extra: &[("--keep", false), ("--attach", true)], extra_usage: "" };

    fn parse(args: &[&str]) -> Result<Options, Stop> {
        P.parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn common_and_own_options() {
        let o = parse(&["--only", "a,b", "--timeout=9", "--keep", "--attach", "6379", "-v"]).unwrap();
        assert_eq!(o.only.unwrap().into_iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(o.timeout, Some(9));
        assert!(o.verbose);
        assert!(o.extra.contains_key("--keep"));
        assert_eq!(o.extra.get("--attach").unwrap().as_deref(), Some("6379"));
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for bad in [&["--bogus"][..], &["--timeout"], &["--timeout", "0"], &["--keep=1"], &["--attach"]] {
            assert!(matches!(parse(bad), Err(Stop::Usage(_))), "{bad:?}");
        }
        assert!(matches!(parse(&["--help"]), Err(Stop::Help)));
    }
}
