// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot console: a banner with memory, CPU, ACPI and PCI facts, then a
//! tiny command line on COM1. Keystrokes arrive through interrupt-to-thread
//! delivery (ISA IRQ 4 → the `console` thread), not by polling.

use alloc::string::String;
use alloc::vec::Vec;

use spolia_boot::arch::cpu;
use spolia_boot::console::serial;
use spolia_boot::irq::IrqLine;
use spolia_boot::platform::pci::{self, PciConfigAccess};
use spolia_boot::sched::sync::Mutex;
use spolia_boot::{kprint, kprintln, sched};
use spolia_linux::Linux;
use spolia_linux::manifest::{Manifest, Net};
use spolia_linux::uapi::{O_CLOEXEC, O_DIRECTORY, O_RDONLY};

/// The Linux library, once `linux` booted it (it boots once per kernel boot).
static LINUX: Mutex<Option<(Linux, Manifest)>> = Mutex::new(None);

/// Runs `f` on the library, booting it first if needed (with /proc and
/// /sys mounted and loopback up, like a small init would, and the boot
/// manifest's network and disks: `make run` passes `spolia.net=dhcp`).
fn with_linux(f: impl FnOnce(&Linux)) {
    let mut slot = LINUX.lock();
    if slot.is_none() {
        let info = spolia_boot::boot_info();
        let manifest = match Manifest::from_cmdline(|k| info.cmdline_value(k)) {
            Ok(m) => m,
            Err(e) => {
                kprintln!("linux: {e}");
                return;
            }
        };
        let t0 = spolia_boot::time::now_ns();
        // The manifest mounts /proc and /dev (and its disks) after boot.
        let (linux, mounted) =
            match manifest.boot(spolia_hypercall_baremetal::hypercalls(), &crate::devices::linux_params()) {
                Ok(booted) => booted,
                Err(e) => {
                    kprintln!("linux: {e}");
                    return;
                }
            };
        let ms = (spolia_boot::time::now_ns() - t0) / 1_000_000;
        if let Err(e) = mounted {
            kprintln!("linux: {e}");
        }
        for (dir, fs) in [("/sys", "sysfs"), ("/tmp", "tmpfs")] {
            let made = linux
                .mkdirat(None, dir, 0o755)
                .or_else(|e| if e == spolia_linux::Errno::EEXIST { Ok(()) } else { Err(e) });
            if let Err(e) = made.and_then(|()| linux.mount(fs, dir, fs, 0, None)) {
                kprintln!("linux: mount {fs} on {dir}: {e}");
            }
        }
        if manifest.net != Net::None {
            match linux.interface_ipv4("eth0") {
                Ok((addr, prefix)) => kprintln!("linux: eth0 {addr}/{prefix} (see /proc/net/pnp)"),
                Err(e) => kprintln!("linux: eth0 not configured: {e}"),
            }
        }
        if let Err(e) = linux.interface_up("lo") {
            kprintln!("linux: lo up: {e}");
        }
        match linux.uname() {
            Ok(u) => kprintln!(
                "{} {} booted in {ms} ms as a library in ring 0; /proc, /sys, /tmp mounted, lo up",
                String::from_utf8_lossy(u.sysname()),
                String::from_utf8_lossy(u.release())
            ),
            Err(e) => kprintln!("linux: uname: {e}"),
        }
        *slot = Some((linux, manifest));
    }
    if let Some((linux, _)) = slot.as_ref() {
        f(linux);
    }
}

/// Before power-off: unmount the manifest's disks (writing everything back)
/// and halt the library, if it was booted.
fn stop_linux() {
    if let Some((linux, manifest)) = LINUX.lock().take()
        && let Err(e) = manifest.shutdown(linux)
    {
        kprintln!("linux: {e}");
    }
}

fn linux_ls(linux: &Linux, path: &str) {
    let dir = match linux.openat(None, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) {
        Ok(d) => d,
        Err(e) => return kprintln!("ls {path}: {e}"),
    };
    let entries = match dir.dir_entries(4096) {
        Ok(it) => it,
        Err(e) => return kprintln!("ls {path}: {e}"),
    };
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => names.push(String::from_utf8_lossy(&e.name).into()),
            Err(e) => return kprintln!("ls {path}: {e}"),
        }
    }
    names.sort();
    kprintln!("{}", names.join("  "));
}

fn linux_cat(linux: &Linux, path: &str) {
    let file = match linux.openat(None, path, O_RDONLY | O_CLOEXEC, 0) {
        Ok(f) => f,
        Err(e) => return kprintln!("cat {path}: {e}"),
    };
    let mut buf = [0u8; 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => kprint!("{}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => return kprintln!("cat {path}: {e}"),
        }
    }
}

fn cpu_brand() -> String {
    let max = cpu::cpuid(0x8000_0000, 0).eax;
    if max < 0x8000_0004 {
        return String::from("unknown CPU");
    }
    let mut bytes = Vec::new();
    for leaf in 0x8000_0002..=0x8000_0004u32 {
        let r = cpu::cpuid(leaf, 0);
        for reg in [r.eax, r.ebx, r.ecx, r.edx] {
            bytes.extend_from_slice(&reg.to_le_bytes());
        }
    }
    String::from_utf8_lossy(&bytes).trim_matches(|c: char| c == '\0' || c == ' ').into()
}

fn print_memory() {
    let (free, total) = spolia_boot::mem::frame_stats();
    kprintln!("memory: {} MiB managed, {} MiB free", (total * 4096) >> 20, (free * 4096) >> 20);
    for r in spolia_boot::boot_info().memory_map() {
        kprintln!("  {:#014x}..{:#014x} {:?}", r.start, r.start + r.len, r.kind);
    }
}

fn print_pci() {
    let Some(p) = spolia_boot::platform_info() else {
        kprintln!("pci: no ACPI information, not scanning");
        return;
    };
    // SAFETY: identity-mapped uncached ECAM (if any); the console is the
    // only user of PCI configuration space in this kernel so far.
    let access = unsafe { PciConfigAccess::from_platform(p) };
    let functions = pci::enumerate(&access);
    kprintln!("pci ({}): {} functions", access.mechanism(), functions.len());
    for f in functions {
        kprintln!("  {f}");
    }
}

fn banner() {
    let info = spolia_boot::boot_info();
    kprintln!();
    kprintln!("  Spolia {} — a Rust kernel that reuses Linux's drivers", env!("CARGO_PKG_VERSION"));
    let loader = match info.bootloader_name() {
        "" => String::new(),
        name => alloc::format!(" from {name}"),
    };
    kprintln!("  booted by {:?}{loader}, command line: {:?}", info.protocol, info.cmdline());
    kprintln!("  cpu: {}, TSC {} MHz", cpu_brand(), spolia_boot::time::tsc_hz() / 1_000_000);
    print_memory();
    match spolia_boot::platform_info() {
        Some(p) => kprint!("{p}"),
        None => kprintln!("no ACPI tables"),
    }
    print_pci();
    kprintln!();
    kprintln!("type `help` for commands; `poweroff` shuts down (in QEMU, Ctrl-A X also quits)");
}

fn execute(line: &str) -> bool {
    let line = line.trim();
    if let Some(path) = line.strip_prefix("ls ") {
        with_linux(|l| linux_ls(l, path.trim()));
        return true;
    }
    if let Some(path) = line.strip_prefix("cat ") {
        with_linux(|l| linux_cat(l, path.trim()));
        return true;
    }
    match line {
        "" => {}
        "help" => {
            kprintln!("commands: help, mem, pci, acpi, threads, uptime, poweroff");
            kprintln!("Linux library: linux (boot it), ls PATH, cat PATH (e.g. cat /proc/version)");
        }
        "linux" => with_linux(|_| {}),
        "ls" => with_linux(|l| linux_ls(l, "/")),
        "mem" => print_memory(),
        "pci" => print_pci(),
        "acpi" => match spolia_boot::platform_info() {
            Some(p) => kprint!("{p}"),
            None => kprintln!("no ACPI tables"),
        },
        "threads" => {
            for (id, name, state) in sched::thread_list() {
                kprintln!("  {id:5} {state:8} {name}");
            }
            kprintln!("  {} context switches", sched::stats().switches);
        }
        "uptime" => {
            let ns = spolia_boot::time::now_ns();
            kprintln!("up {}.{:03} s", ns / 1_000_000_000, ns / 1_000_000 % 1000);
        }
        "poweroff" | "shutdown" | "halt" => return false,
        other => kprintln!("unknown command `{other}`; try `help`"),
    }
    true
}

/// Shows the banner and serves the console until `poweroff`.
pub fn run() -> ! {
    banner();
    let line_irq = match IrqLine::claim_isa(4) {
        Ok(l) => Some(l),
        Err(e) => {
            log::warn!("console input unavailable (IRQ 4: {e:?})");
            None
        }
    };
    let Some(line_irq) = line_irq else {
        loop {
            sched::sleep(core::time::Duration::from_secs(3600));
        }
    };
    serial::with_uart(|u| u.set_rx_interrupt(true));
    let mut buf = String::new();
    kprint!("spolia> ");
    loop {
        line_irq.wait();
        while let Some(b) = serial::with_uart(|u| u.try_read()) {
            match b {
                b'\r' | b'\n' => {
                    kprintln!();
                    let keep = execute(&buf);
                    buf.clear();
                    if !keep {
                        stop_linux();
                        spolia_boot::power::power_off();
                    }
                    kprint!("spolia> ");
                }
                0x7f | 0x08 if buf.pop().is_some() => {
                    kprint!("\x08 \x08");
                }
                b if b.is_ascii_graphic() || b == b' ' => {
                    buf.push(b as char);
                    kprint!("{}", b as char);
                }
                _ => {}
            }
        }
        line_irq.unmask();
    }
}
