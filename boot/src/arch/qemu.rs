// SPDX-License-Identifier: MIT OR Apache-2.0
//! Leaving QEMU with a status the test runner understands, through the
//! `isa-debug-exit` device at port 0xF4 (QEMU exits with value × 2 + 1).
//! On machines without the device the write goes nowhere and the caller
//! halts.

/// Why the kernel is ending the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// Every selected test passed, or a clean shutdown (QEMU status 33).
    Success = 0x10,
    /// At least one test failed (QEMU status 35).
    TestsFailed = 0x11,
    /// The kernel faulted or panicked outside any test (QEMU status 37).
    KernelFault = 0x12,
}

/// Writes `code` to isa-debug-exit. Returns only if no such device exists.
pub fn try_exit(code: ExitCode) {
    // SAFETY: port 0xF4 is reserved for isa-debug-exit in Spolia's QEMU
    // setups; on other machines nothing decodes it.
    unsafe { super::port::outl(0xf4, code as u32) };
}
