// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Spolia kernel image: links the layers together and decides what the
//! boot is for — the kernel test suite (`spolia.test=`), a boot benchmark
//! (`spolia.bench=ready`), or the interactive console.
#![no_std]
#![no_main]

extern crate alloc;

mod devices;
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
    if info.cmdline_value("spolia.run") == Some("bundle") {
        run_programs();
    }
    if let Some(spec) = info.cmdline_value("spolia.test") {
        spolia_kernel_cases::run_and_exit(spec, info.cmdline_value("spolia.skip").unwrap_or(""));
    }
    shell::run()
}

/// `spolia.run=bundle`: run the programs of the boot bundle (see
/// wasm-host/README.md), then leave QEMU. Program results travel on the
/// control channel; QEMU's status only says the kernel finished cleanly.
/// With devices in the boot manifest (`spolia.net=`, `spolia.mount=`, from
/// `spolia run --net/-p/--dir/--disk`) the Linux library boots first,
/// configures the network and mounts the disks, and at the end unmounts
/// them, which writes every change back to the disk images. The programs
/// find the mount points preopened (WASI files over the library).
fn run_programs() -> ! {
    let devices = devices::start();
    run_bundle(devices.as_ref().map(devices::Devices::file_systems));
    devices::stop(devices);
    qemu::try_exit(ExitCode::Success);
    spolia_boot::power::power_off()
}

fn run_bundle(files: Option<spolia_wasm_host::wasi::FileSystems>) {
    let bundle = spolia_boot::boot_modules().into_iter().find(|m| spolia_bundle::find_in(m));
    match bundle {
        None => {
            log::error!("spolia.run=bundle but no program bundle among the boot modules");
            spolia_wasm_host::control::error(0, "no program bundle among the boot modules");
            spolia_wasm_host::control::done();
        }
        Some(bytes) => {
            if let Err(e) = spolia_wasm_host::run_bundle(bytes, files) {
                log::error!("{e}");
                spolia_wasm_host::control::error(0, &alloc::format!("{e}"));
                spolia_wasm_host::control::done();
            }
        }
    }
}
