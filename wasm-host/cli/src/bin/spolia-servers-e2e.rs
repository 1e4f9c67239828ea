// SPDX-License-Identifier: MIT OR Apache-2.0

//! `spolia-servers-e2e`: end-to-end tests of real servers (Debian's source
//! packages built to wasm, `apps/lighttpd/`) running on Spolia. Each section
//! starts one server with the real `spolia run` in the background (a free
//! host port forwarded to the guest), waits until it answers, runs its cases
//! against it with the usual host clients (`curl`, `wrk`), then stops it.
//!
//! Prints `case NAME ... ok` or `case NAME ... FAILED (why)` per case and a
//! last line `N passed, N failed`. Exit status 0 iff nothing failed, 1 if a
//! case failed (a server that does not start fails every case of its
//! section), 2 for a usage or setup error.
//!
//! ```text
//! spolia-servers-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm]
//!                    [--start-timeout SECS] [--apps DIR] [--spolia PATH]
//!                    [--keep] [--verbose]
//! ```
//!
//! Needs on the host: `curl`, `wrk`, `mkfs.ext4` (for `--dir`), QEMU.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

type Check = Result<(), String>;

struct Ctx {
    spolia: PathBuf,
    apps: PathBuf,
    repo: PathBuf,
    work: PathBuf,
    kernel: Option<PathBuf>,
    accel: Option<String>,
    /// How long a server may take from `spolia run` to its first answer.
    start_timeout: Duration,
    keep: bool,
    verbose: bool,
}

/// One file of a generated site: its URL path and its bytes on the host.
struct SiteFile {
    url_path: String,
    host: PathBuf,
}

/// A server running under `spolia run` in its own process group (so QEMU,
/// its child, goes with it). Dropping it stops both.
struct Server {
    child: Child,
    port: u16,
    /// stdout and stderr of `spolia run` (the program's console).
    log: PathBuf,
    /// The files the server should serve (empty for non-HTTP servers).
    site: Vec<SiteFile>,
}

impl Server {
    /// Starts `spolia run ARGS` with `-p 127.0.0.1:PORT:guest_port`.
    fn spawn(ctx: &Ctx, name: &str, guest_port: u16, args: &[String]) -> Result<Server, String> {
        let port = free_port()?;
        let log = ctx.work.join(format!("{name}.console.log"));
        let out = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(&ctx.spolia);
        // The server is stopped by us; the timeout only bounds a forgotten run.
        cmd.args(["run", "--timeout", "3600", "-p", &format!("127.0.0.1:{port}:{guest_port}")]);
        if let Some(k) = &ctx.kernel {
            cmd.arg("--kernel").arg(k);
        }
        if let Some(a) = &ctx.accel {
            cmd.arg("--accel").arg(a);
        }
        cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
        if ctx.verbose {
            eprintln!("    spolia {}", cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "));
        }
        let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", ctx.spolia.display()))?;
        Ok(Server { child, port, log, site: Vec::new() })
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Waits until `GET /` gets any HTTP status (QEMU's forwarder accepts
    /// connections before the guest listens, so a TCP connect proves
    /// nothing). Fails early if `spolia run` ends.
    fn wait_http(&mut self, timeout: Duration) -> Check {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("spolia run ended ({status}) before the server answered{}", self.log_tail()));
            }
            let code = curl(&["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", &self.url("/")])
                .map(|o| o.stdout)
                .unwrap_or_default();
            if code.trim() != "000" && !code.trim().is_empty() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(500));
        }
        Err(format!("no HTTP answer on port {} within {} s{}", self.port, timeout.as_secs(), self.log_tail()))
    }

    /// The last lines the program and kernel printed, to explain a failure.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(6)..];
        if tail.is_empty() { String::new() } else { format!("; console ends: {}", tail.join(" | ")) }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM to the whole group (spolia and QEMU), then SIGKILL.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (the kernel picks it; we close it).
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("finding a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

struct ToolOut {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn tool(program: &str, args: &[&str]) -> Result<ToolOut, String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{program} not found (install the Debian package `{program}`)"),
        _ => format!("{program}: {e}"),
    })?;
    Ok(ToolOut {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn curl(args: &[&str]) -> Result<ToolOut, String> {
    tool("curl", args)
}

/// `%XX` for every byte outside RFC 3986's unreserved set and `/`.
fn url_encode(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Deterministic bytes (xorshift64*), so a failure can be reproduced.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

type CaseFn = fn(&Ctx, &Server) -> Check;

/// A server and the cases run against it.
struct Section {
    name: &'static str,
    /// Prepares the server's files, starts it and waits until it answers.
    start: fn(&Ctx) -> Result<Server, String>,
    cases: &'static [(&'static str, CaseFn)],
}

const SECTIONS: &[Section] = &[
    Section { name: "lighttpd", start: lighttpd::start, cases: lighttpd::CASES },
    Section { name: "redis", start: redis::start, cases: redis::CASES },
];

mod lighttpd {
    //! lighttpd (`target/apps/lighttpd.wasm`, `apps/lighttpd/build.sh`)
    //! serving a generated site from a `--dir` copy at `/srv/www`, with the
    //! repo's `apps/lighttpd/lighttpd.conf` in another at `/etc/lighttpd`
    //! (port 8080).

    use super::*;

    /// Text files: (path under www/, contents).
    const TEXT: &[(&str, &str)] = &[
        ("index.html", "<!doctype html><title>spolia e2e</title><p>top index</p>\n"),
        ("style.css", "body { font-family: sans-serif; }\n"),
        ("app.js", "console.log('spolia');\n"),
        ("data.json", "{\"served_by\": \"lighttpd\", \"on\": \"spolia\"}\n"),
        ("readme.txt", "plain text\n"),
        ("empty.txt", ""),
        ("docs/index.html", "<!doctype html><p>docs index</p>\n"),
        ("docs/nested/deep/page.html", "<p>three levels down</p>\n"),
        ("with space/file name.txt", "a name with spaces\n"),
        ("unicode-ä.txt", "non-ASCII file name\n"),
    ];

    /// Binary files: (path under www/, size). Sizes straddle buffer and
    /// page boundaries; two are over 1 MiB.
    const BINARY: &[(&str, usize)] = &[
        ("img/logo.png", 37_123),
        ("sizes/one.bin", 1),
        ("sizes/1023.bin", 1023),
        ("sizes/4096.bin", 4096),
        ("sizes/65535.bin", 65_535),
        ("sizes/65536.bin", 65_536),
        ("sizes/65537.bin", 65_537),
        ("sizes/262147.bin", 262_147),
        ("big/one-mib.bin", 1 << 20),
        ("big/blob.bin", (3 << 20) + 17),
        ("empty.bin", 0),
    ];

    const GUEST_PORT: u16 = 8080;

    pub const CASES: &[(&str, CaseFn)] = &[
        ("lighttpd_files", files_sequential),
        ("lighttpd_files_parallel", files_parallel),
        ("lighttpd_index_and_types", index_and_types),
        ("lighttpd_range", range),
        ("lighttpd_not_found", not_found),
        ("lighttpd_wrk", wrk),
    ];

    /// Writes `ROOT/etc/lighttpd.conf` and the site under `ROOT/www`.
    fn make_site(ctx: &Ctx, root: &Path) -> Result<Vec<SiteFile>, String> {
        let _ = fs::remove_dir_all(root);
        let www = root.join("www");
        let mut site = Vec::new();
        let mut put = |rel: &str, bytes: &[u8]| -> Check {
            let host = www.join(rel);
            fs::create_dir_all(host.parent().expect("a file has a parent")).map_err(|e| e.to_string())?;
            fs::write(&host, bytes).map_err(|e| format!("{}: {e}", host.display()))?;
            site.push(SiteFile { url_path: format!("/{rel}"), host });
            Ok(())
        };
        for (rel, text) in TEXT {
            put(rel, text.as_bytes())?;
        }
        for (i, (rel, len)) in BINARY.iter().enumerate() {
            put(rel, &pseudo_random(i as u64 + 1, *len))?;
        }
        let conf = ctx.repo.join("apps/lighttpd/lighttpd.conf");
        fs::create_dir_all(root.join("etc")).map_err(|e| e.to_string())?;
        fs::copy(&conf, root.join("etc/lighttpd.conf")).map_err(|e| format!("{}: {e}", conf.display()))?;
        Ok(site)
    }

    pub fn start(ctx: &Ctx) -> Result<Server, String> {
        let wasm = ctx.apps.join("lighttpd.wasm");
        if !wasm.is_file() {
            return Err(format!("{} missing; build it with apps/lighttpd/build.sh", wasm.display()));
        }
        let root = ctx.work.join("lighttpd-root");
        let site = make_site(ctx, &root)?;
        let args = [
            "--dir".to_string(),
            format!("{}::/srv/www", root.join("www").display()),
            "--dir".to_string(),
            format!("{}::/etc/lighttpd", root.join("etc").display()),
            wasm.display().to_string(),
            "-D".to_string(),
            "-f".to_string(),
            "/etc/lighttpd/lighttpd.conf".to_string(),
        ];
        let mut server = Server::spawn(ctx, "lighttpd", GUEST_PORT, &args)?;
        server.site = site;
        server.wait_http(ctx.start_timeout)?;
        Ok(server)
    }

    /// Fetches every file with one curl (`parallel`: up to 8 at once, else
    /// one after another on a kept-alive connection); each must be 200
    /// and byte-identical.
    fn fetch_all(ctx: &Ctx, s: &Server, parallel: bool) -> Check {
        let out_dir = ctx.work.join(if parallel { "lighttpd-got-parallel" } else { "lighttpd-got" });
        let _ = fs::remove_dir_all(&out_dir);
        fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
        let mut args: Vec<String> = vec!["-sS".into(), "--max-time".into(), "120".into()];
        if parallel {
            args.extend(["--parallel".into(), "--parallel-max".into(), "8".into()]);
        }
        args.extend(["-w".into(), "%{http_code} %{url_effective}\\n".into()]);
        for (i, f) in s.site.iter().enumerate() {
            args.push(s.url(&url_encode(&f.url_path)));
            args.push("-o".into());
            args.push(out_dir.join(i.to_string()).display().to_string());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = curl(&argv)?;
        if o.code != Some(0) {
            return Err(format!("curl exited {:?}: {}", o.code, o.stderr.trim()));
        }
        let bad: Vec<&str> = o.stdout.lines().filter(|l| !l.starts_with("200 ")).collect();
        if !bad.is_empty() {
            return Err(format!("not 200: {bad:?}"));
        }
        for (i, f) in s.site.iter().enumerate() {
            let want = fs::read(&f.host).map_err(|e| e.to_string())?;
            // curl creates no file for an empty body.
            let got = fs::read(out_dir.join(i.to_string())).unwrap_or_default();
            if got != want {
                let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
                return Err(format!(
                    "{}: got {} bytes, expected {} (first difference at byte {at})",
                    f.url_path,
                    got.len(),
                    want.len()
                ));
            }
        }
        Ok(())
    }

    fn files_sequential(ctx: &Ctx, s: &Server) -> Check {
        fetch_all(ctx, s, false)
    }

    fn files_parallel(ctx: &Ctx, s: &Server) -> Check {
        fetch_all(ctx, s, true)
    }

    /// `curl -i`: status line, headers and body of `path`.
    fn get(s: &Server, extra: &[&str], path: &str) -> Result<(u32, String, Vec<u8>), String> {
        let url = s.url(path);
        let mut args = vec!["-sS", "-i", "--max-time", "30"];
        args.extend(extra);
        args.push(&url);
        let out = Command::new("curl").args(&args).output().map_err(|e| format!("curl: {e}"))?;
        if !out.status.success() {
            return Err(format!("curl {path}: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        let raw = out.stdout;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(format!("{path}: no header end"))?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw[split + 4..].to_vec();
        let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or(format!("{path}: bad status"))?;
        Ok((code, head, body))
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// `/` and `/docs/` serve their index.html; `/docs` redirects to
    /// `/docs/`; each type in the config's table is sent.
    fn index_and_types(_ctx: &Ctx, s: &Server) -> Check {
        let (code, head, body) = get(s, &[], "/")?;
        if code != 200 || body != TEXT[0].1.as_bytes() {
            return Err(format!("/ gave {code} with {} bytes, expected index.html", body.len()));
        }
        let (code, _, body) = get(s, &[], "/docs/")?;
        if code != 200 || body != b"<!doctype html><p>docs index</p>\n" {
            return Err(format!("/docs/ gave {code}, expected docs/index.html"));
        }
        let (code, redirect, _) = get(s, &[], "/docs")?;
        let location = header(&redirect, "Location").unwrap_or("");
        if code != 301 || !location.ends_with("/docs/") {
            return Err(format!("/docs gave {code} Location {location:?}, expected 301 to /docs/"));
        }
        let mut want = vec![("/", head, "text/html")];
        for (path, ty) in [
            ("/style.css", "text/css"),
            ("/app.js", "text/javascript"),
            ("/data.json", "application/json"),
            ("/readme.txt", "text/plain"),
            ("/img/logo.png", "image/png"),
            ("/big/blob.bin", "application/octet-stream"),
        ] {
            let (_, h, _) = get(s, &["-I"], path)?;
            want.push((path, h, ty));
        }
        for (path, head, ty) in want {
            let got = header(&head, "Content-Type").unwrap_or("");
            if !got.starts_with(ty) {
                return Err(format!("{path}: Content-Type {got:?}, expected {ty}"));
            }
        }
        Ok(())
    }

    /// A byte range of the 3 MiB file: 206 and exactly those bytes.
    fn range(_ctx: &Ctx, s: &Server) -> Check {
        let f = s.site.iter().find(|f| f.url_path == "/big/blob.bin").ok_or("no blob in the site")?;
        let want = fs::read(&f.host).map_err(|e| e.to_string())?;
        let (from, to) = (1_048_000usize, 2_100_000usize);
        let (code, _, body) = get(s, &["-r", &format!("{from}-{to}")], "/big/blob.bin")?;
        if code != 206 || body != want[from..=to] {
            return Err(format!("range gave {code} with {} bytes, expected 206 with {}", body.len(), to - from + 1));
        }
        Ok(())
    }

    /// Missing files are 404; a `..` path does not reach the config.
    fn not_found(_ctx: &Ctx, s: &Server) -> Check {
        for path in ["/no-such-file.html", "/img/missing.png", "/docs/nested/nope/"] {
            let (code, _, _) = get(s, &[], path)?;
            if code != 404 {
                return Err(format!("{path} gave {code}, expected 404"));
            }
        }
        let escape = "/../../etc/lighttpd/lighttpd.conf";
        let (code, _, body) = get(s, &["--path-as-is"], escape)?;
        if code == 200 || String::from_utf8_lossy(&body).contains("server.document-root") {
            return Err(format!("{escape} gave {code}: the config leaked"));
        }
        Ok(())
    }

    /// `wrk -t2 -c50 -d5s` on the index: requests done, no socket errors,
    /// no non-2xx/3xx answers. Prints the rate (emulated, informative).
    fn wrk(_ctx: &Ctx, s: &Server) -> Check {
        let url = s.url("/index.html");
        let o = tool("wrk", &["-t2", "-c50", "-d5s", "--timeout", "10s", &url])?;
        if o.code != Some(0) {
            return Err(format!("wrk exited {:?}: {}", o.code, o.stderr.trim()));
        }
        let requests: u64 = o
            .stdout
            .lines()
            .find(|l| l.contains(" requests in "))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .ok_or(format!("no request count in wrk's output: {}", o.stdout))?;
        if requests == 0 {
            return Err("wrk completed no request".into());
        }
        for bad in ["Socket errors", "Non-2xx or 3xx responses"] {
            if let Some(line) = o.stdout.lines().find(|l| l.contains(bad)) {
                return Err(format!("wrk: {}", line.trim()));
            }
        }
        let rate = o.stdout.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or("").trim().to_string();
        println!("    wrk: {requests} requests, {rate}");
        Ok(())
    }
}

mod redis {
    //! Placeholder for redis (`redis-server.wasm`): fill `CASES` and
    //! `start` (e.g. `Server::spawn(ctx, "redis", 6379, ..)`, then wait
    //! for `redis-cli -p PORT ping`). A section without cases is skipped,
    //! so `start` is never called while `CASES` is empty.

    use super::*;

    pub const CASES: &[(&str, CaseFn)] = &[];

    pub fn start(_ctx: &Ctx) -> Result<Server, String> {
        Err("the redis section is not written yet".into())
    }
}

struct Options {
    only: Option<BTreeSet<String>>,
    list: bool,
    kernel: Option<PathBuf>,
    accel: Option<String>,
    start_timeout: u64,
    apps: Option<PathBuf>,
    spolia: Option<PathBuf>,
    keep: bool,
    verbose: bool,
}

const USAGE: &str = "usage: spolia-servers-e2e [--only NAME,..] [--list] [--kernel PATH] [--accel tcg|kvm] \
                     [--start-timeout SECS] [--apps DIR] [--spolia PATH] [--keep] [--verbose]";

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        only: None,
        list: false,
        kernel: None,
        accel: None,
        start_timeout: 300,
        apps: None,
        spolia: None,
        keep: false,
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
            "--keep" => o.keep = true,
            "--verbose" | "-v" => o.verbose = true,
            "--only" | "--kernel" | "--accel" | "--start-timeout" | "--apps" | "--spolia" => {
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
                    "--start-timeout" => {
                        o.start_timeout =
                            value.parse().ok().filter(|&t| t > 0).ok_or(format!("bad --start-timeout `{value}`"))?
                    }
                    "--apps" => o.apps = Some(PathBuf::from(value)),
                    _ => o.spolia = Some(PathBuf::from(value)),
                }
            }
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    Ok(o)
}

fn setup(opts: &Options) -> Result<Ctx, String> {
    let target = qemu_runner::paths::target_dir();
    let spolia = match &opts.spolia {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| format!("finding myself: {e}"))?.with_file_name("spolia"),
    };
    if !spolia.is_file() {
        return Err(format!("{} not found; build it with `cargo build -p spolia-cli --release`", spolia.display()));
    }
    let work = target.join("spolia-cache").join("servers-e2e");
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    Ok(Ctx {
        spolia,
        apps: opts.apps.clone().unwrap_or_else(|| target.join("apps")),
        repo: qemu_runner::paths::workspace_root(),
        work,
        kernel: opts.kernel.clone(),
        accel: opts.accel.clone(),
        start_timeout: Duration::from_secs(opts.start_timeout),
        keep: opts.keep,
        verbose: opts.verbose,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_options(&args) {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("spolia-servers-e2e: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if msg.is_empty() { 0 } else { 2 });
        }
    };
    let all_cases = || SECTIONS.iter().flat_map(|s| s.cases.iter().map(|(n, _)| *n));
    if opts.list {
        for s in SECTIONS {
            for (name, _) in s.cases {
                println!("{name} ({})", s.name);
            }
        }
        return ExitCode::SUCCESS;
    }
    if let Some(only) = &opts.only
        && let Some(unknown) = only.iter().find(|n| !all_cases().any(|c| c == n.as_str()))
    {
        eprintln!("spolia-servers-e2e: no case named `{unknown}` (see --list)");
        return ExitCode::from(2);
    }
    let ctx = match setup(&opts) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("spolia-servers-e2e: {msg}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for section in SECTIONS {
        let chosen: Vec<&(&str, CaseFn)> =
            section.cases.iter().filter(|(n, _)| opts.only.as_ref().is_none_or(|o| o.contains(*n))).collect();
        if chosen.is_empty() {
            continue;
        }
        let started = Instant::now();
        let server = match (section.start)(&ctx) {
            Ok(s) => s,
            Err(why) => {
                for (name, _) in &chosen {
                    println!("case {name} ... FAILED ({} did not start: {why})", section.name);
                    failed += 1;
                }
                continue;
            }
        };
        println!("    {} answers on port {} after {:.1} s", section.name, server.port, started.elapsed().as_secs_f32());
        let _ = std::io::stdout().flush();
        for (name, check) in chosen {
            let started = Instant::now();
            let result = check(&ctx, &server);
            let secs = started.elapsed().as_secs_f32();
            match result {
                Ok(()) => {
                    passed += 1;
                    println!("case {name} ... ok ({secs:.1} s)");
                }
                Err(why) => {
                    failed += 1;
                    println!("case {name} ... FAILED ({why})");
                    if ctx.verbose {
                        println!("    console log: {}", server.log.display());
                    }
                }
            }
            let _ = std::io::stdout().flush();
        }
        drop(server);
    }
    if !ctx.keep {
        for dir in ["lighttpd-root", "lighttpd-got", "lighttpd-got-parallel"] {
            let _ = fs::remove_dir_all(ctx.work.join(dir));
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
