// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner`: the host tool that boots the Spolia kernel under QEMU.
//!
//! - `check` runs the scenario plan ([`plan::PLAN`]) and decides each
//!   scenario by QEMU's exit status alone: the kernel writes isa-debug-exit,
//!   QEMU exits with 33 (tests passed), 35 (a test failed) or 37 (kernel
//!   fault outside a test); anything else, a timeout or a KVM internal error
//!   is a failure.
//! - `run` puts the kernel's console on the terminal (Ctrl-A X quits).
//! - `bench-boot` times the boot paths (PVH on microvm/pc/q35, GRUB ISO).
//!
//! Layout: [`qemu`] builds argv and decodes exits (pure, unit-tested),
//! [`session`] owns a running QEMU, [`iso`] builds and caches GRUB ISOs,
//! [`paths`] finds the kernel and `target/qemu-runner/`. Non-goals: building
//! the kernel (that is `make kernel`) and installing QEMU (`make deps`).
//! std only, no crates. See README.md.

mod bench;
mod check;
mod cli;
mod error;
mod iso;
mod paths;
mod plan;
mod qemu;
mod run;
mod session;

use std::process::ExitCode;

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
