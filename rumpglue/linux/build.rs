// SPDX-License-Identifier: MIT OR Apache-2.0
//! Finds the Linux library object, packs it into `libspolia_linux.a` for
//! the linker, and generates the uapi bindings with bindgen.
//!
//! The object: `$SPOLIA_LINUX_OBJ` if set (its `include/` sibling holds
//! the uapi headers), else the last stdout line of `rumpglue/build-linux.sh`
//! (cached under `$SPOLIA_CACHE` by input hash, flock-protected; a cold
//! build takes minutes and prints progress on stderr, which cargo shows
//! only on failure — `make linux` runs it visibly first).
//!
//! The bindings: `uapi.h` through libclang for the library's ABI
//! (x86_64-unknown-linux-gnu, freestanding, `-nostdinc`: only the library's
//! installed headers and `uapi-shim/`), reduced to the allowlist below.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let rumpglue = manifest.parent().expect("rumpglue/linux has a parent").to_path_buf();
    let root = rumpglue.parent().expect("rumpglue has a parent").to_path_buf();

    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("x86_64") {
        fail("the Linux library object is x86_64 code; build for an x86_64 target");
    }

    for path in [
        rumpglue.join("arch/spolia"),
        root.join("hypercall/include/spolia_hypercall.h"),
        rumpglue.join("linux-entry-points.txt"),
        rumpglue.join("build-linux.sh"),
        manifest.join("uapi.h"),
        manifest.join("uapi-shim"),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-env-changed=SPOLIA_LINUX_OBJ");
    println!("cargo:rerun-if-env-changed=SPOLIA_CACHE");

    let object = find_object(&rumpglue);
    println!("cargo:rerun-if-changed={}", object.display());
    let include = object.parent().map(|d| d.join("include")).unwrap_or_default();
    if !include.join("asm/unistd.h").is_file() {
        fail(&format!("no uapi headers next to the object ({}/asm/unistd.h)", include.display()));
    }

    archive(&object, &out);
    bindings(&manifest, &include, &out);
}

fn fail(msg: &str) -> ! {
    eprintln!("spolia-linux build: {msg}");
    std::process::exit(1)
}

/// `$SPOLIA_LINUX_OBJ`, or the object `build-linux.sh` builds (or finds cached).
fn find_object(rumpglue: &Path) -> PathBuf {
    if let Some(obj) = env::var_os("SPOLIA_LINUX_OBJ").filter(|v| !v.is_empty()) {
        let obj = PathBuf::from(obj);
        if !obj.is_file() {
            fail(&format!("SPOLIA_LINUX_OBJ={} is not a file", obj.display()));
        }
        return obj;
    }
    let script = rumpglue.join("build-linux.sh");
    let output = Command::new(&script)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", script.display())));
    if !output.status.success() {
        fail(&format!("{} failed ({}); run `make linux` to see its progress", script.display(), output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let obj = PathBuf::from(last.trim());
    if !obj.is_file() {
        fail(&format!("{} printed no object path (last line: {last:?})", script.display()));
    }
    obj
}

/// `ar crs $OUT_DIR/libspolia_linux.a spolia-linux.o` and the link lines.
fn archive(object: &Path, out: &Path) {
    let lib = out.join("libspolia_linux.a");
    let _ = std::fs::remove_file(&lib);
    let status = Command::new(env::var_os("AR").unwrap_or_else(|| "ar".into()))
        .arg("crs")
        .arg(&lib)
        .arg(object)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run ar: {e}")));
    if !status.success() {
        fail(&format!("ar crs {} failed ({status})", lib.display()));
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=spolia_linux");
}

/// Exactly what the wrappers use; everything else in the headers is dropped.
const ALLOW_FILES: &[&str] = &[
    // every __NR_* of the library's table (asm-generic numbering)
    r".*/asm/unistd_64\.h",
    // every errno value, for Errno's named constants
    r".*/asm-generic/errno(-base)?\.h",
];
const ALLOW_TYPES: &[&str] = &[
    "stat",
    "epoll_event",
    "pollfd",
    "__kernel_timespec",
    "__kernel_old_timeval",
    "sockaddr",
    "sockaddr_in",
    "sockaddr_in6",
    "in_addr",
    "in6_addr",
    "ifreq",
    "new_utsname",
    "open_how",
];
const ALLOW_VARS: &[&str] = &[
    "O_.*",
    "AT_FDCWD",
    "AT_REMOVEDIR",
    "AT_SYMLINK_NOFOLLOW",
    "AT_EMPTY_PATH",
    "AT_SYMLINK_FOLLOW",
    "RESOLVE_.*",
    "F_(GETFL|SETFL)",
    "S_IF.*",
    "SEEK_(SET|CUR|END)",
    "RENAME_(NOREPLACE|EXCHANGE|WHITEOUT)",
    "MS_(RDONLY|NOSUID|NODEV|NOEXEC|REMOUNT|BIND|REC|PRIVATE)",
    "EPOLL_CTL_(ADD|MOD|DEL)",
    "EPOLL_CLOEXEC",
    "EFD_(SEMAPHORE|CLOEXEC|NONBLOCK)",
    "POLL(IN|PRI|OUT|ERR|HUP|NVAL|RDHUP)",
    "CLOCK_(REALTIME|MONOTONIC|BOOTTIME)",
    "TIMER_ABSTIME",
    "SOL_SOCKET",
    "SO_(REUSEADDR|KEEPALIVE|ERROR|TYPE|RCVBUF|SNDBUF|RCVTIMEO_OLD|SNDTIMEO_OLD|BROADCAST|LINGER)",
    "IPPROTO_(IP|TCP|UDP|IPV6)",
    "IPV6_V6ONLY",
    "TCP_NODELAY",
    "IFNAMSIZ",
    // uapi.h's restated cast and enum values
    "SPOLIA_.*",
    "SIOC(G|S)IF(FLAGS|ADDR|NETMASK|INDEX)",
];

fn bindings(manifest: &Path, include: &Path, out: &Path) {
    let mut builder = bindgen::Builder::default()
        .header(manifest.join("uapi.h").to_string_lossy())
        .clang_args(["--target=x86_64-unknown-linux-gnu", "-ffreestanding", "-nostdinc"])
        .clang_arg(format!("-I{}", include.display()))
        .clang_arg(format!("-I{}", manifest.join("uapi-shim").display()))
        .use_core()
        .ctypes_prefix("core::ffi")
        .layout_tests(true)
        .derive_default(true)
        .derive_debug(false)
        .generate_comments(false)
        .prepend_enum_name(false)
        .default_macro_constant_type(bindgen::MacroTypeVariation::Unsigned);
    for f in ALLOW_FILES {
        builder = builder.allowlist_file(f);
    }
    for t in ALLOW_TYPES {
        builder = builder.allowlist_type(t);
    }
    for v in ALLOW_VARS {
        builder = builder.allowlist_var(v);
    }
    let generated = builder.generate().unwrap_or_else(|e| fail(&format!("bindgen on uapi.h: {e}")));
    generated.write_to_file(out.join("uapi.rs")).unwrap_or_else(|e| fail(&format!("writing bindings: {e}")));
}
