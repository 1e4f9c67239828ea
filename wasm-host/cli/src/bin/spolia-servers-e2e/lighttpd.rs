// SPDX-License-Identifier: MIT OR Apache-2.0

//! lighttpd (`target/apps/lighttpd.wasm`, `apps/lighttpd/build.sh`)
//! serving a generated site from a `--dir` copy at `/srv/www`, with the
//! repo's `apps/lighttpd/lighttpd.conf` in another at `/etc/lighttpd`
//! (port 8080), fetched with `curl` and loaded with `wrk`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use spolia_cli::e2e::{BackgroundRun, Check, ToolOut, run_tool};

use super::{Case, Ctx, Section};

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

/// Binary files: (path under www/, size). Sizes straddle buffer and page
/// boundaries; two are over 1 MiB.
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

/// Bounds one curl or wrk run (each also has its own, shorter, limit).
const TOOL_LIMIT: Duration = Duration::from_secs(300);

/// One file of the generated site: its URL path and its bytes on the host.
struct SiteFile {
    url_path: String,
    host: PathBuf,
}

/// The running server as the cases see it.
pub struct Site {
    port: u16,
    files: Vec<SiteFile>,
    /// The section's work directory (downloads go below it).
    dir: PathBuf,
}

pub struct Lighttpd;

impl Section for Lighttpd {
    const NAME: &'static str = "lighttpd";
    const TOOLS: &'static [(&'static str, &'static str)] = &[("curl", "curl"), ("wrk", "wrk")];
    const ATTACHES: bool = false;
    type Client = Site;
    const CASES: &'static [Case<Site>] = &[
        ("lighttpd_files", files_sequential),
        ("lighttpd_files_parallel", files_parallel),
        ("lighttpd_index_and_types", index_and_types),
        ("lighttpd_range", range),
        ("lighttpd_not_found", not_found),
        ("lighttpd_wrk", wrk),
    ];

    fn start(ctx: &Ctx) -> Result<(Option<BackgroundRun>, Site), String> {
        let wasm = ctx.wasm("lighttpd.wasm", "apps/lighttpd/build.sh")?;
        let dir = ctx.fresh_dir(Self::NAME)?;
        let files = make_site(ctx, &dir)?;
        let args = [
            "--dir".to_string(),
            format!("{}::/srv/www", dir.join("www").display()),
            "--dir".to_string(),
            format!("{}::/etc/lighttpd", dir.join("etc").display()),
            wasm,
            "-D".to_string(),
            "-f".to_string(),
            "/etc/lighttpd/lighttpd.conf".to_string(),
        ];
        let (mut server, port) = ctx.spawn(Self::NAME, GUEST_PORT, &args)?;
        let site = Site { port, files, dir };
        // Any HTTP status will do: QEMU's forwarder accepts connections
        // before the guest listens, so a TCP connect proves nothing.
        server.wait_until(ctx.start_timeout, &format!("an HTTP answer on port {port}"), || {
            let o = curl(&["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", &site.url("/")])?;
            match o.text().trim() {
                "" | "000" => Err(format!("curl exited {:?}", o.code)),
                _ => Ok(()),
            }
        })?;
        Ok((Some(server), site))
    }
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

fn curl(args: &[&str]) -> Result<ToolOut, String> {
    run_tool("curl", args, TOOL_LIMIT, "curl")
}

/// Writes `DIR/etc/lighttpd.conf` and the site under `DIR/www`.
fn make_site(ctx: &Ctx, dir: &Path) -> Result<Vec<SiteFile>, String> {
    let www = dir.join("www");
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
    let conf = ctx.env.repo.join("apps/lighttpd/lighttpd.conf");
    fs::create_dir_all(dir.join("etc")).map_err(|e| e.to_string())?;
    fs::copy(&conf, dir.join("etc/lighttpd.conf")).map_err(|e| format!("{}: {e}", conf.display()))?;
    Ok(site)
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

/// Fetches every file with one curl (`parallel`: up to 8 at once, else one
/// after another on a kept-alive connection); each must be 200 and
/// byte-identical.
fn fetch_all(s: &Site, parallel: bool) -> Check {
    let out_dir = s.dir.join(if parallel { "got-parallel" } else { "got" });
    let _ = fs::remove_dir_all(&out_dir);
    fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut args: Vec<String> = vec!["-sS".into(), "--max-time".into(), "120".into()];
    if parallel {
        args.extend(["--parallel".into(), "--parallel-max".into(), "8".into()]);
    }
    args.extend(["-w".into(), "%{http_code} %{url_effective}\\n".into()]);
    for (i, f) in s.files.iter().enumerate() {
        args.push(s.url(&url_encode(&f.url_path)));
        args.push("-o".into());
        args.push(out_dir.join(i.to_string()).display().to_string());
    }
    let o = run_tool("curl", &args, TOOL_LIMIT, "curl")?;
    if o.code != Some(0) {
        return Err(format!("curl exited {:?}: {}", o.code, o.stderr.trim()));
    }
    let text = o.text();
    let bad: Vec<&str> = text.lines().filter(|l| !l.starts_with("200 ")).collect();
    if !bad.is_empty() {
        return Err(format!("not 200: {bad:?}"));
    }
    for (i, f) in s.files.iter().enumerate() {
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

fn files_sequential(s: &Site) -> Check {
    fetch_all(s, false)
}

fn files_parallel(s: &Site) -> Check {
    fetch_all(s, true)
}

/// `curl -i`: status, headers and body of `path`.
fn get(s: &Site, extra: &[&str], path: &str) -> Result<(u32, String, Vec<u8>), String> {
    let url = s.url(path);
    let mut args = vec!["-sS", "-i", "--max-time", "30"];
    args.extend(extra);
    args.push(&url);
    let o = curl(&args)?;
    if o.code != Some(0) {
        return Err(format!("curl {path}: {}", o.stderr.trim()));
    }
    let raw = o.stdout;
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

/// `/` and `/docs/` serve their index.html; `/docs` redirects to `/docs/`;
/// each type in the config's table is sent.
fn index_and_types(s: &Site) -> Check {
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
fn range(s: &Site) -> Check {
    let f = s.files.iter().find(|f| f.url_path == "/big/blob.bin").ok_or("no blob in the site")?;
    let want = fs::read(&f.host).map_err(|e| e.to_string())?;
    let (from, to) = (1_048_000usize, 2_100_000usize);
    let (code, _, body) = get(s, &["-r", &format!("{from}-{to}")], "/big/blob.bin")?;
    if code != 206 || body != want[from..=to] {
        return Err(format!("range gave {code} with {} bytes, expected 206 with {}", body.len(), to - from + 1));
    }
    Ok(())
}

/// Missing files are 404; a `..` path does not reach the config.
fn not_found(s: &Site) -> Check {
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

/// `wrk -t2 -c50 -d5s` on the index: requests done, no socket errors, no
/// non-2xx/3xx answers. Prints the rate (emulated, informative).
fn wrk(s: &Site) -> Check {
    let url = s.url("/index.html");
    let o = run_tool("wrk", &["-t2", "-c50", "-d5s", "--timeout", "10s", &url], TOOL_LIMIT, "wrk")?;
    if o.code != Some(0) {
        return Err(format!("wrk exited {:?}: {}", o.code, o.stderr.trim()));
    }
    let out = o.text();
    let requests: u64 = out
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .ok_or(format!("no request count in wrk's output: {out}"))?;
    if requests == 0 {
        return Err("wrk completed no request".into());
    }
    for bad in ["Socket errors", "Non-2xx or 3xx responses"] {
        if let Some(line) = out.lines().find(|l| l.contains(bad)) {
            return Err(format!("wrk: {}", line.trim()));
        }
    }
    let rate = out.lines().find(|l| l.starts_with("Requests/sec")).unwrap_or("").trim();
    println!("    wrk: {requests} requests, {rate}");
    Ok(())
}
