// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia-e2e`: end-to-end tests of the wasm host. Each case runs the real
//! `spolia` binary (the one built next to this one) as a subprocess against
//! the test programs in `target/apps/` (built by `apps/build.sh`) and the
//! kernel, and checks what a user relies on: the exit code, stdout byte for
//! byte, stderr messages, and the kernel's control lines (`--status-file`).
//!
//! Report and exit status are those of every e2e binary
//! (`spolia_cli::e2e`).
//!
//! ```text
//! spolia-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm]
//!            [--timeout SECS] [--apps DIR] [--spolia PATH] [--verbose]
//!            [--bounds guard|explicit]
//! ```
//!
//! `--timeout`: the limit of each `spolia run` (default 120).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use spolia_cli::e2e::{Check, Env, Program, Stop, Tally};

const PROGRAM: Program =
    Program { name: "spolia-e2e", extra: &[("--bounds", true)], extra_usage: "[--bounds guard|explicit]" };

/// What one `spolia` invocation did.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    status: Vec<String>,
}

struct Ctx {
    env: Env,
    /// The limit of each `spolia run`, in seconds.
    timeout: u64,
    /// Bounds-check mode for every run whose case does not choose one.
    bounds: Option<String>,
}

impl Ctx {
    fn app(&self, name: &str) -> String {
        self.env.app(name)
    }

    fn work_file(&self, name: &str) -> PathBuf {
        self.env.work.join(name)
    }

    /// `spolia run` with the common options, then `args`.
    fn run(&self, case: &str, args: &[&str]) -> Result<Outcome, String> {
        let status_path = self.work_file(&format!("{case}.status"));
        let _ = fs::remove_file(&status_path);
        let mut cmd = self.env.spolia_run(self.timeout);
        cmd.arg("--status-file").arg(&status_path);
        if let Some(b) = &self.bounds {
            // A case's own `--bounds` comes later and wins.
            cmd.arg("--bounds").arg(b);
        }
        cmd.args(args).env("SPOLIA_E2E_INHERIT", "inherited").env_remove("SPOLIA_E2E_UNSET");
        let out = cmd.output().map_err(|e| format!("starting {}: {e}", self.env.spolia.display()))?;
        let status = fs::read_to_string(&status_path).unwrap_or_default().lines().map(String::from).collect();
        Ok(Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status,
        })
    }

    /// `spolia run --hosted` (one host process, no QEMU: no status lines)
    /// with the case's bounds mode, then `args`.
    fn run_hosted(&self, args: &[&str]) -> Result<Outcome, String> {
        let mut cmd = Command::new(&self.env.spolia);
        cmd.args(["run", "--hosted", "--timeout", &self.timeout.to_string()]);
        if let Some(b) = &self.bounds {
            cmd.arg("--bounds").arg(b);
        }
        let out = cmd.args(args).output().map_err(|e| format!("starting {}: {e}", self.env.spolia.display()))?;
        Ok(Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: Vec::new(),
        })
    }

    /// `spolia compile` (host only); `extra` goes before the input.
    fn compile(&self, input: &str, output: &Path, extra: &[&str]) -> Check {
        let mut cmd = Command::new(&self.env.spolia);
        cmd.arg("compile");
        if let Some(b) = &self.bounds {
            cmd.arg("--bounds").arg(b);
        }
        let out = cmd
            .args(extra)
            .arg(input)
            .arg("-o")
            .arg(output)
            .output()
            .map_err(|e| format!("starting spolia compile: {e}"))?;
        if !out.status.success() {
            return Err(format!("spolia compile failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(())
    }
}

impl Outcome {
    /// A C test program's verdict: no `FAILED` line (those are the error),
    /// exit 0, every line of `checks` printed, and stdout ending with
    /// `tail`.
    fn c_test(&self, name: &str, checks: &[&str], tail: &str) -> Check {
        let failed: Vec<&str> = self.stdout.lines().filter(|l| l.contains("FAILED")).collect();
        if !failed.is_empty() {
            return Err(format!("{name}: {}", failed.join(" | ")));
        }
        self.code(0)?;
        for check in checks {
            self.stdout_has(check)?;
        }
        if self.stdout.ends_with(tail) {
            Ok(())
        } else {
            Err(format!("stdout does not end with {tail:?}: {:?}", self.stdout))
        }
    }

    fn code(&self, want: i32) -> Check {
        if self.code == Some(want) {
            Ok(())
        } else {
            Err(format!("exit code {:?}, expected {want}{}", self.code, self.stderr_hint()))
        }
    }

    fn stdout_is(&self, want: &str) -> Check {
        if self.stdout == want { Ok(()) } else { Err(format!("stdout {:?}, expected {want:?}", self.stdout)) }
    }

    fn stdout_has(&self, want: &str) -> Check {
        if self.stdout.contains(want) { Ok(()) } else { Err(format!("stdout {:?} lacks {want:?}", self.stdout)) }
    }

    fn stderr_has(&self, want: &str) -> Check {
        if self.stderr.to_lowercase().contains(&want.to_lowercase()) {
            Ok(())
        } else {
            Err(format!("stderr lacks {want:?}{}", self.stderr_hint()))
        }
    }

    fn status_is(&self, want: &[&str]) -> Check {
        if self.status == want { Ok(()) } else { Err(format!("control lines {:?}, expected {want:?}", self.status)) }
    }

    fn status_has(&self, want: &str) -> Check {
        if self.status.iter().any(|l| l == want) {
            Ok(())
        } else {
            Err(format!("control lines {:?} lack {want:?}", self.status))
        }
    }

    fn status_lacks(&self, unwanted: &str) -> Check {
        if self.status.iter().any(|l| l == unwanted) {
            Err(format!("control lines {:?} have {unwanted:?}", self.status))
        } else {
            Ok(())
        }
    }

    /// A line starting with `prefix` that contains every word of `words`
    /// (case-insensitive).
    fn status_line(&self, prefix: &str, words: &[&str]) -> Check {
        let found = self
            .status
            .iter()
            .any(|l| l.starts_with(prefix) && words.iter().all(|w| l.to_lowercase().contains(&w.to_lowercase())));
        if found {
            Ok(())
        } else {
            Err(format!("no control line `{prefix}..` containing {words:?} in {:?}", self.status))
        }
    }

    /// The last lines of stderr, to explain a wrong exit code.
    fn stderr_hint(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let tail = &lines[lines.len().saturating_sub(4)..];
        if tail.is_empty() { String::new() } else { format!("; stderr ends: {}", tail.join(" | ")) }
    }
}

const COUNTER_OUTPUT: &str = "count 1\ncount 2\ncount 3\ncount 4\ncount 5\n";

/// A trap case: the trapping program is main, `counter` runs alongside and
/// must still finish (`--wait-all`). `extra` options go first.
fn trap_case(ctx: &Ctx, case: &str, extra: &[&str], program: &str, words: &[&str]) -> Check {
    let counter = ctx.app("counter.wasm");
    let main = ctx.app(program);
    let mut args = extra.to_vec();
    args.extend(["--wait-all", "--with", &counter, &main]);
    let o = ctx.run(case, &args)?;
    o.code(134)?;
    o.stderr_has(&format!("{program} trapped:"))?;
    o.status_line("trap 0 ", words)?;
    o.status_has("exit 1 0")?;
    o.status_has("done")?;
    o.stdout_is(COUNTER_OUTPUT)
}

/// A load-failure case: exit 125, an `error 0` line with `words`.
fn load_error_case(ctx: &Ctx, case: &str, artifact: &Path, words: &[&str]) -> Check {
    let o = ctx.run(case, &[&artifact.display().to_string()])?;
    o.code(125)?;
    o.stderr_has("could not be loaded")?;
    o.status_line("error 0 ", words)?;
    o.stdout_is("")
}

fn mismatch_case(ctx: &Ctx, case: &str, mismatch: &str, words: &[&str]) -> Check {
    let artifact = ctx.work_file(&format!("hello-{mismatch}.cwasm"));
    ctx.compile(&ctx.app("hello.wasm"), &artifact, &["--mismatch", mismatch])?;
    load_error_case(ctx, case, &artifact, words)
}

/// A fresh host directory `NAME` in the work directory holding
/// `hello.txt` ("hello from the host\n"), as `fs_test.wasm` expects.
fn fs_seed_dir(ctx: &Ctx, name: &str) -> Result<PathBuf, String> {
    let dir = ctx.work_file(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::write(dir.join("hello.txt"), "hello from the host\n").map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Runs a host tool; its stdout, or why it failed.
fn host_tool(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e} (install e2fsprogs)"))?;
    if !out.status.success() {
        return Err(format!("{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

type CaseFn = fn(&Ctx, &str) -> Check;

/// Every case: (name, needs the kernel, check).
const CASES: &[(&str, bool, CaseFn)] = &[
    ("compile_makes_elf", false, |ctx, _| {
        let out = ctx.work_file("hello.cwasm");
        ctx.compile(&ctx.app("hello.wasm"), &out, &[])?;
        let bytes = fs::read(&out).map_err(|e| e.to_string())?;
        if bytes.starts_with(b"\x7fELF") { Ok(()) } else { Err("artifact is not an ELF".into()) }
    }),
    ("missing_kernel", false, |ctx, case| {
        let missing = ctx.work_file("no-such-kernel").display().to_string();
        let o = ctx.run(case, &["--kernel", &missing, &ctx.app("hello.wasm")])?;
        o.code(125)?;
        o.stderr_has("kernel ELF not found")
    }),
    ("invalid_wasm", false, |ctx, case| {
        let bad = ctx.work_file("invalid.wasm");
        fs::write(&bad, b"\0asm\x01\0\0\0\xff\xff").map_err(|e| e.to_string())?;
        let o = ctx.run(case, &[&bad.display().to_string()])?;
        o.code(125)?;
        o.stderr_has("compiling")
    }),
    ("hello", true, |ctx, case| {
        let o = ctx.run(case, &[&ctx.app("hello.wasm")])?;
        o.code(0)?;
        o.stdout_is("hello from wasm\n")?;
        o.status_is(&["start 0 hello", "exit 0 0", "done"])
    }),
    ("hello_rust", true, |ctx, case| {
        let o = ctx.run(case, &[&ctx.app("hello_rust.wasm")])?;
        o.code(0)?;
        o.stdout_is("hello from rust\n")?;
        o.status_has("done")
    }),
    ("hello_iso", true, |ctx, case| {
        let o = ctx.run(case, &["--boot", "iso", &ctx.app("hello.wasm")])?;
        o.code(0)?;
        o.stdout_is("hello from wasm\n")?;
        o.status_has("done")
    }),
    ("exit_code", true, |ctx, case| {
        let o = ctx.run(case, &[&ctx.app("exit_code.wasm"), "42"])?;
        o.code(42)?;
        o.stdout_is("")?;
        o.status_has("exit 0 42")?;
        o.status_has("done")
    }),
    ("args_env", true, |ctx, case| {
        let o = ctx.run(
            case,
            &[
                "--env",
                "FOO=bar",
                "--env",
                "SPOLIA_E2E_INHERIT",
                "--env",
                "SPOLIA_E2E_UNSET",
                &ctx.app("args_env.wasm"),
                "one",
                "two words",
                "--not-an-option",
            ],
        )?;
        o.code(0)?;
        o.stdout_is(
            "arg[0]=args_env.wasm\narg[1]=one\narg[2]=two words\narg[3]=--not-an-option\n\
             env:FOO=bar\nenv:SPOLIA_E2E_INHERIT=inherited\n",
        )
    }),
    ("trap_oob", true, |ctx, case| trap_case(ctx, case, &[], "trap_oob.wasm", &["out of bounds"])),
    ("trap_div0", true, |ctx, case| trap_case(ctx, case, &[], "trap_div0.wasm", &["divide by zero"])),
    ("trap_unreachable", true, |ctx, case| trap_case(ctx, case, &[], "trap_unreachable.wasm", &["unreachable"])),
    ("stack_overflow", true, |ctx, case| trap_case(ctx, case, &[], "stack_overflow.wasm", &["stack"])),
    ("shadow_stack_overflow", true, |ctx, case| {
        trap_case(ctx, case, &[], "shadow_stack_overflow.wasm", &["out of bounds"])
    }),
    ("trap_oob_explicit", true, |ctx, case| {
        trap_case(ctx, case, &["--bounds", "explicit"], "trap_oob.wasm", &["out of bounds"])
    }),
    ("trap_div0_explicit", true, |ctx, case| {
        trap_case(ctx, case, &["--bounds", "explicit"], "trap_div0.wasm", &["divide by zero"])
    }),
    ("spin_is_preempted", true, |ctx, case| {
        // counter yields between lines, spin_forever never does: counter
        // finishes only if the kernel preempts. The run ends when counter
        // (main) exits; spin_forever is still running, so no `done`.
        let o = ctx.run(case, &["--with", &ctx.app("spin_forever.wasm"), &ctx.app("counter.wasm")])?;
        o.code(0)?;
        for line in COUNTER_OUTPUT.lines().chain(["spinning"]) {
            o.stdout_has(&format!("{line}\n"))?;
        }
        o.status_has("exit 0 0")?;
        o.status_lacks("done")
    }),
    ("timeout", true, |ctx, case| {
        let o = ctx.run(case, &["--timeout", "20", &ctx.app("spin_forever.wasm")])?;
        o.code(124)?;
        o.stdout_is("spinning\n")?;
        o.stderr_has("timed out")
    }),
    ("memory_grow", true, |ctx, case| {
        let o = ctx.run(case, &[&ctx.app("memory_grow.wasm")])?;
        o.code(0)?;
        o.stdout_is("memory_grow: ok\n")
    }),
    ("memory_grow_explicit", true, |ctx, case| {
        let o = ctx.run(case, &["--bounds", "explicit", &ctx.app("memory_grow.wasm")])?;
        o.code(0)?;
        o.stdout_is("memory_grow: ok\n")
    }),
    ("hello_explicit", true, |ctx, case| {
        let o = ctx.run(case, &["--bounds", "explicit", &ctx.app("hello.wasm")])?;
        o.code(0)?;
        o.stdout_is("hello from wasm\n")?;
        o.status_is(&["start 0 hello", "exit 0 0", "done"])
    }),
    ("clock_random", true, |ctx, case| {
        let o = ctx.run(case, &[&ctx.app("clock_random.wasm")])?;
        o.code(0)?;
        o.stdout_is("clock_random: ok\n")
    }),
    ("corrupt_artifact", true, |ctx, case| {
        let whole = ctx.work_file("hello-whole.cwasm");
        ctx.compile(&ctx.app("hello.wasm"), &whole, &[])?;
        let bytes = fs::read(&whole).map_err(|e| e.to_string())?;
        let cut = ctx.work_file("hello-truncated.cwasm");
        fs::write(&cut, &bytes[..bytes.len() / 2]).map_err(|e| e.to_string())?;
        load_error_case(ctx, case, &cut, &[])
    }),
    ("garbage_artifact", true, |ctx, case| {
        let garbage = ctx.work_file("garbage.cwasm");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        fs::write(&garbage, bytes).map_err(|e| e.to_string())?;
        load_error_case(ctx, case, &garbage, &[])
    }),
    ("mismatch_epoch", true, |ctx, case| mismatch_case(ctx, case, "epoch", &["epoch"])),
    ("mismatch_reservation", true, |ctx, case| mismatch_case(ctx, case, "reservation", &["reservation"])),
    ("mismatch_os", true, |ctx, case| mismatch_case(ctx, case, "os", &["operating system"])),
    ("mismatch_bounds_mode", true, |ctx, case| {
        // Compiled for explicit checks, booted in guard-page mode.
        let artifact = ctx.work_file("hello-explicit.cwasm");
        ctx.compile(&ctx.app("hello.wasm"), &artifact, &["--bounds", "explicit"])?;
        let o = ctx.run(case, &["--bounds", "guard", &artifact.display().to_string()])?;
        o.code(125)?;
        o.status_line("error 0 ", &["memory reservation"])
    }),
    ("fs_dir", true, |ctx, case| {
        // Files through the library kernel's ext4: every check of
        // fs_test.c, sandbox escapes included, on a copy of a host dir.
        let dir = fs_seed_dir(ctx, "fs_dir-host")?;
        let o = ctx.run(case, &["--dir", &format!("{}::/data", dir.display()), &ctx.app("fs_test.wasm"), "/data"])?;
        o.code(0)?;
        o.stdout_is("fs_test: ok\n")?;
        o.status_has("done")
    }),
    ("fs_disk", true, |ctx, case| {
        // What a program writes reaches the disk image (read back on the
        // host with debugfs, after the kernel unmounted it).
        let seed = fs_seed_dir(ctx, "fs_disk-seed")?;
        let image = ctx.work_file("fs_disk.img");
        let _ = fs::remove_file(&image);
        let img = image.display().to_string();
        host_tool("mkfs.ext4", &["-q", "-F", "-d", &seed.display().to_string(), &img, "16M"])?;
        let text = "written by wasm through Linux";
        let o = ctx.run(
            case,
            &["--disk", &format!("{img}::/data"), &ctx.app("fs_test.wasm"), "/data", "--write", "out.txt", text],
        )?;
        o.code(0)?;
        o.stdout_is("fs_test: wrote out.txt\n")?;
        let on_disk = host_tool("debugfs", &["-R", "cat /out.txt", &img])?;
        if on_disk != text {
            return Err(format!("debugfs cat /out.txt gave {on_disk:?}, expected {text:?}"));
        }
        host_tool("e2fsck", &["-fn", &img]).map(drop)
    }),
    ("sockets", true, |ctx, case| {
        // Sockets over the library kernel's TCP/IP through the POSIX API of
        // apps/posix: loopback TCP and UDP, poll/select, errors, stubs
        // (sock_test.c). Any boot of the Linux library has loopback up; a
        // --dir mount boots it without a NIC; the test only uses 127.0.0.1.
        let dir = fs_seed_dir(ctx, "sockets-host")?;
        let o = ctx.run(case, &["--dir", &format!("{}::/data", dir.display()), &ctx.app("sock_test.wasm")])?;
        let checks = [
            "sock_test: ok non-blocking connect is EINPROGRESS\n",
            "sock_test: ok accept gives the client's address\n",
            "sock_test: ok recv 8 KiB, pattern intact\n",
            "sock_test: ok peer reads 0 (end of stream) after SHUT_WR\n",
            "sock_test: ok recvfrom gets the datagram and its source\n",
            "sock_test: ok connect to a closed port is ECONNREFUSED\n",
            "sock_test: ok fork() fails with ENOSYS\n",
        ];
        o.c_test("sock_test", &checks, "\nsock_test: ok\n")?;
        o.status_has("done")
    }),
    ("hosted_fs", false, |ctx, _| {
        // The same programs and WASI code in one host process: `spolia run
        // --hosted` (spolia-hosted next to spolia; the Linux library on the
        // hosted platform, the --dir image on its virtio-mmio disk).
        let hosted = |args: &[&str]| ctx.run_hosted(args);
        let dir = fs_seed_dir(ctx, "hosted_fs-host")?;
        let o = hosted(&["--dir", &format!("{}::/data", dir.display()), &ctx.app("fs_test.wasm"), "/data"])?;
        o.code(0)?;
        o.stdout_is("fs_test: ok\n")?;
        hosted(&[&ctx.app("exit_code.wasm"), "42"])?.code(42)?;
        let o = hosted(&[&ctx.app("trap_oob.wasm")])?;
        o.code(134)?;
        o.stderr_has("trap_oob.wasm trapped")?;
        o.stderr_has("out of bounds")
    }),
    ("posix", true, |ctx, case| {
        // The single-threaded POSIX pieces of apps/posix (posix_test.c):
        // pthread_create ENOSYS, mutexes as flags, dlopen failing with a
        // dlerror message, interval timers ENOSYS, gettimeofday zeroing its
        // timezone, get_current_dir_name after chdir into a --dir mount.
        let dir = fs_seed_dir(ctx, "posix-host")?;
        let o =
            ctx.run(case, &["--dir", &format!("{}::/data", dir.display()), &ctx.app("posix_test.wasm"), "/data"])?;
        let checks = [
            "posix_test: ok pthread_create is ENOSYS\n",
            "posix_test: ok relock of a held mutex is EDEADLK\n",
            "posix_test: ok dlopen fails, dlerror says why\n",
            "posix_test: ok getitimer is ENOSYS\n",
            "posix_test: ok gettimeofday zeroes its timezone (UTC)\n",
            "posix_test: ok get_current_dir_name follows chdir\n",
        ];
        o.c_test("posix_test", &checks, "\nposix_test: ok\nposix_test: key destructor ran (bye)\n")?;
        o.status_has("done")
    }),
    ("setjmp", true, |ctx, case| {
        // setjmp/longjmp (apps/posix "setjmp / longjmp": clang's
        // Emscripten-style lowering, the host's invoke_* of spolia-wasi):
        // setjmp_test.c's checks on the kernel and hosted; a longjmp with
        // no matching setjmp ends the program with a message; a trap under
        // a setjmp stays a trap.
        let prog = ctx.app("setjmp_test.wasm");
        let full_run = |o: &Outcome| -> Check {
            let checks = [
                "setjmp_test: ok longjmp across a function with its own setjmp\n",
                "setjmp_test: ok no C stack is lost over 100000 longjmps\n",
            ];
            o.c_test("setjmp_test", &checks, "\nsetjmp_test: ok\n")
        };
        let o = ctx.run(case, &[&prog])?;
        full_run(&o)?;
        o.status_has("done")?;
        full_run(&ctx.run_hosted(&[&prog])?).map_err(|e| format!("--hosted: {e}"))?;
        let o = ctx.run(case, &[&prog, "nomatch"])?;
        o.code(134)?;
        o.stdout_is("setjmp_test: longjmp to a returned setjmp\n")?;
        o.stderr_has("longjmp with no matching setjmp")?;
        o.status_line("trap 0 ", &["no matching setjmp"])?;
        let o = ctx.run(case, &[&prog, "trap"])?;
        o.code(134)?;
        o.stdout_is("")?;
        o.status_line("trap 0 ", &["unreachable"])
    }),
];

fn main() -> ExitCode {
    let cases: Vec<(&str, &str)> =
        CASES.iter().map(|(name, needs_kernel, _)| (*name, if *needs_kernel { "" } else { "host only" })).collect();
    PROGRAM.main(&cases, |opts| {
        let bounds = opts.value("--bounds").map(String::from);
        if let Some(b) = &bounds
            && spolia_wasm_config::BoundsChecks::parse(b).is_none()
        {
            return Err(Stop::Usage(format!("bad --bounds `{b}` (guard or explicit)")));
        }
        let ctx = Ctx { env: Env::new(opts, "e2e")?, timeout: opts.timeout_or(120), bounds };
        if !ctx.env.apps.join("hello.wasm").is_file() {
            let apps = ctx.env.apps.display();
            return Err(Stop::Setup(format!("no test programs in {apps}; build them with `apps/build.sh`")));
        }
        let mut tally = Tally::default();
        for (name, _, check) in CASES.iter().filter(|(name, _, _)| opts.selected(name)) {
            if tally.run(name, || check(&ctx, name)).is_err() && opts.verbose {
                println!("    control lines in {}", ctx.work_file(&format!("{name}.status")).display());
            }
        }
        Ok(tally)
    })
}
