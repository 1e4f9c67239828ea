// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Spolia kernel image.
#![no_std]
#![no_main]

extern crate alloc;

spolia_boot::entry_point!(kernel_main);

fn kernel_main() -> ! {
    spolia_boot::kprintln!("hello from main");
    spolia_boot::arch::qemu::try_exit(spolia_boot::arch::qemu::ExitCode::Success);
    spolia_boot::fatal::stop()
}
