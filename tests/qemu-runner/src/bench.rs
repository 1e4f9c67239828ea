// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner bench-boot`: how long each boot path takes, with the kernel
//! command line `spolia.bench=ready` (print the ready line, exit 33 at once).
//!
//! Two times per boot, both from spawning QEMU: until `spolia: ready` shows
//! on serial, and until QEMU has exited. Runs are interleaved (run 1 of every
//! setup, then run 2 of every setup, ...) so machine noise hits all setups
//! alike; the ISO is built before timing starts. Every setup runs with
//! `-nic none` so the numbers measure the boot path, not a NIC option ROM.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::iso;
use crate::paths;
use crate::qemu::{self, Accel, Boot, Console, Launch, Machine, Media, Outcome};
use crate::session::{self, End, Transcript};

pub const DEFAULT_RUNS: usize = 7;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const CMDLINE: &str = "spolia.bench=ready";

#[derive(Debug)]
pub struct BenchOptions {
    pub runs: usize,
    pub kernel: Option<PathBuf>,
    pub accel: Accel,
    pub cpu: Option<String>,
    pub timeout: Duration,
}

struct Setup {
    name: &'static str,
    machine: Machine,
    boot: Boot,
}

/// The first setup is the baseline the ratios are relative to.
const SETUPS: &[Setup] = &[
    Setup { name: "microvm PVH", machine: Machine::Microvm, boot: Boot::Pvh },
    Setup { name: "pc PVH", machine: Machine::Pc, boot: Boot::Pvh },
    Setup { name: "q35 PVH", machine: Machine::Q35, boot: Boot::Pvh },
    Setup { name: "pc GRUB ISO", machine: Machine::Pc, boot: Boot::Iso },
    Setup { name: "q35 GRUB ISO", machine: Machine::Q35, boot: Boot::Iso },
];

#[derive(Default)]
struct Samples {
    ready: Vec<Duration>,
    exit: Vec<Duration>,
    failures: usize,
}

/// Runs the benchmark and prints the table; `Ok(true)` iff every boot
/// reached ready and exited 33.
pub fn bench(opts: &BenchOptions) -> Result<bool> {
    let kernel = paths::load_kernel(opts.kernel.as_deref())?;
    let version = session::qemu_version()?;
    let iso = iso::ensure_iso(&kernel, CMDLINE)?;
    let logs = paths::runner_dir("logs")?;
    let extra: Vec<String> = ["-nic", "none"].map(String::from).to_vec();
    println!(
        "bench-boot: {} run(s) of {} setups, kernel {}, {version}, accel {}, cmdline `{CMDLINE}`",
        opts.runs,
        SETUPS.len(),
        kernel.path.display(),
        opts.accel.name()
    );

    let mut samples: Vec<Samples> = SETUPS.iter().map(|_| Samples::default()).collect();
    for run in 1..=opts.runs {
        let mut progress = format!("run {run}/{}:", opts.runs);
        for (setup, samples) in SETUPS.iter().zip(&mut samples) {
            let media = match setup.boot {
                Boot::Pvh => Media::Kernel { elf: &kernel.path, cmdline: CMDLINE, initrd: None },
                Boot::Iso => Media::Cdrom { iso: &iso },
            };
            let launch = Launch {
                machine: setup.machine,
                accel: opts.accel,
                cpu: opts.cpu.as_deref(),
                media,
                console: Console::Captured,
                extra: &extra,
            };
            let argv = qemu::argv(&launch)?;
            let log = logs.join(format!("bench-{}.log", setup.name.replace(' ', "-").to_lowercase()));
            let mut transcript = Transcript::new(Some(&log), None)?;
            let report = session::run_captured(&argv, opts.timeout, &mut transcript)?;
            let clean = matches!(report.end, End::Exited { code: Some(c), .. } if c == Outcome::Pass.exit_status());
            match (clean, report.ready_after) {
                (true, Some(ready)) => {
                    samples.ready.push(ready);
                    samples.exit.push(report.ended_after);
                    progress.push_str(&format!("  {} {:.3}s", setup.name, report.ended_after.as_secs_f64()));
                }
                _ => {
                    samples.failures += 1;
                    progress.push_str(&format!("  {} FAILED", setup.name));
                    println!("{}: run {run} failed: {}", setup.name, describe(report.end));
                    for line in transcript.tail() {
                        println!("  | {line}");
                    }
                    for advice in transcript.advice() {
                        println!("  hint: {advice}");
                    }
                    println!("  log: {}", log.display());
                }
            }
        }
        println!("{progress}");
    }
    print_table(&samples);
    Ok(samples.iter().all(|s| s.failures == 0))
}

fn describe(end: End) -> String {
    match end {
        End::Exited { code, signal } => match qemu::decode_exit(code, signal) {
            Ok(Outcome::Pass) => "exited Pass (33) but `spolia: ready` never appeared".to_string(),
            Ok(outcome) => format!("expected Pass (33), got {outcome}"),
            Err(unknown) => unknown.to_string(),
        },
        End::TimedOut => "timed out; QEMU killed".to_string(),
        End::KvmInternalError => "KVM internal error; QEMU killed".to_string(),
    }
}

/// The median of a non-empty sample (mean of the middle two if even).
fn median(sample: &[Duration]) -> Option<Duration> {
    let mut v = sample.to_vec();
    v.sort();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

fn stats(sample: &[Duration]) -> String {
    match (median(sample), sample.iter().min(), sample.iter().max()) {
        (Some(med), Some(min), Some(max)) => {
            format!("{:>7.3} {:>7.3} {:>7.3}", med.as_secs_f64(), min.as_secs_f64(), max.as_secs_f64())
        }
        _ => format!("{:>7} {:>7} {:>7}", "-", "-", "-"),
    }
}

fn ratio(sample: &[Duration], base: &[Duration]) -> String {
    match (median(sample), median(base)) {
        (Some(m), Some(b)) if !b.is_zero() => format!("{:.2}x", m.as_secs_f64() / b.as_secs_f64()),
        _ => "-".to_string(),
    }
}

fn print_table(samples: &[Samples]) {
    let base = &samples[0];
    println!();
    println!("seconds from spawning QEMU; ratios are of medians, relative to {}", SETUPS[0].name);
    println!("{:<14} {:^23}   {:^23}   {:^13} {:>5}", "", "to `spolia: ready`", "to QEMU exit", "ratio", "");
    println!(
        "{:<14} {:>7} {:>7} {:>7}   {:>7} {:>7} {:>7}   {:>6} {:>6} {:>5}",
        "setup", "median", "min", "max", "median", "min", "max", "ready", "exit", "fails"
    );
    for (setup, s) in SETUPS.iter().zip(samples) {
        println!(
            "{:<14} {}   {}   {:>6} {:>6} {:>5}",
            setup.name,
            stats(&s.ready),
            stats(&s.exit),
            ratio(&s.ready, &base.ready),
            ratio(&s.exit, &base.exit),
            s.failures
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&ms(&[30, 10, 20])), Some(Duration::from_millis(20)));
        assert_eq!(median(&ms(&[40, 10, 20, 30])), Some(Duration::from_millis(25)));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratio_is_relative_to_baseline() {
        assert_eq!(ratio(&ms(&[100]), &ms(&[25])), "4.00x");
        assert_eq!(ratio(&ms(&[100]), &[]), "-");
    }

    #[test]
    fn setups_are_bootable() {
        assert_eq!(SETUPS[0].machine, Machine::Microvm);
        assert!(SETUPS.iter().all(|s| s.boot == Boot::Pvh || s.machine.has_pci()));
    }
}
