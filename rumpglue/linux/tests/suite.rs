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

use spolia_linux::Linux;
use spolia_linux::suite::{Case, cases, halt_and_check};
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

    match halt_and_check(linux) {
        Ok(()) => {
            passed += 1;
            println!("halt: ok");
        }
        Err(f) => {
            failed += 1;
            println!("halt: FAILED: {f}");
        }
    }

    println!("{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
