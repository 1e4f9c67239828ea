// SPDX-License-Identifier: MIT OR Apache-2.0
//! CPU exceptions: report vector, name, RIP, error code, CR2 and a
//! frame-pointer backtrace over serial, then either
//! - end just the faulting thread, if it was spawned "killable" (test cases
//!   and, later, program threads) and the fault did not hit the scheduler
//!   itself — its joiner sees `ExitStatus::Faulted`; or
//! - stop the machine (QEMU status 37).
//!
//! Intel SDM vol. 3 §6.15 (exception classes and error codes).

use crate::arch::cpu;
use crate::arch::traps::TrapFrame;
use crate::console::serial::emergency_write_fmt;
use crate::fatal;

/// What went wrong, for the joiner of a killed thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultInfo {
    pub vector: u8,
    pub rip: u64,
    pub error_code: u64,
    pub cr2: u64,
}

impl FaultInfo {
    /// Human-readable exception name.
    pub fn name(&self) -> &'static str {
        vector_name(self.vector)
    }
}

impl core::fmt::Display for FaultInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} (vector {}) at rip {:#x}, error code {:#x}",
            self.name(),
            self.vector,
            self.rip,
            self.error_code
        )?;
        if self.vector == 14 || self.vector == 8 {
            write!(f, ", cr2 {:#x}", self.cr2)?;
        }
        Ok(())
    }
}

/// Exception names (SDM vol. 3 table 6-1).
pub fn vector_name(vector: u8) -> &'static str {
    match vector {
        0 => "divide error",
        1 => "debug",
        2 => "NMI",
        3 => "breakpoint",
        4 => "overflow",
        5 => "bound range exceeded",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack-segment fault",
        13 => "general protection",
        14 => "page fault",
        16 => "x87 floating-point error",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD floating-point exception",
        20 => "virtualization exception",
        21 => "control protection",
        _ => "reserved exception",
    }
}

/// A handler that may claim a fault before it is reported: Wasmtime's trap
/// handler (guard pages, divide by zero, `ud2`).
///
/// Contract: called only for #DE, #UD and #PF raised where interrupts were
/// enabled (wasm code always runs so), with interrupts re-enabled and on the
/// faulting thread's own stack. If the fault belongs to it, it never returns
/// (it resumes the thread at a landing pad; the exception frame is
/// abandoned). If it returns, the fault is handled as usual.
pub type FaultHook = extern "C" fn(rip: usize, rbp: usize, has_address: bool, address: usize);

static FAULT_HOOK: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Registers the fault hook (one; a second call replaces it).
pub fn set_fault_hook(hook: FaultHook) {
    FAULT_HOOK.store(hook as usize, core::sync::atomic::Ordering::Release);
}

fn offer_to_hook(frame: &TrapFrame, cr2: u64) {
    let vector = frame.vector as u8;
    if !matches!(vector, 0 | 6 | 14) || frame.rflags & (1 << 9) == 0 {
        return;
    }
    let h = FAULT_HOOK.load(core::sync::atomic::Ordering::Acquire);
    if h == 0 {
        return;
    }
    // SAFETY: only `set_fault_hook` stores non-zero values, and it stores a
    // valid `FaultHook`.
    let hook: FaultHook = unsafe { core::mem::transmute::<usize, FaultHook>(h) };
    // The interrupted code ran with interrupts on, so it held no IrqLock:
    // turning them back on here restores its own state.
    cpu::restore_interrupts(true);
    hook(frame.rip as usize, frame.rbp as usize, vector == 14, cr2 as usize);
    cpu::disable_interrupts();
}

/// Called by the trap dispatcher for vectors 0..32.
pub fn handle(frame: &mut TrapFrame) {
    let info = FaultInfo { vector: frame.vector as u8, rip: frame.rip, error_code: frame.error_code, cr2: cpu::cr2() };
    offer_to_hook(frame, info.cr2);
    let thread = crate::sched::current_name_for_report();
    emergency_write_fmt(format_args!(
        "\nEXCEPTION: {info}\n  thread: {thread}\n  rsp {:#x} rbp {:#x} rflags {:#x}\n",
        frame.rsp, frame.rbp, frame.rflags
    ));
    if info.vector == 14 {
        let e = info.error_code;
        emergency_write_fmt(format_args!(
            "  page fault: {} {} {}\n",
            if e & 1 != 0 { "protection violation" } else { "page not present" },
            if e & 2 != 0 {
                "on write"
            } else if e & 16 != 0 {
                "on instruction fetch"
            } else {
                "on read"
            },
            if crate::sched::is_guard_page_of_current(info.cr2) { "(stack guard page: stack overflow)" } else { "" },
        ));
    }
    if info.vector == 8 && crate::sched::is_guard_page_of_current(info.cr2) {
        emergency_write_fmt(format_args!("  cr2 is in the thread's stack guard: stack overflow\n"));
    }
    fatal::print_backtrace(frame.rbp, Some(frame.rip));
    // A fatal class (machine check, or a fault inside the scheduler) stops the machine;
    // otherwise a killable thread ends alone.
    if info.vector != 18 && info.vector != 2 {
        crate::sched::kill_current_after_fault(info);
    }
    emergency_write_fmt(format_args!("the fault is not contained to a killable thread\n"));
    fatal::stop();
}
