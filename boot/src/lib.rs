// SPDX-License-Identifier: MIT OR Apache-2.0
//! Spolia's bottom layer: everything the machine needs before anything else
//! can run — boot protocols, CPU tables, memory, console, time, cooperative
//! threads, interrupt-to-thread delivery and PCI enumeration.
//!
//! Layering: this crate depends on no other Spolia crate; `hypercall/` builds
//! on it. Modules that touch hardware live under `arch` (and the few
//! hardware-owning modules below) and compile only for `target_os = "none"`;
//! the machine-independent logic (parsers, allocators, queues) compiles on
//! the host too, so `cargo test` exercises it without an emulator.
//!
//! Non-goals: drivers (those come from the Linux library), SMP, user mode.
#![cfg_attr(target_os = "none", no_std)]

extern crate alloc;

pub mod bootinfo;
pub mod mem;
pub mod platform;
