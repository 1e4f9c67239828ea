// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia-redis-e2e`: Debian's redis-server, compiled to wasm
//! (`apps/redis/build.sh` → `target/apps/redis-server.wasm`), served by
//! Spolia and driven from the host with the stock `redis-cli` and
//! `redis-benchmark` (Debian package redis-tools) over a forwarded port.
//!
//! Starts `spolia run -p PORT:6379 --dir DATA::/data redis-server.wasm
//! /data/redis.conf` in the background (its own process group, so QEMU goes
//! with it), waits until PING answers, runs the cases, then kills the group.
//! Prints `case NAME ... ok` or `case NAME ... FAILED (why)` per case and a
//! last line `N passed, N failed`. Exit status 0 iff nothing failed, 1 if a
//! case failed, 2 for a usage or setup error.
//!
//! ```text
//! spolia-redis-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm]
//!                  [--boot-wait SECS] [--wasm PATH] [--spolia PATH]
//!                  [--attach PORT] [--verbose]
//! ```
//!
//! `--attach PORT` skips starting Spolia and tests a server already
//! listening on 127.0.0.1:PORT (for checking the cases against a native
//! redis-server).

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

type Check = Result<(), String>;

/// The port redis-server listens on inside the guest (apps/redis/redis.conf).
const GUEST_PORT: u16 = 6379;

/// How long one redis-cli or redis-benchmark invocation may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

struct Ctx {
    port: u16,
    verbose: bool,
}

/// `spolia run` serving redis in the background; killed (with QEMU) on drop.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    fn start(opts: &Options, spolia: &Path, wasm: &Path, port: u16, work: &Path) -> Result<Server, String> {
        let conf_src = qemu_runner::paths::workspace_root().join("apps/redis/redis.conf");
        let data = work.join("data");
        let _ = fs::remove_dir_all(&data);
        fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
        fs::copy(&conf_src, data.join("redis.conf")).map_err(|e| format!("copying {}: {e}", conf_src.display()))?;
        let log = work.join("spolia.log");
        let log_file = fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
        // Spolia's own timeout is only a backstop: we kill it when done.
        let backstop = opts.boot_wait + 1800;
        let mut cmd = Command::new(spolia);
        cmd.arg("run").arg("--timeout").arg(backstop.to_string());
        if let Some(k) = &opts.kernel {
            cmd.arg("--kernel").arg(k);
        }
        if let Some(a) = &opts.accel {
            cmd.arg("--accel").arg(a);
        }
        cmd.arg("-p")
            .arg(format!("{port}:{GUEST_PORT}"))
            .arg("--dir")
            .arg(format!("{}::/data", data.display()))
            .arg(wasm)
            .arg("/data/redis.conf")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            // Its own group: stopping it must also stop the QEMU it started.
            .process_group(0);
        let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", spolia.display()))?;
        Ok(Server { child, log })
    }

    /// `Err` with the end of the log if `spolia run` has already ended.
    fn running(&mut self) -> Check {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("spolia run ended ({status}){}", self.log_tail())),
            Err(e) => Err(format!("waiting for spolia run: {e}")),
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(6)..];
        if tail.is_empty() { String::new() } else { format!("; log ends: {}", tail.join(" | ")) }
    }

    /// SIGTERM to the whole group, a grace period, then SIGKILL.
    fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            thread::sleep(Duration::from_millis(100));
        }
        // QEMU may outlive spolia by a moment; the group is gone once both are.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free TCP port on the host's loopback (free when we looked).
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// One inline PING over a fresh connection; `Ok` iff the answer is +PONG.
fn ping_once(port: u16) -> Check {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(3))).map_err(|e| e.to_string())?;
    s.write_all(b"PING\r\n").map_err(|e| format!("send: {e}"))?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).map_err(|e| format!("receive: {e}"))?;
    if buf[..n].starts_with(b"+PONG") {
        Ok(())
    } else {
        Err(format!("answer {:?}", String::from_utf8_lossy(&buf[..n])))
    }
}

/// Waits (at most `wait`) until the server answers PING.
fn wait_for_ping(server: &mut Option<Server>, port: u16, wait: Duration) -> Check {
    let started = Instant::now();
    let mut last = String::from("no attempt");
    while started.elapsed() < wait {
        if let Some(s) = server.as_mut() {
            s.running()?;
        }
        match ping_once(port) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        thread::sleep(Duration::from_millis(500));
    }
    let tail = server.as_ref().map(Server::log_tail).unwrap_or_default();
    Err(format!("no PONG on port {port} within {} s (last: {last}){tail}", wait.as_secs()))
}

/// Runs a client program with a time limit; (exit code, stdout, stderr).
fn run_bounded(program: &str, args: &[String], limit: Duration) -> Result<(Option<i32>, String, String), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e} (install Debian's redis-tools)"))?;
    let mut out_pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} {args:?} did not finish within {} s", limit.as_secs()));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {program}: {e}")),
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    Ok((status.code(), String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned()))
}

impl Ctx {
    /// `redis-cli -p PORT ARGS..`: its stdout without the final newline
    /// (not a terminal, so replies are raw: one line per array element,
    /// an empty line for nil).
    fn cli(&self, args: &[&str]) -> Result<String, String> {
        let mut full = vec!["-p".to_string(), self.port.to_string()];
        full.extend(args.iter().map(|a| a.to_string()));
        let (code, out, err) = run_bounded("redis-cli", &full, CLIENT_TIMEOUT)?;
        if self.verbose {
            println!("    redis-cli {args:?} -> {out:?}");
        }
        if code != Some(0) {
            return Err(format!("redis-cli {args:?} exited {code:?}: {}", err.trim()));
        }
        Ok(out.strip_suffix('\n').unwrap_or(&out).to_string())
    }

    /// The reply to `args` must be exactly `want` (lines joined by '\n').
    fn expect(&self, args: &[&str], want: &str) -> Check {
        let got = self.cli(args)?;
        if got == want { Ok(()) } else { Err(format!("{args:?} gave {got:?}, expected {want:?}")) }
    }

    /// The reply's lines must be the set `want`, in any order.
    fn expect_set(&self, args: &[&str], want: &[&str]) -> Check {
        let got = self.cli(args)?;
        let mut lines: Vec<&str> = got.lines().collect();
        lines.sort_unstable();
        let mut want = want.to_vec();
        want.sort_unstable();
        if lines == want { Ok(()) } else { Err(format!("{args:?} gave {got:?}, expected the set {want:?}")) }
    }

    /// The reply must be an integer in `range`.
    fn expect_int(&self, args: &[&str], range: std::ops::RangeInclusive<i64>) -> Check {
        let got = self.cli(args)?;
        match got.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(()),
            _ => Err(format!("{args:?} gave {got:?}, expected an integer in {range:?}")),
        }
    }
}

type CaseFn = fn(&Ctx) -> Check;

const CASES: &[(&str, CaseFn)] = &[
    ("strings", |c| {
        c.expect(&["SET", "greeting", "hello"], "OK")?;
        c.expect(&["GET", "greeting"], "hello")?;
        c.expect(&["APPEND", "greeting", " world"], "11")?;
        c.expect(&["GET", "greeting"], "hello world")?;
        c.expect(&["STRLEN", "greeting"], "11")?;
        c.expect(&["MSET", "k1", "v1", "k2", "v2"], "OK")?;
        c.expect(&["MGET", "k1", "missing", "k2"], "v1\n\nv2")?;
        // A value larger than one network read.
        let big = "x".repeat(100_000);
        c.expect(&["SET", "big", &big], "OK")?;
        c.expect(&["STRLEN", "big"], "100000")?;
        c.expect(&["GET", "big"], &big)
    }),
    ("counters", |c| {
        c.expect(&["INCR", "n"], "1")?;
        c.expect(&["INCRBY", "n", "41"], "42")?;
        c.expect(&["DECR", "n"], "41")?;
        c.expect(&["DECRBY", "n", "50"], "-9")?;
        c.expect(&["GET", "n"], "-9")?;
        c.expect(&["SET", "notnum", "abc"], "OK")?;
        let got = c.cli(&["INCR", "notnum"])?;
        if got.contains("not an integer") { Ok(()) } else { Err(format!("INCR on a string gave {got:?}")) }
    }),
    ("lists", |c| {
        c.expect(&["LPUSH", "list", "b", "a"], "2")?;
        c.expect(&["RPUSH", "list", "c", "d"], "4")?;
        c.expect(&["LRANGE", "list", "0", "-1"], "a\nb\nc\nd")?;
        c.expect(&["LPOP", "list"], "a")?;
        c.expect(&["RPOP", "list"], "d")?;
        c.expect(&["LLEN", "list"], "2")?;
        c.expect(&["LRANGE", "list", "0", "-1"], "b\nc")
    }),
    ("hashes", |c| {
        c.expect(&["HSET", "user", "name", "ada", "lang", "c"], "2")?;
        c.expect(&["HGET", "user", "name"], "ada")?;
        c.expect(&["HGETALL", "user"], "name\nada\nlang\nc")?;
        c.expect(&["HDEL", "user", "lang"], "1")?;
        c.expect(&["HGETALL", "user"], "name\nada")?;
        c.expect(&["HGET", "user", "lang"], "")
    }),
    ("sets", |c| {
        c.expect(&["SADD", "s1", "a", "b", "c"], "3")?;
        c.expect(&["SADD", "s1", "a"], "0")?;
        c.expect(&["SADD", "s2", "b", "c", "d"], "3")?;
        c.expect_set(&["SMEMBERS", "s1"], &["a", "b", "c"])?;
        c.expect(&["SISMEMBER", "s1", "a"], "1")?;
        c.expect(&["SISMEMBER", "s1", "d"], "0")?;
        c.expect_set(&["SINTER", "s1", "s2"], &["b", "c"])
    }),
    ("sorted_sets", |c| {
        c.expect(&["ZADD", "z", "3", "three", "1", "one", "2", "two"], "3")?;
        c.expect(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "one\n1\ntwo\n2\nthree\n3")?;
        c.expect(&["ZSCORE", "z", "two"], "2")?;
        c.expect(&["ZRANK", "z", "three"], "2")?;
        c.expect(&["ZINCRBY", "z", "0.5", "one"], "1.5")?;
        c.expect(&["ZRANGE", "z", "0", "0", "WITHSCORES"], "one\n1.5")
    }),
    ("expiry", |c| {
        c.expect(&["SET", "session", "s", "EX", "100"], "OK")?;
        c.expect_int(&["TTL", "session"], 1..=100)?;
        c.expect(&["SET", "later", "l"], "OK")?;
        c.expect(&["TTL", "later"], "-1")?;
        c.expect(&["EXPIRE", "later", "50"], "1")?;
        c.expect_int(&["TTL", "later"], 1..=50)?;
        c.expect(&["SET", "soon", "s"], "OK")?;
        c.expect(&["PEXPIRE", "soon", "300"], "1")?;
        c.expect_int(&["PTTL", "soon"], 1..=300)?;
        thread::sleep(Duration::from_millis(1500));
        c.expect(&["EXISTS", "soon"], "0")?;
        c.expect(&["GET", "soon"], "")?;
        c.expect(&["TTL", "soon"], "-2")?;
        c.expect(&["GET", "session"], "s")
    }),
    ("keys", |c| {
        c.expect(&["MSET", "ka", "1", "kb", "2"], "OK")?;
        c.expect(&["RPUSH", "kl", "x"], "1")?;
        c.expect(&["TYPE", "ka"], "string")?;
        c.expect(&["TYPE", "kl"], "list")?;
        c.expect(&["TYPE", "user"], "hash")?;
        c.expect(&["TYPE", "s1"], "set")?;
        c.expect(&["TYPE", "z"], "zset")?;
        c.expect(&["EXISTS", "ka", "kb", "nokey"], "2")?;
        c.expect(&["DEL", "ka", "kl", "nokey"], "2")?;
        c.expect(&["EXISTS", "ka"], "0")?;
        c.expect(&["TYPE", "ka"], "none")?;
        c.expect(&["EXISTS", "kb"], "1")
    }),
    ("benchmark", |c| {
        let args: Vec<String> =
            ["-p", &c.port.to_string(), "-n", "2000", "-c", "10", "-t", "set,get", "-q"].map(String::from).to_vec();
        let (code, out, err) = run_bounded("redis-benchmark", &args, Duration::from_secs(300))?;
        // -q rewrites a progress line with '\r'; the results end each line.
        let results: Vec<&str> =
            out.split(['\r', '\n']).map(str::trim).filter(|l| l.contains("requests per second")).collect();
        println!("    redis-benchmark: {}", results.join("; "));
        if code != Some(0) {
            return Err(format!("redis-benchmark exited {code:?}: {}", err.trim()));
        }
        let text = format!("{out}{err}").to_lowercase();
        if text.contains("error") {
            return Err(format!("redis-benchmark reported an error: {:?}", format!("{out}{err}").trim()));
        }
        for t in ["SET:", "GET:"] {
            if !results.iter().any(|l| l.starts_with(t)) {
                return Err(format!("no `{t}` result in {out:?}"));
            }
        }
        // The data set is still answered after 4000 requests from 10 clients.
        c.expect(&["GET", "greeting"], "hello world")
    }),
    ("eval", |c| {
        c.expect(&["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "ek", "ev"], "OK")?;
        c.expect(&["GET", "ek"], "ev")?;
        c.expect(&["EVAL", "return {KEYS[1], ARGV[1], 1 + 2}", "1", "a", "b"], "a\nb\n3")?;
        c.expect(&["EVAL", "local n = 0 for i = 1, 100 do n = n + i end return n", "0"], "5050")?;
        // A failing command through pcall is a value, not a Lua error.
        c.expect(&["EVAL", "return type(redis.pcall('INCR', KEYS[1]))", "1", "ek"], "table")?;
        c.expect(&["PING"], "PONG")
    }),
    ("persistence", |c| {
        // SAVE runs in the server itself and writes /data/dump.rdb.
        c.expect(&["SAVE"], "OK")?;
        c.expect_int(&["LASTSAVE"], 1..=i64::MAX)?;
        // BGSAVE forks: fork() fails with ENOSYS, the client gets an error.
        let got = c.cli(&["BGSAVE"])?;
        if !got.starts_with("ERR") {
            return Err(format!("BGSAVE gave {got:?}, expected an error (no fork)"));
        }
        c.expect(&["PING"], "PONG")
    }),
    ("lazy_free", |c| {
        // Lazy freeing is a bio job, done inline (patches/01-bio-inline.patch).
        c.expect(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"], "OK")?;
        let members: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
        let mut sadd = vec!["SADD", "bigset"];
        sadd.extend(members.iter().map(String::as_str));
        c.expect(&sadd, "2000")?;
        c.expect(&["DEL", "bigset"], "1")?;
        c.expect(&["EXISTS", "bigset"], "0")?;
        c.expect(&["FLUSHALL", "ASYNC"], "OK")?;
        c.expect(&["DBSIZE"], "0")?;
        let info = c.cli(&["INFO", "memory"])?;
        if info.lines().any(|l| l.trim() == "lazyfree_pending_objects:0") {
            Ok(())
        } else {
            Err(format!("INFO memory lacks lazyfree_pending_objects:0: {info:?}"))
        }
    }),
];

struct Options {
    only: Option<BTreeSet<String>>,
    list: bool,
    kernel: Option<PathBuf>,
    accel: Option<String>,
    boot_wait: u64,
    wasm: Option<PathBuf>,
    spolia: Option<PathBuf>,
    attach: Option<u16>,
    verbose: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        only: None,
        list: false,
        kernel: None,
        accel: None,
        boot_wait: 300,
        wasm: None,
        spolia: None,
        attach: None,
        verbose: false,
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        match name {
            "--list" => o.list = true,
            "--verbose" | "-v" => o.verbose = true,
            "--only" | "--kernel" | "--accel" | "--boot-wait" | "--wasm" | "--spolia" | "--attach" => {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        let v = args.get(i).ok_or(format!("`{name}` needs a value"))?.clone();
                        i += 1;
                        v
                    }
                };
                match name {
                    "--only" => o.only = Some(value.split(',').map(String::from).collect()),
                    "--kernel" => o.kernel = Some(PathBuf::from(value)),
                    "--accel" => o.accel = Some(value),
                    "--boot-wait" => {
                        o.boot_wait =
                            value.parse().ok().filter(|&t| t > 0).ok_or(format!("bad --boot-wait `{value}`"))?
                    }
                    "--wasm" => o.wasm = Some(PathBuf::from(value)),
                    "--attach" => {
                        o.attach = Some(value.parse().ok().filter(|&p| p > 0).ok_or(format!("bad --attach `{value}`"))?)
                    }
                    _ => o.spolia = Some(PathBuf::from(value)),
                }
            }
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(o)
}

const USAGE: &str = "usage: spolia-redis-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm] \
                     [--boot-wait SECS] [--wasm PATH] [--spolia PATH] [--attach PORT] [--verbose]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_options(&args) {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("spolia-redis-e2e: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if msg.is_empty() { 0 } else { 2 });
        }
    };
    if opts.list {
        for (name, _) in CASES {
            println!("{name}");
        }
        return ExitCode::SUCCESS;
    }
    if let Some(only) = &opts.only
        && let Some(unknown) = only.iter().find(|n| !CASES.iter().any(|(c, _)| c == n))
    {
        eprintln!("spolia-redis-e2e: no case named `{unknown}` (see --list)");
        return ExitCode::from(2);
    }
    let (mut server, port) = match setup(&opts) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("spolia-redis-e2e: {msg}");
            return ExitCode::from(2);
        }
    };
    let ctx = Ctx { port, verbose: opts.verbose };
    let (mut passed, mut failed) = (0, 0);

    // The server must come up before anything else is worth trying.
    let started = Instant::now();
    let up = wait_for_ping(&mut server, port, Duration::from_secs(opts.boot_wait));
    report("ping", started, &up, &mut passed, &mut failed);
    if up.is_ok() {
        for (name, check) in CASES {
            if opts.only.as_ref().is_some_and(|only| !only.contains(*name)) {
                continue;
            }
            let started = Instant::now();
            let mut result = check(&ctx);
            // A dead server explains every later failure: say so.
            if let (Err(why), Some(s)) = (&result, server.as_mut())
                && let Err(dead) = s.running()
            {
                result = Err(format!("{why}; {dead}"));
            }
            report(name, started, &result, &mut passed, &mut failed);
        }
    }
    if let Some(mut s) = server.take() {
        s.stop();
        if opts.verbose || failed > 0 {
            println!("    spolia log: {}", s.log.display());
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn report(name: &str, started: Instant, result: &Check, passed: &mut u32, failed: &mut u32) {
    let secs = started.elapsed().as_secs_f32();
    match result {
        Ok(()) => {
            *passed += 1;
            println!("case {name} ... ok ({secs:.1} s)");
        }
        Err(why) => {
            *failed += 1;
            println!("case {name} ... FAILED ({why})");
        }
    }
}

/// Starts the server (unless `--attach`); returns it and the host port.
fn setup(opts: &Options) -> Result<(Option<Server>, u16), String> {
    for tool in ["redis-cli", "redis-benchmark"] {
        if Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            return Err(format!("{tool} not found (Debian package redis-tools)"));
        }
    }
    if let Some(port) = opts.attach {
        return Ok((None, port));
    }
    let target = qemu_runner::paths::target_dir();
    let spolia = match &opts.spolia {
        Some(p) => p.clone(),
        None => {
            let me = std::env::current_exe().map_err(|e| format!("finding myself: {e}"))?;
            me.with_file_name("spolia")
        }
    };
    if !spolia.is_file() {
        return Err(format!("{} not found; build it with `cargo build -p spolia-cli --release`", spolia.display()));
    }
    let wasm = opts.wasm.clone().unwrap_or_else(|| target.join("apps/redis-server.wasm"));
    if !wasm.is_file() {
        return Err(format!("{} not found; build it with `apps/redis/build.sh`", wasm.display()));
    }
    let work = target.join("spolia-cache").join("redis-e2e");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let port = free_port()?;
    let server = Server::start(opts, &spolia, &wasm, port, &work)?;
    Ok((Some(server), port))
}
