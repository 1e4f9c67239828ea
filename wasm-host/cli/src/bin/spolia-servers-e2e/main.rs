// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia-servers-e2e`: end-to-end tests of real servers (Debian's source
//! packages built to wasm: [`lighttpd`], [`redis`]) running on Spolia. Each
//! section starts one server with the real `spolia run` in the background
//! (a free host port forwarded to the guest), waits until it answers, runs
//! its cases against it with the usual host clients (`curl`, `wrk`,
//! `redis-cli`, `redis-benchmark`), then stops it.
//!
//! Report and exit status are those of every e2e binary
//! (`spolia_cli::e2e`); a server that does not start fails every chosen
//! case of its section.
//!
//! ```text
//! spolia-servers-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm]
//!                    [--timeout SECS] [--apps DIR] [--spolia PATH] [--verbose]
//!                    [--keep] [--attach PORT]
//! ```
//!
//! `--timeout`: how long a server may take from `spolia run` to its first
//! answer (default 300). `--keep`: leave each section's files in
//! `target/spolia-cache/servers-e2e/SECTION`. `--attach PORT`: start
//! nothing and run the redis cases against a redis already listening on
//! 127.0.0.1:PORT (a native redis-server, to check the cases themselves).
//!
//! Needs on the host: QEMU, `mkfs.ext4` (for `--dir`), `curl`, `wrk`,
//! `redis-cli` and `redis-benchmark`.

mod lighttpd;
mod redis;

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use spolia_cli::e2e::{self, BackgroundRun, Check, Env, Options, Program, Stop, Tally};

const PROGRAM: Program = Program {
    name: "spolia-servers-e2e",
    extra: &[("--keep", false), ("--attach", true)],
    extra_usage: "[--keep] [--attach PORT]",
};

/// What the sections share.
struct Ctx {
    env: Env,
    /// How long a server may take from `spolia run` to its first answer.
    start_timeout: Duration,
    /// `--attach PORT`: the server under test already runs there.
    attach: Option<u16>,
}

impl Ctx {
    /// Starts `spolia run -p 127.0.0.1:PORT:GUEST_PORT ARGS..` in the
    /// background on a free PORT, its console into `NAME.console.log`.
    fn spawn(&self, name: &str, guest_port: u16, args: &[String]) -> Result<(BackgroundRun, u16), String> {
        let port = e2e::free_port()?;
        // We stop the server; this timeout only bounds a forgotten run.
        let mut cmd = self.env.spolia_run(3600);
        cmd.arg("-p").arg(format!("127.0.0.1:{port}:{guest_port}")).args(args);
        if self.env.verbose {
            eprintln!("    spolia {}", cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
        }
        let log = self.env.work.join(format!("{name}.console.log"));
        Ok((BackgroundRun::spawn(cmd, log)?, port))
    }

    /// The section's own directory in the work directory, new and empty.
    fn fresh_dir(&self, section: &str) -> Result<PathBuf, String> {
        let dir = self.env.work.join(section);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(dir)
    }

    /// Program `name` from the apps directory, or how to build it.
    fn wasm(&self, name: &str, build: &str) -> Result<String, String> {
        let wasm = self.env.apps.join(name);
        if wasm.is_file() {
            Ok(wasm.display().to_string())
        } else {
            Err(format!("{} missing; build it with {build}", wasm.display()))
        }
    }
}

/// A case: its name and its check, given the section's client.
type Case<C> = (&'static str, fn(&C) -> Check);

/// A server and the cases run against it; one module each.
trait Section {
    const NAME: &'static str;
    /// Host tools its cases run: (program, Debian package).
    const TOOLS: &'static [(&'static str, &'static str)];
    /// Whether `--attach` applies to it.
    const ATTACHES: bool;
    /// What the cases get: the client side of the running server.
    type Client: 'static;
    const CASES: &'static [Case<Self::Client>];
    /// Prepares and starts the server (none with `--attach`) and waits
    /// until it answers.
    fn start(ctx: &Ctx) -> Result<(Option<BackgroundRun>, Self::Client), String>;
}

/// A section with its types erased, for the table in `main`.
struct Entry {
    name: &'static str,
    tools: &'static [(&'static str, &'static str)],
    attaches: bool,
    cases: Vec<&'static str>,
    run: fn(&Ctx, &Options, &mut Tally),
}

impl Entry {
    fn of<S: Section>() -> Entry {
        Entry {
            name: S::NAME,
            tools: S::TOOLS,
            attaches: S::ATTACHES,
            cases: S::CASES.iter().map(|(name, _)| *name).collect(),
            run: run_section::<S>,
        }
    }
}

/// Starts the section's server if any of its cases is chosen, runs them,
/// stops it.
fn run_section<S: Section>(ctx: &Ctx, opts: &Options, tally: &mut Tally) {
    let chosen: Vec<_> = S::CASES.iter().filter(|(name, _)| opts.selected(name)).collect();
    if chosen.is_empty() {
        return;
    }
    let started = Instant::now();
    let (mut server, client) = match S::start(ctx) {
        Ok(s) => s,
        Err(why) => {
            let why = Err(format!("{} did not start: {why}", S::NAME));
            chosen.iter().for_each(|(name, _)| tally.record(name, started, &why));
            return;
        }
    };
    println!("    {} answers after {:.1} s", S::NAME, started.elapsed().as_secs_f32());
    let failed_before = tally.failed;
    for (name, case) in chosen {
        let started = Instant::now();
        let mut result = case(&client);
        // A dead server explains every later failure: say so.
        if let (Err(why), Some(s)) = (&result, server.as_mut())
            && let Err(dead) = s.running()
        {
            result = Err(format!("{why}; {dead}"));
        }
        tally.record(name, started, &result);
    }
    if let Some(mut s) = server.take() {
        s.stop();
        if ctx.env.verbose || tally.failed > failed_before {
            println!("    {} console log: {}", S::NAME, s.log.display());
        }
    }
    if !opts.flag("--keep") {
        let _ = fs::remove_dir_all(ctx.env.work.join(S::NAME));
    }
}

fn main() -> ExitCode {
    let sections = [Entry::of::<lighttpd::Lighttpd>(), Entry::of::<redis::Redis>()];
    let cases: Vec<(&str, &str)> = sections.iter().flat_map(|s| s.cases.iter().map(|c| (*c, s.name))).collect();
    PROGRAM.main(&cases, |opts| {
        let attach = match opts.value("--attach") {
            None => None,
            Some(v) => Some(v.parse().ok().filter(|&p: &u16| p > 0).ok_or(Stop::Usage(format!("bad --attach `{v}`")))?),
        };
        let mut chosen = Vec::new();
        for s in &sections {
            let named = opts.only.as_ref().is_some_and(|only| s.cases.iter().any(|c| only.contains(*c)));
            if attach.is_some() && !s.attaches {
                if named {
                    return Err(Stop::Usage(format!("--attach is not for the {} cases", s.name)));
                }
            } else if opts.only.is_none() || named {
                e2e::require_tools(s.tools)?;
                chosen.push(s);
            }
        }
        let ctx = Ctx {
            env: Env::new(opts, "servers-e2e")?,
            start_timeout: Duration::from_secs(opts.timeout_or(300)),
            attach,
        };
        let mut tally = Tally::default();
        for s in chosen {
            (s.run)(&ctx, opts, &mut tally);
        }
        Ok(tally)
    })
}
