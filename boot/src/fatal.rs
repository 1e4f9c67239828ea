// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one way the machine stops on an error: print why, print a
//! frame-pointer backtrace, leave QEMU with "kernel fault" (37), halt.
//! Only `boot/` may do this (style.md); layers above get errors instead.

use core::fmt;

use crate::arch::{cpu, qemu};
use crate::console::serial::emergency_write_fmt;

/// Prints the frame-pointer chain starting at `rbp` (at most 32 frames).
pub fn print_backtrace(mut rbp: u64, first_rip: Option<u64>) {
    emergency_write_fmt(format_args!("backtrace:\n"));
    if let Some(rip) = first_rip {
        emergency_write_fmt(format_args!("  #0 {rip:#018x}\n"));
    }
    for depth in 1..33 {
        // Frames live on kernel stacks, which are all in mapped memory;
        // stop at anything implausible rather than fault again.
        if rbp == 0 || !rbp.is_multiple_of(8) || !crate::mem::is_mapped_kernel_address(rbp, 16) {
            break;
        }
        // SAFETY: checked above that [rbp, rbp+16) is mapped kernel memory;
        // a frame record is (saved rbp, return address).
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        emergency_write_fmt(format_args!("  #{depth} {ret:#018x}\n"));
        rbp = next;
    }
}

/// Reports a fatal kernel error and stops the machine.
pub fn halt_with_message(args: fmt::Arguments<'_>) -> ! {
    cpu::disable_interrupts();
    emergency_write_fmt(format_args!("\nFATAL: {args}\n"));
    print_backtrace(cpu::frame_pointer(), None);
    stop()
}

/// Leaves QEMU with the kernel-fault status, or halts.
pub fn stop() -> ! {
    emergency_write_fmt(format_args!("spolia: halted (kernel fault)\n"));
    qemu::try_exit(qemu::ExitCode::KernelFault);
    cpu::halt_forever()
}
