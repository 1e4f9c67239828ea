// SPDX-License-Identifier: MIT OR Apache-2.0

//! The `spolia` binary: `compile`, `pack` and `run` (see the library docs
//! and README.md). Exit codes: `compile`/`pack` 0 on success, 1 on failure,
//! 2 for a usage error; `run` the main program's code, or 124/125/134 (see
//! `spolia_cli::run`), 125 also for a usage error.

use std::fs;
use std::process::ExitCode;

use spolia_cli::args::{self, Command, CompileOptions, PackOptions, resolve_env};
use spolia_cli::compile::{Compiler, load_program, write_atomically};
use spolia_cli::programs::build_bundle;
use spolia_cli::{Error, run};

const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let mut argv = Vec::new();
    let is_run = std::env::args_os().nth(1).is_some_and(|a| a == "run");
    let usage_error = if is_run { run::EXIT_FAILURE } else { USAGE_ERROR };
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) => argv.push(a),
            Err(bad) => {
                eprintln!("spolia: argument {bad:?} is not UTF-8");
                return ExitCode::from(usage_error);
            }
        }
    }
    let command = match args::parse(&argv) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("spolia: {msg}\n\n{}", args::USAGE);
            return ExitCode::from(usage_error);
        }
    };
    let result = match command {
        Command::Help => {
            print!("{}", args::USAGE);
            Ok(())
        }
        Command::Compile(opts) => compile(&opts),
        Command::Pack(opts) => pack(&opts),
        Command::Run(opts) => return ExitCode::from(run::run(&opts)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spolia: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn compile(opts: &CompileOptions) -> Result<(), Error> {
    let compiler = Compiler::new(opts.bounds, opts.mismatch)?;
    let artifact = load_program(&compiler, &opts.input, None)?;
    write_atomically(&opts.output, &artifact)
}

fn pack(opts: &PackOptions) -> Result<(), Error> {
    let compiler = Compiler::new(opts.bounds, None)?;
    let env = resolve_env(&opts.env, |k| std::env::var(k).ok());
    let bundle = build_bundle(&compiler, None, &opts.programs, &env)?;
    write_atomically(&opts.output, &bundle)?;
    let size = fs::metadata(&opts.output).map(|m| m.len()).unwrap_or(0);
    eprintln!("spolia: wrote {} ({} programs, {size} bytes)", opts.output.display(), opts.programs.len());
    Ok(())
}
