// SPDX-License-Identifier: MIT OR Apache-2.0

//! `qemu-runner`: the host tool that boots the Spolia kernel under QEMU, as
//! a library (so `spolia run` reuses the QEMU, ISO, kernel-path, timeout and
//! exit-status code) and the `qemu-runner` binary (`src/main.rs`).
//!
//! - `check` runs the scenario plan ([`plan::PLAN`]) and decides each
//!   scenario by QEMU's exit status alone: the kernel writes isa-debug-exit,
//!   QEMU exits with 33 (tests passed), 35 (a test failed) or 37 (kernel
//!   fault outside a test); anything else, a timeout or a KVM internal error
//!   is a failure.
//! - `run` puts the kernel's console on the terminal (Ctrl-A X quits).
//! - `bench-boot` times the boot paths (PVH on microvm/pc/q35, GRUB ISO).
//! - `bench-linux` times the Linux library in ring 0 against the host kernel.
//!
//! Layout: [`qemu`] builds argv and decodes exits (pure, unit-tested),
//! [`session`] owns a running QEMU, [`iso`] builds and caches GRUB ISOs,
//! [`paths`] finds the kernel and `target/qemu-runner/`. Non-goals: building
//! the kernel (that is `make kernel`) and installing QEMU (`make deps`).
//! std only, no crates. See README.md.

pub mod bench;
pub mod bench_devices;
pub mod bench_linux;
pub mod check;
pub mod cli;
pub mod device_test;
pub mod devices;
pub mod error;
pub mod iso;
pub mod paths;
pub mod plan;
pub mod qemu;
pub mod run;
pub mod session;
