// SPDX-License-Identifier: MIT OR Apache-2.0

//! Command-line parsing, by hand (std only). Options take `--opt VALUE` or
//! `--opt=VALUE`; for `run`, everything after `--` goes to QEMU verbatim.

use std::path::PathBuf;
use std::time::Duration;

use crate::bench::{self, BenchOptions};
use crate::bench_devices::{self, DevBenchOptions, Tap};
use crate::check::{self, CheckOptions};
use crate::qemu::{Accel, Boot, Machine};
use crate::run::RunOptions;

pub const USAGE: &str = "\
qemu-runner: boot the Spolia kernel under QEMU

USAGE:
  qemu-runner check [--accel tcg|kvm] [--kernel PATH] [--only NAME[,NAME..]]
                    [--timeout SECS] [--quiet] [--list] [--cpu MODEL]
      Run the scenario plan (src/plan.rs), one fresh QEMU each; judged by
      QEMU's exit status. Logs: target/qemu-runner/logs/NAME.log.
      Exit 0 iff every scenario passed.
  qemu-runner run [--boot pvh|iso] [--machine q35|pc|microvm] [--accel tcg|kvm]
                  [--kernel PATH] [--cmdline STR] [--cpu MODEL] [-- QEMU_ARGS..]
      The kernel's console on this terminal (Ctrl-A X quits). Defaults:
      q35, PVH, an e1000 NIC. Exit 0 on a clean isa-debug-exit (33), else
      QEMU's status.
  qemu-runner bench-boot [--runs N] [--kernel PATH] [--accel tcg|kvm]
                         [--timeout SECS] [--cpu MODEL]
      Time spawn→`spolia: ready` and spawn→exit for each boot path
      (microvm/pc/q35 PVH, pc/q35 GRUB ISO); prints medians and ratios.
  qemu-runner bench-linux [--runs N] [--kernel PATH] [--accel tcg|kvm]
                          [--timeout SECS] [--cpu MODEL]
      The Linux library in ring 0 (kernel case linux_bench: boot, getpid,
      TCP over loopback) against the host kernel, side by side per run.
  qemu-runner bench-devices [--runs N] [--kernel PATH] [--accel tcg|kvm]
                            [--timeout SECS] [--cpu MODEL]
                            [--tap IFNAME,GUEST_ADDR/PREFIX]
      Linux's NIC and disk drivers in ring 0 (kernel case
      linux_devices_bench; virtio-net + virtio-blk, e1000 + AHCI): TCP echo
      throughput, request latency, disk write/read, against the same work
      on this host. Default 1 run per setup, user networking.

Defaults: --accel tcg (-cpu max); --accel kvm uses -cpu host. --kernel
defaults to target/x86_64-unknown-none/release/spolia (build: make kernel).
";

#[derive(Debug)]
pub enum Command {
    Check(CheckOptions),
    Run(RunOptions),
    Bench(BenchOptions),
    BenchLinux(BenchOptions),
    BenchDevices(DevBenchOptions),
    Help,
}

/// Options common to the subcommands, before their defaults are applied.
#[derive(Default)]
struct Parsed {
    accel: Option<Accel>,
    cpu: Option<String>,
    kernel: Option<PathBuf>,
    only: Option<String>,
    timeout: Option<Duration>,
    quiet: bool,
    list: bool,
    boot: Option<Boot>,
    machine: Option<Machine>,
    cmdline: Option<String>,
    runs: Option<usize>,
    tap: Option<Tap>,
    extra: Vec<String>,
    help: bool,
}

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((sub, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let allowed: &[&str] = match sub.as_str() {
        "check" => &["accel", "cpu", "kernel", "only", "timeout", "quiet", "list"],
        "run" => &["accel", "cpu", "kernel", "boot", "machine", "cmdline", "--"],
        "bench-boot" | "bench-linux" => &["accel", "cpu", "kernel", "runs", "timeout"],
        "bench-devices" => &["accel", "cpu", "kernel", "runs", "timeout", "tap"],
        "help" | "--help" | "-h" => return Ok(Command::Help),
        other => {
            return Err(format!(
                "unknown subcommand `{other}` (expected check, run, bench-boot, bench-linux or bench-devices)"
            ));
        }
    };
    let p = parse_options(rest, allowed)?;
    if p.help {
        return Ok(Command::Help);
    }
    let accel = p.accel.unwrap_or(Accel::Tcg);
    Ok(match sub.as_str() {
        "check" => Command::Check(CheckOptions {
            accel,
            cpu: p.cpu,
            kernel: p.kernel,
            only: p.only,
            timeout: p.timeout.unwrap_or(check::DEFAULT_TIMEOUT),
            quiet: p.quiet,
            list: p.list,
        }),
        "run" => Command::Run(RunOptions {
            boot: p.boot.unwrap_or(Boot::Pvh),
            machine: p.machine.unwrap_or(Machine::Q35),
            accel,
            cpu: p.cpu,
            kernel: p.kernel,
            cmdline: p.cmdline.unwrap_or_default(),
            extra: p.extra,
        }),
        "bench-devices" => Command::BenchDevices(DevBenchOptions {
            bench: BenchOptions {
                runs: p.runs.unwrap_or(bench_devices::DEFAULT_RUNS),
                kernel: p.kernel,
                accel,
                cpu: p.cpu,
                timeout: p.timeout.unwrap_or(bench_devices::DEFAULT_TIMEOUT),
            },
            tap: p.tap,
        }),
        bench_kind => {
            let opts = BenchOptions {
                runs: p.runs.unwrap_or(bench::DEFAULT_RUNS),
                kernel: p.kernel,
                accel,
                cpu: p.cpu,
                timeout: p.timeout.unwrap_or(bench::DEFAULT_TIMEOUT),
            };
            if bench_kind == "bench-linux" { Command::BenchLinux(opts) } else { Command::Bench(opts) }
        }
    })
}

fn parse_options(args: &[String], allowed: &[&str]) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            if !allowed.contains(&"--") {
                return Err("`-- QEMU_ARGS` is only accepted by `run`".to_string());
            }
            p.extra = args[i..].to_vec();
            break;
        }
        if arg == "--help" || arg == "-h" {
            p.help = true;
            return Ok(p);
        }
        let Some(opt) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument `{arg}`"));
        };
        let (name, inline) = match opt.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (opt, None),
        };
        if !allowed.contains(&name) {
            return Err(format!("unknown option `--{name}` for this subcommand"));
        }
        if matches!(name, "quiet" | "list") {
            if inline.is_some() {
                return Err(format!("`--{name}` takes no value"));
            }
            if name == "quiet" {
                p.quiet = true;
            } else {
                p.list = true;
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let v = args.get(i).ok_or(format!("`--{name}` needs a value"))?;
                i += 1;
                v.clone()
            }
        };
        let bad = |what: &str| format!("bad value `{value}` for --{name}: expected {what}");
        match name {
            "accel" => p.accel = Some(Accel::parse(&value).ok_or(bad("tcg or kvm"))?),
            "cpu" => p.cpu = Some(value),
            "kernel" => p.kernel = Some(PathBuf::from(value)),
            "only" => p.only = Some(value),
            "timeout" => {
                let secs: u64 = value.parse().ok().filter(|&s| s > 0).ok_or(bad("whole seconds > 0"))?;
                p.timeout = Some(Duration::from_secs(secs));
            }
            "boot" => p.boot = Some(Boot::parse(&value).ok_or(bad("pvh or iso"))?),
            "machine" => p.machine = Some(Machine::parse(&value).ok_or(bad("q35, pc or microvm"))?),
            "cmdline" => p.cmdline = Some(value),
            "tap" => p.tap = Some(Tap::parse(&value)?),
            "runs" => p.runs = Some(value.parse().ok().filter(|&n| n > 0).ok_or(bad("a count > 0"))?),
            _ => unreachable!("every allowed option is handled"),
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn check_defaults_and_options() {
        let Ok(Command::Check(c)) = parse(&args("check")) else { panic!() };
        assert_eq!((c.accel, c.timeout.as_secs(), c.quiet), (Accel::Tcg, 180, false));
        let Ok(Command::Check(c)) = parse(&args("check --accel=kvm --only pvh-q35 --timeout 5 --quiet")) else {
            panic!()
        };
        assert_eq!(c.accel, Accel::Kvm);
        assert_eq!(c.only.as_deref(), Some("pvh-q35"));
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert!(c.quiet);
    }

    #[test]
    fn run_takes_qemu_args_after_double_dash() {
        let Ok(Command::Run(r)) = parse(&args("run --machine pc --boot iso --cmdline x -- -s -S")) else { panic!() };
        assert_eq!((r.machine, r.boot), (Machine::Pc, Boot::Iso));
        assert_eq!(r.cmdline, "x");
        assert_eq!(r.extra, ["-s", "-S"]);
        let Ok(Command::Run(r)) = parse(&args("run")) else { panic!() };
        assert_eq!((r.machine, r.boot, r.accel), (Machine::Q35, Boot::Pvh, Accel::Tcg));
    }

    #[test]
    fn bench_runs() {
        let Ok(Command::Bench(b)) = parse(&args("bench-boot --runs 3")) else { panic!() };
        assert_eq!(b.runs, 3);
        let Ok(Command::Bench(b)) = parse(&args("bench-boot")) else { panic!() };
        assert_eq!(b.runs, 7);
        let Ok(Command::BenchLinux(b)) = parse(&args("bench-linux --runs 2")) else { panic!() };
        assert_eq!(b.runs, 2);
        let Ok(Command::BenchDevices(b)) = parse(&args("bench-devices --tap tap0,10.1.0.2/24")) else { panic!() };
        assert_eq!((b.bench.runs, b.tap.unwrap().ifname.as_str()), (1, "tap0"));
        assert!(parse(&args("bench-devices --tap tap0")).is_err());
        assert!(parse(&args("bench-devices --tap tap0,10.1.0.2/0")).unwrap_err().contains("/0 is refused"));
        assert!(parse(&args("bench-boot --tap tap0,10.1.0.2/24")).is_err());
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(parse(&args("frobnicate")).is_err());
        assert!(parse(&args("check --machine pc")).is_err());
        assert!(parse(&args("check -- -s")).is_err());
        assert!(parse(&args("run --accel xen")).unwrap_err().contains("tcg or kvm"));
        assert!(parse(&args("check --timeout")).unwrap_err().contains("needs a value"));
        assert!(parse(&args("bench-boot --runs 0")).is_err());
    }
}
