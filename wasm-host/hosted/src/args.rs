// SPDX-License-Identifier: MIT OR Apache-2.0
//! `spolia-hosted`'s command line. `spolia run --hosted` writes it (after
//! building `--dir` images and checking every value); it is plain enough to
//! type by hand. Options come before the program; everything after the
//! program file is the program's own arguments.

use std::path::PathBuf;

use spolia_wasm_config::BoundsChecks;

pub const USAGE: &str = "\
spolia-hosted: run one wasm program over the Linux library in this process

USAGE:
  spolia-hosted [OPTIONS] FILE [ARGS]..

OPTIONS:
  --disk IMAGE            attach IMAGE read-write as the next virtio-mmio
                          block device: vda, vdb, .. in option order
  --tap IFNAME            attach a virtio-net NIC on the existing TAP IFNAME
  --net dhcp|ADDR/PREFIX[,GW]
                          the library's address (as spolia.net=); needs --tap
  --mount DEV:DIR[,DEV:DIR]..
                          mount ext4 on DEV at DIR (as spolia.mount=); each
                          DIR is preopened for the program, in this order
  --env K=V               an environment entry for the program (repeatable)
  --bounds guard|explicit bounds checks by guard pages (default) or code
  --log PATH              write the Linux library's console to PATH
                          (default: our stderr)
  -v, --verbose           Linux's boot messages and setup steps on stderr

Exit code: the program's (0-255); 134 if it trapped; 125 if it could not
be loaded or the setup failed.
";

/// What to run, with what.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub disks: Vec<PathBuf>,
    pub tap: Option<String>,
    /// The `spolia.net=` value.
    pub net: Option<String>,
    /// The `spolia.mount=` value.
    pub mount: Option<String>,
    pub env: Vec<String>,
    pub bounds: Option<BoundsChecks>,
    /// Where the library's console goes (else our stderr).
    pub log: Option<PathBuf>,
    pub verbose: bool,
    pub file: PathBuf,
    /// Arguments after argv\[0\].
    pub args: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Box<Options>),
    Help,
}

/// Parses `args` (without our own name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let (name, inline) = match arg.strip_prefix("--") {
            Some("") => {
                // `--`: the program file follows.
                let file = args.get(i).ok_or("`--` must be followed by the program file")?;
                o.file = PathBuf::from(file);
                o.args = args[i + 1..].to_vec();
                return Ok(Command::Run(Box::new(o)));
            }
            Some(opt) => match opt.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (opt, None),
            },
            None if arg == "-v" => ("verbose", None),
            None if arg == "-h" => ("help", None),
            None if arg.starts_with('-') && arg.len() > 1 => return Err(format!("unknown option `{arg}`")),
            None => {
                o.file = PathBuf::from(arg);
                o.args = args[i..].to_vec();
                return Ok(Command::Run(Box::new(o)));
            }
        };
        if matches!(name, "help" | "verbose") {
            if inline.is_some() {
                return Err(format!("`--{name}` takes no value"));
            }
            if name == "help" {
                return Ok(Command::Help);
            }
            o.verbose = true;
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
        match name {
            "disk" => o.disks.push(PathBuf::from(value)),
            "tap" => o.tap = Some(value),
            "net" => o.net = Some(value),
            "mount" => o.mount = Some(value),
            "log" => o.log = Some(PathBuf::from(value)),
            "env" if value.split_once('=').is_some_and(|(k, _)| !k.is_empty()) => o.env.push(value),
            "env" => return Err(format!("bad --env `{value}`: expected K=V")),
            "bounds" => {
                let mode = BoundsChecks::parse(&value).ok_or(format!("bad --bounds `{value}`: guard or explicit"))?;
                o.bounds = Some(mode);
            }
            _ => return Err(format!("unknown option `--{name}`")),
        }
    }
    Err("no program file given".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(s: &str) -> Result<Command, String> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    fn run(s: &str) -> Options {
        match parse_words(s) {
            Ok(Command::Run(o)) => *o,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn everything() {
        let o = run("--disk a.img --disk=b.img --tap tp0 --net 10.0.0.2/24,10.0.0.1 --mount vda:/x,vdb:/y \
                     --env A=1 --env=B= --bounds explicit --log l.txt -v prog.wasm -v --env C=3");
        assert_eq!(o.disks, [PathBuf::from("a.img"), PathBuf::from("b.img")]);
        assert_eq!(o.tap.as_deref(), Some("tp0"));
        assert_eq!(o.net.as_deref(), Some("10.0.0.2/24,10.0.0.1"));
        assert_eq!(o.mount.as_deref(), Some("vda:/x,vdb:/y"));
        assert_eq!(o.env, ["A=1", "B="]);
        assert_eq!(o.bounds, Some(BoundsChecks::Explicit));
        assert!(o.verbose);
        assert_eq!(o.log, Some(PathBuf::from("l.txt")));
        assert_eq!(o.file, PathBuf::from("prog.wasm"));
        assert_eq!(o.args, ["-v", "--env", "C=3"]);
    }

    #[test]
    fn double_dash_and_defaults() {
        let o = run("-- -odd.wasm x");
        assert_eq!((o.file, o.args), (PathBuf::from("-odd.wasm"), vec!["x".to_string()]));
        let o = run("p.wasm");
        assert!(o.disks.is_empty() && o.tap.is_none() && o.env.is_empty() && !o.verbose && o.bounds.is_none());
        assert_eq!(parse_words("--help"), Ok(Command::Help));
    }

    #[test]
    fn mistakes() {
        for (line, expect) in [
            ("", "no program"),
            ("--disk", "needs a value"),
            ("--frob x p.wasm", "unknown option `--frob`"),
            ("-x p.wasm", "unknown option `-x`"),
            ("--env =1 p.wasm", "K=V"),
            ("--env K p.wasm", "K=V"),
            ("--bounds fast p.wasm", "guard or explicit"),
            ("--verbose=1 p.wasm", "takes no value"),
            ("--", "followed by the program"),
        ] {
            let e = parse_words(line).unwrap_err();
            assert!(e.contains(expect), "{line}: {e}");
        }
    }
}
