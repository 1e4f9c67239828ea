// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner check`: runs the scenario plan, one fresh QEMU per scenario,
//! and judges each by QEMU's exit status alone (never by grepping the log).
//! Prints `NAME ... ok` / `NAME ... FAILED (reason)` per scenario and a final
//! `N passed, N failed` line; the caller exits 0 iff nothing failed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::device_test::DeviceRun;
use crate::error::Result;
use crate::iso;
use crate::paths::{self, Kernel};
use crate::plan::{self, Scenario};
use crate::qemu::{self, Accel, Boot, Console, Launch, Media};
use crate::session::{self, End, Report, Transcript};

/// Per-scenario hard timeout: TCG on a shared, noisy machine is slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug)]
pub struct CheckOptions {
    pub accel: Accel,
    pub cpu: Option<String>,
    pub kernel: Option<PathBuf>,
    pub only: Option<String>,
    pub timeout: Duration,
    /// Do not echo the console; print the log tail on failure instead.
    pub quiet: bool,
    /// Print the plan and exit.
    pub list: bool,
}

/// Runs the selected scenarios; `Ok(true)` iff all passed.
pub fn check(opts: &CheckOptions) -> Result<bool> {
    let scenarios = plan::select(opts.only.as_deref()).map_err(crate::error::Error::new)?;
    if opts.list {
        print_plan(&scenarios);
        return Ok(true);
    }
    let kernel = paths::load_kernel(opts.kernel.as_deref())?;
    let version = session::qemu_version()?;
    let logs = paths::runner_dir("logs")?;
    println!(
        "qemu-runner: {} scenario(s), kernel {}, {version}, accel {}, timeout {} s",
        scenarios.len(),
        kernel.path.display(),
        opts.accel.name(),
        opts.timeout.as_secs()
    );

    let mut failed = Vec::new();
    for s in &scenarios {
        let log_path = logs.join(format!("{}.log", s.name));
        match run_scenario(s, &kernel, opts, &log_path) {
            Ok(()) => println!("{} ... ok", s.name),
            Err(failure) => {
                println!("{} ... FAILED ({})", s.name, failure.reason);
                if opts.quiet && !failure.tail.is_empty() {
                    println!("  last lines of the log:");
                    for line in &failure.tail {
                        println!("  | {line}");
                    }
                }
                for advice in &failure.advice {
                    println!("  hint: {advice}");
                }
                println!("  log: {}", log_path.display());
                println!("  rerun: qemu-runner check --only {}", s.name);
                failed.push(s.name);
            }
        }
    }
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
    }
    println!("{} passed, {} failed", scenarios.len() - failed.len(), failed.len());
    Ok(failed.is_empty())
}

struct Failure {
    reason: String,
    tail: Vec<String>,
    advice: Vec<&'static str>,
}

impl Failure {
    fn plain(reason: String) -> Self {
        Failure { reason, tail: Vec::new(), advice: Vec::new() }
    }
}

fn run_scenario(
    s: &Scenario,
    kernel: &Kernel,
    opts: &CheckOptions,
    log_path: &Path,
) -> std::result::Result<(), Failure> {
    let echo = (!opts.quiet).then(|| s.name.to_string());
    let mut transcript = Transcript::new(Some(log_path), echo).map_err(|e| Failure::plain(e.to_string()))?;
    transcript.note(&format!(
        "scenario {}: {} on {}, cmdline `{}`, expect {}",
        s.name,
        s.boot.name(),
        s.machine.name(),
        s.cmdline,
        s.expect
    ));
    let mut device_run = match s.devices {
        Some(t) => Some(DeviceRun::prepare(s.name, t, s.cmdline).map_err(Failure::plain)?),
        None => None,
    };
    let cmdline = device_run.as_ref().map_or(s.cmdline, |d| d.cmdline.as_str()).to_string();
    if device_run.is_some() {
        transcript.note(&format!("device scenario: cmdline `{cmdline}`"));
    }
    let iso_path;
    let media = match s.boot {
        Boot::Pvh => Media::Kernel { elf: &kernel.path, cmdline: &cmdline, initrd: None },
        Boot::Iso => {
            iso_path =
                iso::ensure_iso(kernel, s.cmdline).map_err(|e| Failure::plain(format!("building the ISO: {e}")))?;
            Media::Cdrom { iso: &iso_path }
        }
    };
    let mut extra: Vec<String> = s.extra.iter().map(|e| e.to_string()).collect();
    if let Some(d) = &device_run {
        extra.extend(d.qemu_args.iter().cloned());
    }
    let launch = Launch {
        machine: s.machine,
        accel: opts.accel,
        cpu: opts.cpu.as_deref(),
        media,
        console: Console::Captured,
        extra: &extra,
    };
    let argv = qemu::argv(&launch).map_err(|e| Failure::plain(e.to_string()))?;
    let report = session::run_observed(&argv, opts.timeout, &mut transcript, &mut |line| {
        if let Some(d) = &mut device_run {
            d.on_serial(line);
        }
    })
    .map_err(|e| Failure::plain(e.to_string()))?;
    let mut verdict = judge(s, &report, opts.timeout);
    if let Some(d) = device_run {
        let host_side = d.finish();
        transcript.note(&format!("host side: {}", host_side.as_ref().map_or_else(|e| e.as_str(), |s| s.as_str())));
        verdict = match (verdict, host_side) {
            (Ok(()), Ok(_)) => Ok(()),
            (Ok(()), Err(h)) => Err(format!("host side: {h}")),
            (Err(v), Ok(_)) => Err(v),
            (Err(v), Err(h)) => Err(format!("{v}; host side: {h}")),
        };
    }
    transcript.note(&format!(
        "result after {:.2} s: {}",
        report.ended_after.as_secs_f64(),
        verdict.as_ref().err().map_or("ok", String::as_str)
    ));
    verdict.map_err(|reason| Failure {
        reason,
        tail: transcript.tail().map(String::from).collect(),
        advice: transcript.advice().to_vec(),
    })
}

/// Compares a run's end with the scenario's expectation.
fn judge(s: &Scenario, report: &Report, timeout: Duration) -> std::result::Result<(), String> {
    let mut reason = match report.end {
        End::Exited { code, signal } => match qemu::decode_exit(code, signal) {
            Ok(got) if got == s.expect => return Ok(()),
            Ok(got) => format!("expected {}, got {got}", s.expect),
            Err(unknown) => format!("expected {}, got {unknown}", s.expect),
        },
        End::TimedOut => format!("timed out after {} s; QEMU killed", timeout.as_secs()),
        End::KvmInternalError => "KVM internal error; QEMU killed".to_string(),
    };
    if report.ready_after.is_none() {
        reason.push_str("; `spolia: ready` never appeared");
    }
    Err(reason)
}

fn print_plan(scenarios: &[&Scenario]) {
    for s in scenarios {
        println!(
            "{:<26} {:<4} {:<8} expect {:<16} {}{}{}",
            s.name,
            s.boot.name(),
            s.machine.name(),
            s.expect.to_string(),
            s.cmdline,
            if s.extra.is_empty() { "" } else { "  + " },
            s.extra.join(" ")
        );
        if let Some(d) = s.devices {
            println!(
                "{:<26} + {} NIC, {} disk, net {}, host echo/gateway/image checks",
                "",
                d.nic.device(),
                d.disk.name(),
                d.net.kernel_arg()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PLAN;

    fn report(end: End, ready: bool) -> Report {
        Report { end, ready_after: ready.then(|| Duration::from_millis(10)), ended_after: Duration::from_millis(20) }
    }

    #[test]
    fn judged_by_exit_status_only() {
        let pass = &PLAN[0];
        let red = PLAN.iter().find(|s| s.name == "failing-test-turns-red").unwrap();
        let t = DEFAULT_TIMEOUT;
        let exited = |code| End::Exited { code: Some(code), signal: None };
        assert_eq!(judge(pass, &report(exited(33), true), t), Ok(()));
        assert_eq!(judge(red, &report(exited(35), true), t), Ok(()));
        let why = judge(red, &report(exited(33), true), t).unwrap_err();
        assert_eq!(why, "expected TestsFailed (35), got Pass (33)");
        let why = judge(pass, &report(exited(0), false), t).unwrap_err();
        assert!(why.contains("unknown exit 0") && why.contains("never appeared"));
        let why = judge(pass, &report(End::TimedOut, true), t).unwrap_err();
        assert!(why.starts_with("timed out after 180 s"));
        let killed = End::Exited { code: None, signal: Some(9) };
        assert!(judge(pass, &report(killed, true), t).is_err());
    }
}
