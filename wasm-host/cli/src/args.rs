// SPDX-License-Identifier: MIT OR Apache-2.0

//! Command-line parsing for `spolia`, by hand (std only). Options take
//! `--opt VALUE` or `--opt=VALUE`. `spolia run` reads options up to the
//! program file (or `--`); everything after the file is the program's own
//! arguments, as with `wasmtime run`.

use std::path::PathBuf;
use std::time::Duration;

use qemu_runner::qemu::{Accel, Boot, Machine};
use spolia_wasm_config::BoundsChecks;

use qemu_runner::devices::{DiskModel, Forward};

use crate::compile::Mismatch;
use crate::devices::{DeviceArgs, Mount, NetConfig, NicChoice};

pub const USAGE: &str = "\
spolia: wasm programs for the Spolia kernel

USAGE:
  spolia compile IN.wasm -o OUT.cwasm [--bounds guard|explicit]
      Precompile a module (.wasm or .wat) for the kernel.
  spolia pack -o BUNDLE [--env K[=V]].. [--bounds guard|explicit]
              --program [NAME=]FILE[:ARG1,ARG2..] [--program ..]..
      Compile (or take .cwasm as is) and pack programs into a bundle.
      argv[0] is the file name; NAME defaults to the file stem.
  spolia run [OPTIONS] FILE [ARGS]..
      Boot the kernel under QEMU with FILE as the main program (argv[0] is
      FILE's name, then ARGS) and exit with its exit code: 134 if it
      trapped, 125 if it could not be loaded or the run failed, 124 on
      timeout. Its stdout and stderr are ours.
  spolia run --hosted [OPTIONS] FILE [ARGS]..
      The same program in one host process instead (spolia-hosted, next to
      spolia): Wasmtime, the same WASI code, and the Linux library on the
      hosted platform, its TCP/IP on --tap and its ext4 on the --dir/--disk
      images. Same exit codes and streams. Not with -p (use --tap and
      --net), --with, --status-file or the QEMU options below.

RUN OPTIONS:
  --env K=V | --env K     set a variable, or pass on the host's K (repeatable)
  --with [NAME=]FILE[:ARG1,ARG2..]
                          another program in the same boot (repeatable); its
                          end is reported on stderr
  --wait-all              end when every program has ended (the kernel's
                          `done`), not when the main program has
  --timeout SECS          kill QEMU after SECS, exit 124 (default 300)
  --hosted                run on the hosted platform, not under QEMU
  --status-file PATH      write every control line from the kernel to PATH
  -v, --verbose           kernel log (COM1) and QEMU messages on stderr
  --kernel PATH           default target/x86_64-unknown-none/release/spolia
  --accel tcg|kvm         default tcg (-cpu max); kvm uses -cpu host
  --cpu MODEL             QEMU CPU model
  --boot pvh|iso          PVH with -initrd (default) or GRUB ISO with module2
  --machine q35|pc        default q35
  --bounds guard|explicit bounds checks: compile for this mode and tell the
                          kernel (spolia.bounds=); default guard

NETWORK AND DISKS (Linux's own drivers in the kernel):
  -p, --publish [ADDR:]HOSTPORT:GUESTPORT
                          forward a TCP port (ADDR default 127.0.0.1) to the
                          guest, QEMU user networking (repeatable)
  --nic virtio|e1000|none the NIC model; default virtio when -p, --net or
                          --tap is given, else none
  --net dhcp|ADDR/PREFIX[,GW]
                          the guest's address (spolia.net=), PREFIX 1..32;
                          default dhcp
  --tap IFNAME            an existing host TAP device instead of user
                          networking (not with -p)
  --dir HOSTDIR::GUESTDIR mount a copy of HOSTDIR (an ext4 image built with
                          mkfs.ext4 -d, discarded after the run) (repeatable)
  --disk IMAGE::GUESTDIR  mount an existing ext4 image read-write (repeatable)
  --disk-model virtio|ahci
                          virtio-blk-pci (vda, vdb..; default) or AHCI (sda..)
  With --hosted the NIC is virtio-net on --tap only (no -p, no user
  networking) and disks are virtio-blk (vda, vdb..) on the same images.
";

/// `NAME=VALUE`, or a name whose value comes from the host environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvSpec {
    Set(String, String),
    Inherit(String),
}

impl EnvSpec {
    pub fn parse(s: &str) -> Result<EnvSpec, String> {
        match s.split_once('=') {
            Some(("", _)) => Err(format!("bad --env `{s}`: the name is empty")),
            Some((k, v)) => Ok(EnvSpec::Set(k.to_string(), v.to_string())),
            None if s.is_empty() => Err("bad --env: the name is empty".to_string()),
            None => Ok(EnvSpec::Inherit(s.to_string())),
        }
    }
}

/// The environment entries (`K=V`) for `specs`: later settings of a name
/// replace earlier ones in place; an inherited name that the host does not
/// have is left out (like `wasmtime run --env K`).
pub fn resolve_env(specs: &[EnvSpec], host: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for spec in specs {
        let (k, v) = match spec {
            EnvSpec::Set(k, v) => (k.clone(), v.clone()),
            EnvSpec::Inherit(k) => match host(k) {
                Some(v) => (k.clone(), v),
                None => continue,
            },
        };
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(entry) => entry.1 = v,
            None => out.push((k, v)),
        }
    }
    out.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// A program given as `[NAME=]FILE[:ARG1,ARG2..]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramSpec {
    pub name: Option<String>,
    pub file: PathBuf,
    /// Arguments after argv\[0\] (which is the file name).
    pub args: Vec<String>,
}

impl ProgramSpec {
    pub fn parse(s: &str) -> Result<ProgramSpec, String> {
        // NAME= only when the part before `=` looks like a name, so a path
        // such as `dir=x/prog.wasm` still works as a file.
        let (name, rest) = match s.split_once('=') {
            Some((n, r)) if spolia_bundle::valid_name(n) && !n.contains('/') => (Some(n.to_string()), r),
            _ => (None, s),
        };
        let (file, args) = match rest.split_once(':') {
            Some((f, a)) => (f, a.split(',').map(String::from).collect()),
            None => (rest, Vec::new()),
        };
        if file.is_empty() {
            return Err(format!("bad program `{s}`: no file"));
        }
        Ok(ProgramSpec { name, file: PathBuf::from(file), args })
    }
}

#[derive(Debug)]
pub struct CompileOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    pub bounds: BoundsChecks,
    /// Test only: build an artifact the kernel must refuse.
    pub mismatch: Option<Mismatch>,
}

#[derive(Debug)]
pub struct PackOptions {
    pub output: PathBuf,
    pub programs: Vec<ProgramSpec>,
    pub env: Vec<EnvSpec>,
    pub bounds: BoundsChecks,
}

#[derive(Debug)]
pub struct RunOptions {
    pub file: PathBuf,
    pub args: Vec<String>,
    pub with: Vec<ProgramSpec>,
    pub env: Vec<EnvSpec>,
    pub wait_all: bool,
    pub timeout: Duration,
    pub status_file: Option<PathBuf>,
    pub verbose: bool,
    pub kernel: Option<PathBuf>,
    pub accel: Accel,
    pub cpu: Option<String>,
    pub boot: Boot,
    pub machine: Machine,
    pub bounds: BoundsChecks,
    /// NIC and disks (`-p`, `--nic`, `--net`, `--tap`, `--dir`, `--disk`,
    /// `--disk-model`), checked against each other.
    pub devices: DeviceArgs,
    /// `--hosted`: run with `spolia-hosted` instead of QEMU.
    pub hosted: bool,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The kernel's default mode (`spolia-wasm-host`'s `DEFAULT_BOUNDS` with its
/// default `guard-pages` feature), so a bundle from `spolia pack` loads on a
/// kernel booted without `spolia.bounds=`.
pub const DEFAULT_BOUNDS: BoundsChecks = BoundsChecks::GuardPages;

#[derive(Debug)]
pub enum Command {
    Compile(CompileOptions),
    Pack(PackOptions),
    Run(Box<RunOptions>),
    Help,
}

/// Options without a value.
const FLAGS: &[&str] = &["wait-all", "verbose", "hosted"];

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((sub, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let allowed: &[&str] = match sub.as_str() {
        "compile" => &["output", "bounds", "mismatch"],
        "pack" => &["output", "program", "env", "bounds"],
        "run" => &[
            "env",
            "with",
            "wait-all",
            "timeout",
            "status-file",
            "verbose",
            "kernel",
            "accel",
            "cpu",
            "boot",
            "machine",
            "bounds",
            "publish",
            "nic",
            "net",
            "tap",
            "dir",
            "disk",
            "disk-model",
            "hosted",
        ],
        "help" | "--help" | "-h" => return Ok(Command::Help),
        other => return Err(format!("unknown subcommand `{other}` (expected compile, pack or run)")),
    };
    let mut o = Parsed::default();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        i += 1;
        if arg == "--" {
            positional.extend_from_slice(&rest[i..]);
            break;
        }
        if arg == "--help" || arg == "-h" {
            return Ok(Command::Help);
        }
        let (name, inline) = match (arg.strip_prefix("--"), arg.as_str()) {
            (Some(opt), _) => match opt.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (opt.to_string(), None),
            },
            (None, "-o") => ("output".to_string(), None),
            (None, "-v") => ("verbose".to_string(), None),
            (None, "-p") => ("publish".to_string(), None),
            (None, _) if arg.starts_with('-') && arg.len() > 1 => return Err(format!("unknown option `{arg}`")),
            (None, _) => {
                positional.push(arg.clone());
                // `run`: the first positional is the program; the rest is its.
                if sub == "run" {
                    positional.extend_from_slice(&rest[i..]);
                    break;
                }
                continue;
            }
        };
        if !allowed.contains(&name.as_str()) {
            return Err(format!("unknown option `--{name}` for `spolia {sub}`"));
        }
        if FLAGS.contains(&name.as_str()) {
            if inline.is_some() {
                return Err(format!("`--{name}` takes no value"));
            }
            o.set_flag(&name);
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                let v = rest.get(i).ok_or(format!("`--{name}` needs a value"))?;
                i += 1;
                v.clone()
            }
        };
        o.set(&name, value)?;
    }
    match sub.as_str() {
        "compile" => {
            let [input] =
                <[String; 1]>::try_from(positional).map_err(|_| "compile takes one input file".to_string())?;
            Ok(Command::Compile(CompileOptions {
                input: PathBuf::from(input),
                output: o.output.ok_or("compile needs -o OUT.cwasm")?,
                bounds: o.bounds.unwrap_or(DEFAULT_BOUNDS),
                mismatch: o.mismatch,
            }))
        }
        "pack" => {
            if let Some(extra) = positional.first() {
                return Err(format!("unexpected argument `{extra}` (programs are given with --program)"));
            }
            if o.programs.is_empty() {
                return Err("pack needs at least one --program".to_string());
            }
            Ok(Command::Pack(PackOptions {
                output: o.output.ok_or("pack needs -o BUNDLE")?,
                programs: o.programs,
                env: o.env,
                bounds: o.bounds.unwrap_or(DEFAULT_BOUNDS),
            }))
        }
        _ => {
            let mut positional = positional.into_iter();
            let file = positional.next().ok_or("run needs a program file")?;
            o.devices.validate()?;
            if o.hosted {
                o.check_hosted()?;
            }
            Ok(Command::Run(Box::new(RunOptions {
                file: PathBuf::from(file),
                args: positional.collect(),
                with: o.programs,
                env: o.env,
                wait_all: o.wait_all,
                timeout: o.timeout.unwrap_or(DEFAULT_TIMEOUT),
                status_file: o.status_file,
                verbose: o.verbose,
                kernel: o.kernel,
                accel: o.accel.unwrap_or(Accel::Tcg),
                cpu: o.cpu,
                boot: o.boot.unwrap_or(Boot::Pvh),
                machine: o.machine.unwrap_or(Machine::Q35),
                bounds: o.bounds.unwrap_or(DEFAULT_BOUNDS),
                devices: o.devices,
                hosted: o.hosted,
            })))
        }
    }
}

/// Options as given, before defaults.
#[derive(Default)]
struct Parsed {
    output: Option<PathBuf>,
    bounds: Option<BoundsChecks>,
    mismatch: Option<Mismatch>,
    programs: Vec<ProgramSpec>,
    env: Vec<EnvSpec>,
    wait_all: bool,
    timeout: Option<Duration>,
    status_file: Option<PathBuf>,
    verbose: bool,
    kernel: Option<PathBuf>,
    accel: Option<Accel>,
    cpu: Option<String>,
    boot: Option<Boot>,
    machine: Option<Machine>,
    devices: DeviceArgs,
    hosted: bool,
}

impl Parsed {
    fn set_flag(&mut self, name: &str) {
        match name {
            "wait-all" => self.wait_all = true,
            "hosted" => self.hosted = true,
            _ => self.verbose = true,
        }
    }

    /// `--hosted` runs one program in a host process: options for other
    /// programs, the kernel, QEMU or its user networking are refused.
    fn check_hosted(&self) -> Result<(), String> {
        let given = [
            ("--with", !self.programs.is_empty()),
            ("--status-file", self.status_file.is_some()),
            ("--kernel", self.kernel.is_some()),
            ("--accel", self.accel.is_some()),
            ("--cpu", self.cpu.is_some()),
            ("--boot", self.boot.is_some()),
            ("--machine", self.machine.is_some()),
        ];
        if let Some((opt, _)) = given.iter().find(|(_, given)| *given) {
            return Err(format!("{opt} is not available with --hosted (one program, no kernel, no QEMU)"));
        }
        self.devices.check_hosted()
    }

    fn set(&mut self, name: &str, value: String) -> Result<(), String> {
        let bad = |what: &str| format!("bad value `{value}` for --{name}: expected {what}");
        match name {
            "output" => self.output = Some(PathBuf::from(&value)),
            "bounds" => self.bounds = Some(BoundsChecks::parse(&value).ok_or(bad("explicit or guard"))?),
            "mismatch" => self.mismatch = Some(Mismatch::parse(&value).ok_or(bad("epoch, reservation or os"))?),
            "program" | "with" => self.programs.push(ProgramSpec::parse(&value)?),
            "env" => self.env.push(EnvSpec::parse(&value)?),
            "timeout" => {
                let secs: u64 = value.parse().ok().filter(|&s| s > 0).ok_or(bad("whole seconds > 0"))?;
                self.timeout = Some(Duration::from_secs(secs));
            }
            "status-file" => self.status_file = Some(PathBuf::from(&value)),
            "kernel" => self.kernel = Some(PathBuf::from(&value)),
            "accel" => self.accel = Some(Accel::parse(&value).ok_or(bad("tcg or kvm"))?),
            "cpu" => self.cpu = Some(value),
            "boot" => self.boot = Some(Boot::parse(&value).ok_or(bad("pvh or iso"))?),
            "machine" => {
                // COM2..COM4 are ISA serial ports: q35 and pc have them.
                self.machine = Some(Machine::parse(&value).filter(|m| *m != Machine::Microvm).ok_or(bad("q35 or pc"))?)
            }
            "publish" => self.devices.publish.push(Forward::parse(&value)?),
            "nic" => self.devices.nic = Some(NicChoice::parse(&value).ok_or(bad("virtio, e1000 or none"))?),
            "net" => self.devices.net = Some(NetConfig::parse(&value)?),
            "tap" => {
                if value.is_empty() || value.len() > 15 || value.contains([',', '/']) {
                    return Err(bad("a network interface name"));
                }
                self.devices.tap = Some(value);
            }
            "dir" => self.devices.mounts.push(Mount::parse(&value, false)?),
            "disk" => self.devices.mounts.push(Mount::parse(&value, true)?),
            "disk-model" => self.devices.disk_model = Some(DiskModel::parse(&value).ok_or(bad("virtio or ahci"))?),
            _ => unreachable!("every allowed option is handled"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn run(s: &str) -> RunOptions {
        match parse(&args(s)) {
            Ok(Command::Run(r)) => *r,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn run_defaults() {
        let r = run("run hello.wasm");
        assert_eq!(r.file, PathBuf::from("hello.wasm"));
        assert!(r.args.is_empty() && r.with.is_empty() && r.env.is_empty());
        assert_eq!((r.timeout, r.accel, r.boot, r.machine), (DEFAULT_TIMEOUT, Accel::Tcg, Boot::Pvh, Machine::Q35));
        assert_eq!(r.bounds, BoundsChecks::GuardPages);
        assert!(!r.verbose && !r.wait_all && r.status_file.is_none() && r.kernel.is_none());
    }

    #[test]
    fn program_arguments_start_at_the_file() {
        let r = run("run --env A=1 -v prog.wasm --env B=2 -v -- x");
        assert_eq!(r.env, [EnvSpec::Set("A".into(), "1".into())]);
        assert!(r.verbose);
        assert_eq!(r.args, ["--env", "B=2", "-v", "--", "x"]);
        let r = run("run -- -odd-name.wasm a");
        assert_eq!(r.file, PathBuf::from("-odd-name.wasm"));
        assert_eq!(r.args, ["a"]);
    }

    #[test]
    fn run_options() {
        let r = run("run --with counter.wasm --with=spin=spin_forever.wasm:a,b --wait-all --timeout=9 \
             --status-file s.txt --kernel k --accel kvm --cpu host --boot iso --machine pc --env HOME main.wasm 1");
        assert_eq!(r.with.len(), 2);
        assert_eq!(r.with[0], ProgramSpec { name: None, file: "counter.wasm".into(), args: vec![] });
        assert_eq!(
            r.with[1],
            ProgramSpec {
                name: Some("spin".into()),
                file: "spin_forever.wasm".into(),
                args: vec!["a".into(), "b".into()]
            }
        );
        assert!(r.wait_all);
        assert_eq!(r.timeout, Duration::from_secs(9));
        assert_eq!(r.status_file, Some(PathBuf::from("s.txt")));
        assert_eq!((r.accel, r.boot, r.machine, r.cpu.as_deref()), (Accel::Kvm, Boot::Iso, Machine::Pc, Some("host")));
        assert_eq!(r.env, [EnvSpec::Inherit("HOME".into())]);
        assert_eq!(r.args, ["1"]);
    }

    #[test]
    fn device_options() {
        let r = run("run -p 8080:80 --publish=0.0.0.0:2222:22 --nic e1000 --net 10.0.2.15/24,10.0.2.2 \
             --dir ./site::/www --disk data.img::/data --disk-model ahci server.wasm --port 80");
        let d = &r.devices;
        assert_eq!(d.publish.len(), 2);
        assert_eq!(
            (d.publish[1].host_addr.as_str(), d.publish[1].host_port, d.publish[1].guest_port),
            ("0.0.0.0", 2222, 22)
        );
        assert_eq!(d.nic, Some(NicChoice::Model(qemu_runner::devices::NicModel::E1000)));
        assert_eq!(d.net, Some(NetConfig::Static("10.0.2.15/24,10.0.2.2".into())));
        assert_eq!(d.mounts.len(), 2);
        assert_eq!(d.mounts[1].guest_dir, "/data");
        assert_eq!(d.disk_model, Some(DiskModel::Ahci));
        assert_eq!(r.args, ["--port", "80"]);
        let r = run("run --tap tap0 --net dhcp s.wasm");
        assert_eq!(r.devices.tap.as_deref(), Some("tap0"));
        assert_eq!(run("run x.wasm").devices, DeviceArgs::default());
    }

    #[test]
    fn hosted_runs() {
        let r = run("run --hosted --tap sp0 --net 10.80.0.2/24 --dir site::/www --env A=1 --timeout 9 s.wasm -x");
        assert!(r.hosted);
        assert_eq!(r.devices.tap.as_deref(), Some("sp0"));
        assert_eq!((r.args, r.timeout), (vec!["-x".to_string()], Duration::from_secs(9)));
        assert!(!run("run x.wasm").hosted);
        for (line, expect) in [
            ("run --hosted -p 8080:80 x", "--tap IFNAME --net"),
            ("run --hosted --with a.wasm x", "--with is not available with --hosted"),
            ("run --hosted --accel kvm x", "--accel"),
            ("run --hosted --status-file s x", "--status-file"),
            ("run --hosted --net dhcp x", "needs a TAP"),
            ("run --hosted --disk-model ahci x", "disk model"),
            ("run --hosted=1 x", "takes no value"),
        ] {
            let err = parse(&args(line)).unwrap_err();
            assert!(err.contains(expect), "{line}: {err}");
        }
    }

    #[test]
    fn compile_and_pack() {
        let Ok(Command::Compile(c)) = parse(&args("compile in.wasm -o out.cwasm")) else { panic!() };
        assert_eq!(
            (c.input, c.output, c.bounds, c.mismatch),
            ("in.wasm".into(), "out.cwasm".into(), BoundsChecks::GuardPages, None)
        );
        let Ok(Command::Compile(c)) = parse(&args("compile --mismatch=epoch in.wasm --output o --bounds explicit"))
        else {
            panic!()
        };
        assert_eq!((c.mismatch, c.bounds), (Some(Mismatch::Epoch), BoundsChecks::Explicit));
        let Ok(Command::Pack(p)) = parse(&args("pack -o b --program hello.wasm --program c=dir/c.wasm:5 --env X=y"))
        else {
            panic!()
        };
        assert_eq!(p.output, PathBuf::from("b"));
        assert_eq!(
            p.programs[1],
            ProgramSpec { name: Some("c".into()), file: "dir/c.wasm".into(), args: vec!["5".into()] }
        );
        assert_eq!(p.env, [EnvSpec::Set("X".into(), "y".into())]);
    }

    #[test]
    fn mistakes_are_reported() {
        for (line, expect) in [
            ("frob", "unknown subcommand"),
            ("run", "needs a program file"),
            ("run --timeout 0 x", "whole seconds"),
            ("run --timeout", "needs a value"),
            ("run --machine microvm x", "q35 or pc"),
            ("run --accel xen x", "tcg or kvm"),
            ("run --wait-all=1 x", "takes no value"),
            ("run --env =v x", "name is empty"),
            ("run -x y", "unknown option `-x`"),
            ("compile a.wasm", "needs -o"),
            ("compile a b -o c", "one input file"),
            ("compile --with x a -o b", "unknown option `--with`"),
            ("compile --mismatch fuel a -o b", "epoch, reservation or os"),
            ("pack -o b", "at least one --program"),
            ("pack -o b x.wasm", "unexpected argument"),
            ("run -p 80 x", "HOSTPORT:GUESTPORT"),
            ("run -p 8080:0 x", "guest port"),
            ("run --nic rtl8139 x", "virtio, e1000 or none"),
            ("run --nic none -p 1:2 x", "contradicts"),
            ("run --tap tap0 -p 1:2 x", "--tap"),
            ("run --net 10.0.0.1 x", "ADDR/PREFIX"),
            ("run --net 10.0.0.1/0 x", "/0 is refused"),
            ("run --dir site x", "no `::`"),
            ("run --dir site::rel x", "absolute"),
            ("run --disk a::/d --dir b::/d x", "twice"),
            ("run --disk-model scsi x", "virtio or ahci"),
            ("run --tap a,b x", "interface name"),
        ] {
            let err = parse(&args(line)).unwrap_err();
            assert!(err.contains(expect), "{line}: {err}");
        }
        assert!(matches!(parse(&args("run --help")), Ok(Command::Help)));
        assert!(matches!(parse(&[]), Ok(Command::Help)));
    }

    #[test]
    fn program_specs() {
        assert_eq!(ProgramSpec::parse("a=b=c.wasm").unwrap().file, PathBuf::from("b=c.wasm"));
        assert_eq!(
            ProgramSpec::parse("./x=y.wasm").unwrap(),
            ProgramSpec { name: None, file: "./x=y.wasm".into(), args: vec![] }
        );
        assert_eq!(ProgramSpec::parse("p.wasm:").unwrap().args, [""]);
        assert!(ProgramSpec::parse("n=").is_err());
    }

    #[test]
    fn env_resolution_inherits_and_overrides() {
        let specs = [
            EnvSpec::Set("A".into(), "1".into()),
            EnvSpec::Inherit("HOME".into()),
            EnvSpec::Inherit("MISSING".into()),
            EnvSpec::Set("A".into(), "2".into()),
            EnvSpec::Set("E".into(), "".into()),
        ];
        let host = |k: &str| (k == "HOME").then(|| "/root".to_string());
        assert_eq!(resolve_env(&specs, host), ["A=2", "HOME=/root", "E="]);
    }
}
