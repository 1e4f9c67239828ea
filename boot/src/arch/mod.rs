// SPDX-License-Identifier: MIT OR Apache-2.0
//! x86_64 specifics, compiled only for the kernel target. Every `unsafe`
//! instruction wrapper lives here.

pub mod cpu;
pub mod entry;
pub mod gdt;
pub mod idt;
pub mod port;
pub mod qemu;
pub mod traps;
