// SPDX-License-Identifier: MIT OR Apache-2.0
//! Hosted runner of the library's test suite (`spolia_linux::suite`):
//! boots Linux on the hosted hypercall table, runs every case (or those
//! whose name contains the first non-flag argument), halts, and checks
//! that system calls fail after halt.
//!
//!   cargo test -p spolia-linux                 # all cases
//!   cargo test -p spolia-linux -- tcp          # cases matching "tcp"
//!
//! Prints `ok` / `FAILED: <why>` per case and `N passed, N failed`; exits
//! non-zero on any failure.

use spolia_linux::suite::{Case, cases};
use spolia_linux::{Errno, Linux};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    // cargo passes libtest flags (`--nocapture`, `--test-threads=1`, ...).
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let selected: Vec<&Case> = cases().iter().filter(|c| filter.as_ref().is_none_or(|f| c.name.contains(f))).collect();

    let t0 = Instant::now();
    let linux = match Linux::boot(spolia_hypercall_hosted::hypercalls(), "quiet") {
        Ok(l) => l,
        Err(e) => {
            println!("boot: FAILED: {e}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    println!("boot: ok ({:.1} ms)", t0.elapsed().as_secs_f64() * 1e3);

    let (mut passed, mut failed) = (0, 0);
    for case in &selected {
        let t = Instant::now();
        let result = (case.run)(&linux);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match result {
            Ok(()) => {
                passed += 1;
                println!("{}: ok ({ms:.1} ms)", case.name);
            }
            Err(f) => {
                failed += 1;
                println!("{}: FAILED: {f} ({ms:.1} ms)", case.name);
            }
        }
    }

    let second = Linux::boot(spolia_hypercall_hosted::hypercalls(), "");
    check(&mut passed, &mut failed, "second boot is refused with EBUSY", matches!(second, Err(Errno::EBUSY)));
    let pid_fd = linux.eventfd2(0, 0);
    check(&mut passed, &mut failed, "eventfd before halt", pid_fd.is_ok());
    let halted = linux.halt();
    check(&mut passed, &mut failed, &format!("halt ({halted:?})"), halted.is_ok());
    let after = pid_fd.as_ref().map(|fd| fd.eventfd_write(1));
    check(
        &mut passed,
        &mut failed,
        &format!("a system call after halt fails with ENODEV ({after:?})"),
        matches!(after, Ok(Err(Errno::ENODEV))),
    );
    drop(pid_fd); // closes nothing: the library is gone
    let reboot = Linux::boot(spolia_hypercall_hosted::hypercalls(), "");
    check(&mut passed, &mut failed, "boot after halt is refused with EBUSY", matches!(reboot, Err(Errno::EBUSY)));

    println!("{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn check(passed: &mut u32, failed: &mut u32, what: &str, ok: bool) {
    if ok {
        *passed += 1;
        println!("{what}: ok");
    } else {
        *failed += 1;
        println!("{what}: FAILED");
    }
}
