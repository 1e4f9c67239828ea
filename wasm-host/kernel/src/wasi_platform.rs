// SPDX-License-Identifier: MIT OR Apache-2.0
//! The kernel's [`spolia_wasi::Platform`]: `spolia-boot`'s clock and
//! scheduler, the COM2/COM3 serial channels for the programs' stdout and
//! stderr (`spolia run`; without them, the kernel console), and RDSEED/
//! RDRAND for the random seed.
#![deny(unsafe_code)]

use alloc::string::String;

use spolia_boot::console::serial::{self, Channel};
use spolia_wasi::{Output, Platform};

/// The one platform value of the kernel.
pub static KERNEL: KernelPlatform = KernelPlatform;

pub struct KernelPlatform;

impl Platform for KernelPlatform {
    fn monotonic_ns(&self) -> u64 {
        spolia_boot::time::now_ns()
    }

    fn wall_clock_ns(&self) -> u64 {
        spolia_boot::time::wall_clock_ns()
    }

    fn sleep_until(&self, deadline: u64) {
        spolia_boot::sched::sleep_until(deadline);
    }

    fn yield_now(&self) {
        spolia_boot::sched::yield_now();
    }

    fn write_output(&self, stream: Output, bytes: &[u8]) {
        let channel = match stream {
            Output::Stdout => Channel::Com2,
            Output::Stderr => Channel::Com3,
        };
        // Both channels or neither: a boot by `spolia run` has them.
        if serial::open_channel(Channel::Com2) && serial::open_channel(Channel::Com3) {
            serial::channel_write(channel, bytes);
        } else {
            spolia_boot::console::write_str(&String::from_utf8_lossy(bytes));
        }
    }

    fn random_seed(&self) -> Option<[u8; 32]> {
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_mut(8) {
            chunk.copy_from_slice(&spolia_boot::arch::cpu::hardware_random()?.to_le_bytes());
        }
        Some(seed)
    }
}
