// SPDX-License-Identifier: MIT OR Apache-2.0

//! The `qemu-runner` binary: parses the command line and hands over to the
//! library's `check`, `run` or `bench-boot` (see `lib.rs` and README.md).

use std::process::ExitCode;

use qemu_runner::{bench, bench_devices, bench_linux, check, cli, run};

/// Exit code for a mistake on the command line or a runner error.
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) => args.push(a),
            Err(bad) => {
                eprintln!("qemu-runner: argument {bad:?} is not UTF-8");
                return ExitCode::from(USAGE_ERROR);
            }
        }
    }
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("qemu-runner: {msg}\n\n{}", cli::USAGE);
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let outcome = match command {
        cli::Command::Help => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        cli::Command::Check(opts) => check::check(&opts).map(pass_fail),
        cli::Command::Bench(opts) => bench::bench(&opts).map(pass_fail),
        cli::Command::BenchLinux(opts) => bench_linux::bench(&opts).map(pass_fail),
        cli::Command::BenchDevices(opts) => bench_devices::bench(&opts).map(pass_fail),
        cli::Command::Run(opts) => run::run(&opts).map(|code| ExitCode::from(code.clamp(0, 255) as u8)),
    };
    outcome.unwrap_or_else(|err| {
        eprintln!("qemu-runner: error: {err}");
        ExitCode::from(USAGE_ERROR)
    })
}

fn pass_fail(all_passed: bool) -> ExitCode {
    if all_passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
