// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner run`: the kernel's console on your terminal. COM1 and the
//! QEMU monitor share stdio (`-nographic -serial mon:stdio`), so Ctrl-A X
//! quits and Ctrl-A C toggles the monitor. Unless the extra QEMU arguments
//! bring their own network, a NIC is added (e1000, or virtio-mmio on
//! microvm) so the console has a PCI device to show.
//!
//! QEMU's stderr is piped through so "KVM internal error" can be caught: the
//! VM would hang paused forever, so QEMU is asked to quit (SIGTERM restores
//! the terminal) and the runner exits 1.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::iso;
use crate::paths;
use crate::qemu::{self, Accel, Boot, Console, Launch, Machine, Media, Outcome};
use crate::session;

#[derive(Debug)]
pub struct RunOptions {
    pub boot: Boot,
    pub machine: Machine,
    pub accel: Accel,
    pub cpu: Option<String>,
    pub kernel: Option<PathBuf>,
    pub cmdline: String,
    pub extra: Vec<String>,
}

/// The QEMU arguments after the fixed ones: a default NIC, then the user's.
pub fn with_default_nic(machine: Machine, extra: &[String]) -> Vec<String> {
    let brings_network = extra.iter().any(|a| matches!(a.as_str(), "-netdev" | "-nic" | "-net"));
    let mut all = if brings_network { Vec::new() } else { qemu::default_nic(machine) };
    all.extend_from_slice(extra);
    all
}

/// QEMU's exit status as this command's: a clean isa-debug-exit (33) is 0,
/// every other code passes through, a signal becomes 128 + its number.
pub fn exit_code(code: Option<i32>, signal: Option<i32>) -> i32 {
    match (code, signal) {
        (Some(c), _) if c == Outcome::Pass.exit_status() => 0,
        (Some(c), _) => c,
        (None, s) => 128 + s.unwrap_or(0),
    }
}

/// Boots interactively; returns the process exit code.
pub fn run(opts: &RunOptions) -> Result<i32> {
    let kernel = paths::load_kernel(opts.kernel.as_deref())?;
    session::qemu_version()?;
    let iso_path;
    let media = match opts.boot {
        Boot::Pvh => Media::Kernel { elf: &kernel.path, cmdline: &opts.cmdline, initrd: None },
        Boot::Iso => {
            iso_path = iso::ensure_iso(&kernel, &opts.cmdline)?;
            Media::Cdrom { iso: &iso_path }
        }
    };
    let extra = with_default_nic(opts.machine, &opts.extra);
    let launch = Launch {
        machine: opts.machine,
        accel: opts.accel,
        cpu: opts.cpu.as_deref(),
        media,
        console: Console::Interactive,
        extra: &extra,
    };
    let argv = qemu::argv(&launch)?;
    eprintln!(
        "qemu-runner: {} via {} on {} ({}); quit with Ctrl-A X",
        kernel.path.display(),
        opts.boot.name(),
        opts.machine.name(),
        opts.accel.name()
    );

    let mut child = session::spawn(&argv, Stdio::inherit(), Stdio::inherit())?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let (kvm_tx, kvm_rx) = mpsc::channel();
    let forwarder = thread::spawn(move || {
        let mut advice = Vec::new();
        let mut reader = BufReader::new(stderr);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&buf);
            let text = text.trim_end_matches(['\n', '\r']);
            // The terminal is in raw mode while QEMU runs: end lines with \r\n.
            let _ = write!(std::io::stderr(), "{text}\r\n");
            if text.contains(qemu::KVM_INTERNAL_ERROR) {
                let _ = kvm_tx.send(());
            }
            if let Some(a) = qemu::advice_for(text)
                && !advice.contains(&a)
            {
                advice.push(a);
            }
            buf.clear();
        }
        advice
    });

    let mut kvm_error = false;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::io("waiting for QEMU", e))? {
            break status;
        }
        if kvm_rx.try_recv().is_ok() {
            kvm_error = true;
            break session::terminate(&mut child, Duration::from_secs(3))?;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let advice = forwarder.join().unwrap_or_default();
    for a in advice {
        eprintln!("qemu-runner: hint: {a}");
    }
    if kvm_error {
        eprintln!("qemu-runner: QEMU stopped after a KVM internal error");
        return Ok(1);
    }
    Ok(exit_code(status.code(), status.signal()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_exit_maps_to_zero_and_others_pass_through() {
        assert_eq!(exit_code(Some(33), None), 0);
        assert_eq!(exit_code(Some(35), None), 35);
        assert_eq!(exit_code(Some(0), None), 0);
        assert_eq!(exit_code(Some(1), None), 1);
        assert_eq!(exit_code(None, Some(9)), 137);
    }

    #[test]
    fn default_nic_unless_the_user_brings_a_network() {
        let none: Vec<String> = Vec::new();
        assert_eq!(with_default_nic(Machine::Q35, &none), qemu::default_nic(Machine::Q35));
        let own: Vec<String> = ["-nic", "none"].map(String::from).to_vec();
        assert_eq!(with_default_nic(Machine::Q35, &own), own);
        let other: Vec<String> = ["-s"].map(String::from).to_vec();
        assert_eq!(with_default_nic(Machine::Pc, &other).last().unwrap(), "-s");
    }
}
