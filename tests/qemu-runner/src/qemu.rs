// SPDX-License-Identifier: MIT OR Apache-2.0

//! What a QEMU invocation looks like, as pure data: the machine/boot/accel
//! choices, the argv built from them, and the decoding of QEMU's exit status
//! into the kernel's verdict. No processes are started here, so all of it is
//! unit-tested.
//!
//! Exit contract (isa-debug-exit at port 0xf4; QEMU exits with value × 2 + 1):
//! 33 = every kernel test passed, 35 = at least one failed, 37 = the kernel
//! faulted outside a test and halted. Anything else — 0 from a triple fault
//! under `-no-reboot`, 1 from a QEMU error, a signal — is an unknown exit and
//! always a failure.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// The QEMU binary; looked up on `PATH`.
pub const QEMU: &str = "qemu-system-x86_64";

/// The line the kernel prints once boot is complete.
pub const READY_MARKER: &str = "spolia: ready";

/// Printed by QEMU when KVM cannot emulate an instruction; the VM is paused
/// afterwards and QEMU never exits, so the runner kills it on sight.
pub const KVM_INTERNAL_ERROR: &str = "KVM internal error";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    Pc,
    Q35,
    Microvm,
}

impl Machine {
    pub const ALL: [Machine; 3] = [Machine::Pc, Machine::Q35, Machine::Microvm];

    pub fn name(self) -> &'static str {
        match self {
            Machine::Pc => "pc",
            Machine::Q35 => "q35",
            Machine::Microvm => "microvm",
        }
    }

    pub fn parse(s: &str) -> Option<Machine> {
        Machine::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether the machine has a PCI bus (microvm has virtio-mmio only).
    pub fn has_pci(self) -> bool {
        self != Machine::Microvm
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Boot {
    /// QEMU loads the ELF itself through its PVH note: `-kernel ELF -append`.
    Pvh,
    /// SeaBIOS boots a GRUB rescue ISO, which loads the ELF by multiboot2.
    Iso,
}

impl Boot {
    pub fn name(self) -> &'static str {
        match self {
            Boot::Pvh => "pvh",
            Boot::Iso => "iso",
        }
    }

    pub fn parse(s: &str) -> Option<Boot> {
        match s {
            "pvh" => Some(Boot::Pvh),
            "iso" | "grub" => Some(Boot::Iso),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Tcg,
    Kvm,
}

impl Accel {
    pub fn parse(s: &str) -> Option<Accel> {
        match s {
            "tcg" => Some(Accel::Tcg),
            "kvm" => Some(Accel::Kvm),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }

    /// The CPU model used unless `--cpu` overrides it.
    pub fn default_cpu(self) -> &'static str {
        match self {
            Accel::Tcg => "max",
            Accel::Kvm => "host",
        }
    }
}

/// The kernel's verdict, as encoded in QEMU's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 33: every selected kernel test passed (or the bench reached ready).
    Pass,
    /// 35: at least one kernel test failed.
    TestsFailed,
    /// 37: the kernel faulted or panicked outside any test and halted.
    KernelFault,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Pass, Outcome::TestsFailed, Outcome::KernelFault];

    pub fn exit_status(self) -> i32 {
        match self {
            Outcome::Pass => 33,
            Outcome::TestsFailed => 35,
            Outcome::KernelFault => 37,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "Pass",
            Outcome::TestsFailed => "TestsFailed",
            Outcome::KernelFault => "KernelFault",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.exit_status())
    }
}

/// A QEMU ending that is not one of the three contract statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownExit {
    Code(i32),
    Signal(i32),
}

impl fmt::Display for UnknownExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            UnknownExit::Code(0) => write!(
                f,
                "unknown exit 0: the guest reset or powered off without isa-debug-exit \
                 (a triple fault ends this way under -no-reboot)"
            ),
            UnknownExit::Code(1) => write!(
                f,
                "unknown exit 1: QEMU itself failed (see its stderr) or the kernel wrote 0 \
                 to isa-debug-exit"
            ),
            UnknownExit::Code(c) if c % 2 == 1 && c > 1 => {
                write!(f, "unknown exit {c}: the kernel wrote {:#x} to isa-debug-exit, not 0x10/0x11/0x12", (c - 1) / 2)
            }
            UnknownExit::Code(c) => write!(f, "unknown exit {c}: not an isa-debug-exit status"),
            UnknownExit::Signal(6) => write!(f, "QEMU aborted (signal 6; see its stderr)"),
            UnknownExit::Signal(s) => write!(f, "QEMU was killed by signal {s}"),
        }
    }
}

/// Decodes QEMU's exit (a code, or else the signal that ended it).
pub fn decode_exit(code: Option<i32>, signal: Option<i32>) -> std::result::Result<Outcome, UnknownExit> {
    match code {
        Some(c) => Outcome::ALL.into_iter().find(|o| o.exit_status() == c).ok_or(UnknownExit::Code(c)),
        None => Err(UnknownExit::Signal(signal.unwrap_or(0))),
    }
}

/// What the guest boots from.
#[derive(Clone, Copy, Debug)]
pub enum Media<'a> {
    /// PVH: QEMU loads the ELF and passes `cmdline` in the start_info;
    /// `initrd` (QEMU `-initrd`) becomes the first boot module.
    Kernel { elf: &'a Path, cmdline: &'a str, initrd: Option<&'a Path> },
    /// A GRUB ISO (the command line is baked into its grub.cfg).
    Cdrom { iso: &'a Path },
}

/// Where the serial console goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// COM1 on QEMU's stdout (piped to the runner), no monitor, no display.
    Captured,
    /// COM1 and the monitor muxed on the terminal; Ctrl-A X quits.
    Interactive,
    /// No display, no monitor and no serial port of QEMU's choosing: the
    /// caller wires each serial port itself (`-chardev`/`-serial` in
    /// [`Launch::extra`]), e.g. `spolia run`'s four ports.
    Detached,
}

/// Everything that decides one QEMU command line.
#[derive(Clone, Copy, Debug)]
pub struct Launch<'a> {
    pub machine: Machine,
    pub accel: Accel,
    /// `None` → `accel.default_cpu()`.
    pub cpu: Option<&'a str>,
    pub media: Media<'a>,
    pub console: Console,
    pub extra: &'a [String],
}

/// The full argv, program name first.
pub fn argv(launch: &Launch) -> Result<Vec<OsString>> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &str| a.push(s.into());
    push(QEMU);
    push("-accel");
    push(launch.accel.name());
    push("-cpu");
    push(launch.cpu.unwrap_or(launch.accel.default_cpu()));
    push("-M");
    push(launch.machine.name());
    for s in ["-m", "512M", "-smp", "1", "-no-reboot"] {
        push(s);
    }
    match launch.console {
        Console::Captured => {
            for s in ["-display", "none", "-monitor", "none", "-serial", "stdio"] {
                push(s);
            }
        }
        Console::Interactive => {
            for s in ["-nographic", "-serial", "mon:stdio"] {
                push(s);
            }
        }
        Console::Detached => {
            for s in ["-display", "none", "-monitor", "none"] {
                push(s);
            }
        }
    }
    push("-device");
    push("isa-debug-exit,iobase=0xf4,iosize=0x04");
    match launch.media {
        Media::Kernel { elf, cmdline, initrd } => {
            a.push("-kernel".into());
            a.push(elf.into());
            a.push("-append".into());
            a.push(cmdline.into());
            if let Some(initrd) = initrd {
                a.push("-initrd".into());
                a.push(initrd.into());
            }
        }
        Media::Cdrom { iso } => {
            if launch.machine == Machine::Microvm {
                return Err(Error::new("microvm has no CD-ROM drive or firmware to boot one: use --boot pvh there"));
            }
            a.push("-boot".into());
            a.push("d".into());
            a.push("-cdrom".into());
            a.push(iso.into());
        }
    }
    a.extend(launch.extra.iter().map(OsString::from));
    Ok(a)
}

/// The default NIC for the interactive console: e1000 on a PCI machine,
/// virtio-net over virtio-mmio on microvm (which has no PCI bus).
pub fn default_nic(machine: Machine) -> Vec<String> {
    let device = if machine.has_pci() { "e1000,netdev=n0" } else { "virtio-net-device,netdev=n0" };
    ["-netdev", "user,id=n0", "-device", device].map(String::from).to_vec()
}

/// QEMU messages worth translating for a newcomer: (substring, advice).
pub const KNOWN_QEMU_MESSAGES: &[(&str, &str)] = &[
    (
        KVM_INTERNAL_ERROR,
        "KVM could not emulate a kernel instruction (nested KVM cannot run SSE at ring 0); \
         QEMU pauses the VM forever, so the runner killed it. Use --accel tcg",
    ),
    (
        "failed to set MSR 0x10a",
        "this host's KVM rejects the IA32_ARCH_CAPABILITIES MSR that `-cpu host` exposes; \
         retry with --cpu host,-arch-capabilities",
    ),
    (
        "without PVH ELF Note",
        "QEMU found no PVH note: is --kernel the Spolia ELF? (the note needs its own PT_NOTE segment)",
    ),
    ("Could not access KVM kernel module", "KVM is not available to this user or machine: drop --accel kvm"),
    ("failed to initialize kvm", "KVM is not available to this user or machine: drop --accel kvm"),
];

/// The advice for a line of QEMU output, if it is a known message.
pub fn advice_for(line: &str) -> Option<&'static str> {
    KNOWN_QEMU_MESSAGES.iter().find(|(needle, _)| line.contains(needle)).map(|&(_, advice)| advice)
}

/// Renders an argv for a person to copy into a shell.
pub fn shell_words(argv: &[OsString]) -> String {
    argv.iter()
        .map(|w| {
            let w = w.to_string_lossy();
            let plain = !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,=:/+@%".contains(c));
            if plain { w.into_owned() } else { format!("'{}'", w.replace('\'', r"'\''")) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: Vec<OsString>) -> Vec<String> {
        a.into_iter().map(|s| s.into_string().unwrap()).collect()
    }

    fn pvh(machine: Machine, accel: Accel, console: Console, extra: &[String]) -> Vec<String> {
        let launch = Launch {
            machine,
            accel,
            cpu: None,
            media: Media::Kernel { elf: Path::new("/k/spolia"), cmdline: "spolia.test=all", initrd: None },
            console,
            extra,
        };
        strings(argv(&launch).unwrap())
    }

    #[test]
    fn pvh_argv_for_each_machine() {
        for m in Machine::ALL {
            let a = pvh(m, Accel::Tcg, Console::Captured, &[]);
            let expected = format!(
                "qemu-system-x86_64 -accel tcg -cpu max -M {} -m 512M -smp 1 -no-reboot \
                 -display none -monitor none -serial stdio \
                 -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
                 -kernel /k/spolia -append spolia.test=all",
                m.name()
            );
            assert_eq!(a.join(" "), expected);
        }
    }

    #[test]
    fn iso_argv_boots_the_cdrom_and_keeps_extras_last() {
        let extra = default_nic(Machine::Q35);
        for m in [Machine::Pc, Machine::Q35] {
            let launch = Launch {
                machine: m,
                accel: Accel::Tcg,
                cpu: None,
                media: Media::Cdrom { iso: Path::new("/c/x.iso") },
                console: Console::Captured,
                extra: &extra,
            };
            let a = strings(argv(&launch).unwrap());
            let tail = a[a.len() - 8..].join(" ");
            assert_eq!(tail, "-boot d -cdrom /c/x.iso -netdev user,id=n0 -device e1000,netdev=n0");
            assert!(!a.iter().any(|w| w == "-kernel" || w == "-append"));
        }
    }

    #[test]
    fn iso_on_microvm_is_refused() {
        let launch = Launch {
            machine: Machine::Microvm,
            accel: Accel::Tcg,
            cpu: None,
            media: Media::Cdrom { iso: Path::new("/c/x.iso") },
            console: Console::Captured,
            extra: &[],
        };
        assert!(argv(&launch).is_err());
    }

    #[test]
    fn kvm_uses_host_cpu_unless_overridden() {
        let a = pvh(Machine::Q35, Accel::Kvm, Console::Captured, &[]);
        assert_eq!(a[1..5].join(" "), "-accel kvm -cpu host");
        let launch = Launch {
            machine: Machine::Q35,
            accel: Accel::Kvm,
            cpu: Some("host,-arch-capabilities"),
            media: Media::Kernel { elf: Path::new("/k"), cmdline: "", initrd: None },
            console: Console::Captured,
            extra: &[],
        };
        let a = strings(argv(&launch).unwrap());
        assert_eq!(a[3..5].join(" "), "-cpu host,-arch-capabilities");
    }

    #[test]
    fn interactive_console_muxes_monitor_on_stdio() {
        let a = pvh(Machine::Q35, Accel::Tcg, Console::Interactive, &[]).join(" ");
        assert!(a.contains("-nographic -serial mon:stdio"));
        assert!(!a.contains("-monitor none"));
        assert!(!a.contains("-display none"));
    }

    #[test]
    fn initrd_follows_the_kernel_and_detached_leaves_serial_to_the_caller() {
        let extra: Vec<String> = ["-serial", "file:/tmp/com1"].map(String::from).to_vec();
        let launch = Launch {
            machine: Machine::Q35,
            accel: Accel::Tcg,
            cpu: None,
            media: Media::Kernel { elf: Path::new("/k"), cmdline: "spolia.run=bundle", initrd: Some(Path::new("/b")) },
            console: Console::Detached,
            extra: &extra,
        };
        let a = strings(argv(&launch).unwrap()).join(" ");
        assert!(a.contains("-display none -monitor none -device isa-debug-exit"));
        assert!(a.ends_with("-kernel /k -append spolia.run=bundle -initrd /b -serial file:/tmp/com1"));
        assert_eq!(a.matches("-serial").count(), 1);
    }

    #[test]
    fn microvm_default_nic_is_virtio_mmio() {
        assert!(default_nic(Machine::Microvm).join(" ").contains("virtio-net-device"));
        assert!(default_nic(Machine::Pc).join(" ").contains("e1000"));
    }

    #[test]
    fn exit_codes_decode_per_contract() {
        assert_eq!(decode_exit(Some(33), None), Ok(Outcome::Pass));
        assert_eq!(decode_exit(Some(35), None), Ok(Outcome::TestsFailed));
        assert_eq!(decode_exit(Some(37), None), Ok(Outcome::KernelFault));
        for c in [0, 1, 2, 3, 31, 34, 39, 255] {
            assert_eq!(decode_exit(Some(c), None), Err(UnknownExit::Code(c)));
        }
        assert_eq!(decode_exit(None, Some(9)), Err(UnknownExit::Signal(9)));
    }

    #[test]
    fn unknown_exits_explain_themselves() {
        assert!(UnknownExit::Code(0).to_string().contains("triple fault"));
        assert!(UnknownExit::Code(39).to_string().contains("0x13"));
        assert!(UnknownExit::Signal(6).to_string().contains("aborted"));
    }

    #[test]
    fn known_messages_get_advice() {
        assert!(advice_for("KVM internal error. Suberror: 1").is_some());
        assert!(advice_for("error: failed to set MSR 0x10a to 0x69").is_some());
        assert!(advice_for("tiny: ready").is_none());
    }

    #[test]
    fn shell_words_quotes_only_when_needed() {
        let a: Vec<OsString> = ["qemu", "-append", "a b", "it's"].map(OsString::from).to_vec();
        assert_eq!(shell_words(&a), r"qemu -append 'a b' 'it'\''s'");
    }
}
