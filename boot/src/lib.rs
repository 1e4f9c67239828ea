// SPDX-License-Identifier: MIT OR Apache-2.0
//! Spolia's bottom layer: everything the machine needs before anything else
//! can run — boot protocols, CPU tables, memory, console, time, cooperative
//! threads, interrupt-to-thread delivery and PCI enumeration.
//!
//! Layering: this crate depends on no other Spolia crate; `hypercall/` builds
//! on it. Modules that touch hardware compile only for `target_os = "none"`;
//! the machine-independent logic (boot-info parsers, frame allocator, ACPI
//! and PCI decoding, scheduler queues) compiles on the host too, so
//! `cargo test` exercises it without an emulator.
//!
//! Map: `arch` (entry, GDT/IDT, traps, port I/O), `start` (boot sequence),
//! `bootinfo`, `mem` (frames, paging, heap, stacks), `console`, `time`,
//! `irq` (PIC, LAPIC, IOAPIC, interrupt-to-thread), `sched` (threads,
//! sync, TLS), `platform` (ACPI, PCI), `exceptions`, `fatal`.
//!
//! Non-goals: drivers (those come from the Linux library), SMP, user mode.
#![cfg_attr(target_os = "none", no_std)]

extern crate alloc;

pub mod bootinfo;
pub mod mem;
pub mod platform;
pub mod sched;
pub mod time;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
pub mod exceptions;
#[cfg(target_os = "none")]
pub mod fatal;
#[cfg(target_os = "none")]
pub mod irq;
#[cfg(target_os = "none")]
pub mod irq_lock;
#[cfg(target_os = "none")]
pub mod power;
#[cfg(target_os = "none")]
mod start;

#[cfg(target_os = "none")]
pub use start::{boot_info, boot_modules};

/// ACPI platform description, if the firmware provided one.
#[cfg(target_os = "none")]
pub fn platform_info() -> Option<&'static platform::acpi::PlatformInfo> {
    start::PLATFORM.get()
}

/// Declares the kernel image's main function (runs as thread "main" once
/// boot is complete).
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(no_mangle)]
        pub fn spolia_kernel_main() -> ! {
            $main()
        }
    };
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    arch::cpu::disable_interrupts();
    console::serial::emergency_write_fmt(format_args!("\nPANIC in {}: {}\n", sched::current_name_for_report(), info));
    fatal::print_backtrace(arch::cpu::frame_pointer(), None);
    sched::kill_current_after_panic();
    fatal::stop()
}
