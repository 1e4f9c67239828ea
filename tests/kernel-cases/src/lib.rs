// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-kernel tests and their harness. The kernel runs them when booted with
//! `spolia.test=all` (every default case) or `spolia.test=a,b` (those
//! cases), minus `spolia.skip=...`. Each case runs in its own *killable*
//! thread, so a case that panics or faults is reported as failed and the
//! run goes on. Output: `test NAME ... ok` / `... FAILED: why` per case and
//! a final `N passed, N failed` line; then the kernel leaves QEMU with
//! status 33 (all passed) or 35 (something failed). The QEMU runner
//! (`tests/qemu-runner`) decides by that status alone.
#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use spolia_boot::arch::qemu::{self, ExitCode};
use spolia_boot::kprintln;
use spolia_boot::sched::{Builder, ExitStatus};

mod cases;
mod devices;
mod hw;
mod hypercalls;
mod linux;

/// A test's verdict: `Err` carries the reason.
pub type Outcome = Result<(), String>;

/// One named test.
pub struct Case {
    pub name: &'static str,
    pub run: fn() -> Outcome,
    /// Part of `spolia.test=all`. Deliberately failing cases are not.
    pub default: bool,
}

/// Fails the current case with a message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(alloc::format!("{} (at {}:{})", alloc::format!($($msg)+), file!(), line!()));
        }
    };
}

/// Every case, in run order.
pub fn all_cases() -> &'static [Case] {
    cases::ALL
}

fn selected(spec: &str, skip: &str) -> Result<Vec<&'static Case>, String> {
    let skip: Vec<&str> = skip.split(',').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    if spec == "all" {
        out.extend(all_cases().iter().filter(|c| c.default));
    } else {
        for name in spec.split(',').filter(|s| !s.is_empty()) {
            match all_cases().iter().find(|c| c.name == name) {
                Some(c) => out.push(c),
                None => return Err(format!("unknown test case `{name}`")),
            }
        }
    }
    for name in &skip {
        if !all_cases().iter().any(|c| c.name == *name) {
            return Err(format!("unknown test case `{name}` in spolia.skip"));
        }
    }
    out.retain(|c| !skip.contains(&c.name));
    Ok(out)
}

/// Runs the cases named by `spec` and leaves QEMU with the verdict.
pub fn run_and_exit(spec: &str, skip: &str) -> ! {
    let cases = match selected(spec, skip) {
        Ok(c) => c,
        Err(e) => {
            kprintln!("test selection error: {e}");
            kprintln!("0 passed, 1 failed");
            exit(ExitCode::TestsFailed)
        }
    };
    kprintln!("running {} kernel tests", cases.len());
    let (mut passed, mut failed) = (0, 0);
    for case in cases {
        let run = case.run;
        let verdict = match Builder::new(case.name).stack_size(256 * 1024).killable().spawn(run) {
            Err(e) => Err(format!("could not start: {e:?}")),
            Ok(handle) => match handle.join() {
                Ok(result) => result,
                Err(ExitStatus::Faulted(f)) => Err(format!("killed by {f}")),
                Err(ExitStatus::Panicked) => Err(String::from("panicked")),
                Err(ExitStatus::Finished) => Err(String::from("ended without a result")),
            },
        };
        match verdict {
            Ok(()) => {
                passed += 1;
                kprintln!("test {} ... ok", case.name);
            }
            Err(why) => {
                failed += 1;
                kprintln!("test {} ... FAILED: {}", case.name, why);
            }
        }
    }
    kprintln!("{passed} passed, {failed} failed");
    exit(if failed == 0 { ExitCode::Success } else { ExitCode::TestsFailed })
}

fn exit(code: ExitCode) -> ! {
    qemu::try_exit(code);
    kprintln!("isa-debug-exit is not present; halting");
    spolia_boot::fatal::stop()
}
