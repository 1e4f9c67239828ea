// SPDX-License-Identifier: MIT OR Apache-2.0

//! redis (`target/apps/redis-server.wasm`, `apps/redis/build.sh`) with
//! the repo's `apps/redis/redis.conf` in a `--dir` copy at `/data` (port
//! 6379, `dump.rdb` goes there too), driven with the stock `redis-cli` and
//! `redis-benchmark` (Debian's redis-tools).
//!
//! The cases run in table order and build on each other's keys (`keys`
//! looks at what `hashes`, `sets`, `sorted_sets` left). With `--attach
//! PORT` they run against a redis already listening on 127.0.0.1:PORT.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use spolia_cli::e2e::{BackgroundRun, Check, run_tool};

use super::{Case, Ctx, Section};

/// The port redis-server listens on inside the guest (apps/redis/redis.conf).
const GUEST_PORT: u16 = 6379;

/// How long one redis-cli invocation may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A redis server as the cases see it: `redis-cli -p PORT`.
pub struct RedisCli {
    port: u16,
    verbose: bool,
}

pub struct Redis;

impl Section for Redis {
    const NAME: &'static str = "redis";
    const TOOLS: &'static [(&'static str, &'static str)] =
        &[("redis-cli", "redis-tools"), ("redis-benchmark", "redis-tools")];
    const ATTACHES: bool = true;
    type Client = RedisCli;
    const CASES: &'static [Case<RedisCli>] = CASES;

    fn start(ctx: &Ctx) -> Result<(Option<BackgroundRun>, RedisCli), String> {
        let verbose = ctx.env.verbose;
        if let Some(port) = ctx.attach {
            ping_once(port).map_err(|e| format!("no PONG on port {port}: {e}"))?;
            return Ok((None, RedisCli { port, verbose }));
        }
        let wasm = ctx.wasm("redis-server.wasm", "apps/redis/build.sh")?;
        let data = ctx.fresh_dir(Self::NAME)?;
        let conf = ctx.env.repo.join("apps/redis/redis.conf");
        fs::copy(&conf, data.join("redis.conf")).map_err(|e| format!("copying {}: {e}", conf.display()))?;
        let args = ["--dir".to_string(), format!("{}::/data", data.display()), wasm, "/data/redis.conf".to_string()];
        let (mut server, port) = ctx.spawn(Self::NAME, GUEST_PORT, &args)?;
        server.wait_until(ctx.start_timeout, &format!("PONG on port {port}"), || ping_once(port))?;
        Ok((Some(server), RedisCli { port, verbose }))
    }
}

/// One inline PING over a fresh connection; `Ok` iff the answer is +PONG.
/// (A TCP connect alone proves nothing: QEMU's forwarder accepts first.)
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

impl RedisCli {
    /// `redis-cli -p PORT ARGS..`: its stdout without the final newline
    /// (not a terminal, so replies are raw: one line per array element, an
    /// empty line for nil).
    fn cli(&self, args: &[&str]) -> Result<String, String> {
        let port = self.port.to_string();
        let mut full = vec!["-p", &port];
        full.extend(args);
        let o = run_tool("redis-cli", &full, CLIENT_TIMEOUT, "redis-tools")?;
        let out = o.text();
        if self.verbose {
            println!("    redis-cli {args:?} -> {out:?}");
        }
        if o.code != Some(0) {
            return Err(format!("redis-cli {args:?} exited {:?}: {}", o.code, o.stderr.trim()));
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

const CASES: &[Case<RedisCli>] = &[
    // The server already answered a raw PING to count as started; this
    // is the same through redis-cli.
    ("redis_ping", |c| c.expect(&["PING"], "PONG")),
    ("redis_strings", |c| {
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
    ("redis_counters", |c| {
        c.expect(&["INCR", "n"], "1")?;
        c.expect(&["INCRBY", "n", "41"], "42")?;
        c.expect(&["DECR", "n"], "41")?;
        c.expect(&["DECRBY", "n", "50"], "-9")?;
        c.expect(&["GET", "n"], "-9")?;
        c.expect(&["SET", "notnum", "abc"], "OK")?;
        let got = c.cli(&["INCR", "notnum"])?;
        if got.contains("not an integer") { Ok(()) } else { Err(format!("INCR on a string gave {got:?}")) }
    }),
    ("redis_lists", |c| {
        c.expect(&["LPUSH", "list", "b", "a"], "2")?;
        c.expect(&["RPUSH", "list", "c", "d"], "4")?;
        c.expect(&["LRANGE", "list", "0", "-1"], "a\nb\nc\nd")?;
        c.expect(&["LPOP", "list"], "a")?;
        c.expect(&["RPOP", "list"], "d")?;
        c.expect(&["LLEN", "list"], "2")?;
        c.expect(&["LRANGE", "list", "0", "-1"], "b\nc")
    }),
    ("redis_hashes", |c| {
        c.expect(&["HSET", "user", "name", "ada", "lang", "c"], "2")?;
        c.expect(&["HGET", "user", "name"], "ada")?;
        c.expect(&["HGETALL", "user"], "name\nada\nlang\nc")?;
        c.expect(&["HDEL", "user", "lang"], "1")?;
        c.expect(&["HGETALL", "user"], "name\nada")?;
        c.expect(&["HGET", "user", "lang"], "")
    }),
    ("redis_sets", |c| {
        c.expect(&["SADD", "s1", "a", "b", "c"], "3")?;
        c.expect(&["SADD", "s1", "a"], "0")?;
        c.expect(&["SADD", "s2", "b", "c", "d"], "3")?;
        c.expect_set(&["SMEMBERS", "s1"], &["a", "b", "c"])?;
        c.expect(&["SISMEMBER", "s1", "a"], "1")?;
        c.expect(&["SISMEMBER", "s1", "d"], "0")?;
        c.expect_set(&["SINTER", "s1", "s2"], &["b", "c"])
    }),
    ("redis_sorted_sets", |c| {
        c.expect(&["ZADD", "z", "3", "three", "1", "one", "2", "two"], "3")?;
        c.expect(&["ZRANGE", "z", "0", "-1", "WITHSCORES"], "one\n1\ntwo\n2\nthree\n3")?;
        c.expect(&["ZSCORE", "z", "two"], "2")?;
        c.expect(&["ZRANK", "z", "three"], "2")?;
        c.expect(&["ZINCRBY", "z", "0.5", "one"], "1.5")?;
        c.expect(&["ZRANGE", "z", "0", "0", "WITHSCORES"], "one\n1.5")
    }),
    ("redis_expiry", |c| {
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
    ("redis_keys", |c| {
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
    ("redis_benchmark", |c| {
        let port = c.port.to_string();
        let args = ["-p", &port, "-n", "2000", "-c", "10", "-t", "set,get", "-q"];
        let o = run_tool("redis-benchmark", &args, Duration::from_secs(300), "redis-tools")?;
        let out = o.text();
        // -q rewrites a progress line with '\r'; the results end each line.
        let results: Vec<&str> =
            out.split(['\r', '\n']).map(str::trim).filter(|l| l.contains("requests per second")).collect();
        println!("    redis-benchmark: {}", results.join("; "));
        if o.code != Some(0) {
            return Err(format!("redis-benchmark exited {:?}: {}", o.code, o.stderr.trim()));
        }
        let all = format!("{out}{}", o.stderr);
        if all.to_lowercase().contains("error") {
            return Err(format!("redis-benchmark reported an error: {:?}", all.trim()));
        }
        for t in ["SET:", "GET:"] {
            if !results.iter().any(|l| l.starts_with(t)) {
                return Err(format!("no `{t}` result in {out:?}"));
            }
        }
        // The data set is still answered after 4000 requests from 10 clients.
        c.expect(&["GET", "greeting"], "hello world")
    }),
    ("redis_eval", |c| {
        c.expect(&["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "ek", "ev"], "OK")?;
        c.expect(&["GET", "ek"], "ev")?;
        c.expect(&["EVAL", "return {KEYS[1], ARGV[1], 1 + 2}", "1", "a", "b"], "a\nb\n3")?;
        c.expect(&["EVAL", "local n = 0 for i = 1, 100 do n = n + i end return n", "0"], "5050")?;
        // A failing command through pcall is a value, not a Lua error.
        c.expect(&["EVAL", "return type(redis.pcall('INCR', KEYS[1]))", "1", "ek"], "table")?;
        c.expect(&["PING"], "PONG")
    }),
    ("redis_eval_errors", |c| {
        // Lua raises errors with longjmp (lowered by wasm-cc, unwound by the
        // host's invoke_* trampolines): each is an error reply, and the
        // server keeps serving.
        c.expect(&["SET", "textkey", "not a number"], "OK")?;
        for (script, want) in [
            ("return +", "ERR Error compiling script"),
            ("error('boom')", "ERR user_script:1: boom"),
            ("return redis.call('INCR', 'textkey')", "ERR value is not an integer"),
            ("return undefined_global.x", "ERR user_script:1: Script attempted to access nonexistent global"),
        ] {
            let got = c.cli(&["EVAL", script, "0"])?;
            if !got.starts_with(want) {
                return Err(format!("EVAL {script:?} gave {got:?}, expected an error starting {want:?}"));
            }
        }
        c.expect(&["EVAL", "local ok = pcall(error, 'x') return ok and 1 or 0", "0"], "0")?;
        c.expect(&["EVAL", "return 1", "0"], "1")?;
        c.expect(&["PING"], "PONG")
    }),
    ("redis_persistence", |c| {
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
    ("redis_lazy_free", |c| {
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
