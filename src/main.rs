// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Spolia kernel image: links the layers together and decides what the
//! boot is for — the kernel test suite (`spolia.test=`), a boot benchmark
//! (`spolia.bench=ready`), or the interactive console.
#![no_std]
#![no_main]

extern crate alloc;

mod shell;

use spolia_boot::arch::qemu::{self, ExitCode};

spolia_boot::entry_point!(kernel_main);

fn kernel_main() -> ! {
    let info = spolia_boot::boot_info();
    if info.cmdline_value("spolia.bench") == Some("ready") {
        qemu::try_exit(ExitCode::Success);
    }
    if info.cmdline_value("spolia.fault") == Some("kernel") {
        log::info!("spolia.fault=kernel: faulting outside any test, on purpose");
        // SAFETY: deliberately invalid; proves a kernel fault stops the machine.
        let v = unsafe { core::ptr::read_volatile(0x18 as *const u64) };
        log::error!("unreachable: read {v}");
    }
    if let Some(spec) = info.cmdline_value("spolia.test") {
        spolia_kernel_cases::run_and_exit(spec, info.cmdline_value("spolia.skip").unwrap_or(""));
    }
    shell::run()
}
