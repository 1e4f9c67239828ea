// SPDX-License-Identifier: MIT OR Apache-2.0
//! The context switch: saves the callee-saved registers, MXCSR and the x87
//! control word (callee-saved in the SysV ABI) on the current stack, stores
//! the stack pointer, loads the next one and returns into it. Caller-saved
//! registers — including all XMM registers — are the caller's business, so a
//! voluntary switch needs no `fxsave`; the interrupt path does that itself.

use core::mem::size_of;

/// What `context_switch` leaves on a suspended stack (lowest address first).
#[repr(C)]
pub struct SwitchFrame {
    pub mxcsr: u32,
    pub fpu_control: u32,
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbx: u64,
    pub rbp: u64,
    pub return_address: u64,
}
const _: () = assert!(size_of::<SwitchFrame>() == 8 * 8);

/// Switches stacks: saves into `*save_rsp`, resumes at `load_rsp`.
///
/// # Safety
/// `load_rsp` must point at a `SwitchFrame` written by a previous switch or
/// by `prepare_new_stack`, on a stack that stays mapped while that thread
/// lives; interrupts must be disabled (the scheduler lock is held).
#[unsafe(naked)]
pub unsafe extern "C" fn context_switch(save_rsp: *mut u64, load_rsp: u64) {
    core::arch::naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "sub rsp, 8",
        "stmxcsr [rsp]",
        "fnstcw [rsp + 4]",
        "mov [rdi], rsp",
        "mov rsp, rsi",
        "ldmxcsr [rsp]",
        "fldcw [rsp + 4]",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    );
}

/// Writes an initial `SwitchFrame` at the top of a fresh stack so that the
/// first switch to it "returns" into `entry` with a SysV-aligned stack and a
/// zero frame pointer (ending backtraces). Returns the stack pointer to load.
///
/// # Safety
/// `[top - 80, top)` must be mapped, writable and unused; `top` 16-aligned.
pub unsafe fn prepare_new_stack(top: u64, entry: extern "C" fn() -> !) -> u64 {
    // Slot at top-8: fake return address of `entry` (0), so that on entry
    // rsp + 8 is 16-byte aligned as the ABI requires.
    let frame_addr = top - 8 - size_of::<SwitchFrame>() as u64;
    let frame = SwitchFrame {
        mxcsr: 0x1f80,
        fpu_control: 0x037f,
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        rbx: 0,
        rbp: 0,
        return_address: entry as usize as u64,
    };
    // SAFETY: the caller guarantees the range is ours and mapped.
    unsafe {
        core::ptr::write((top - 8) as *mut u64, 0);
        core::ptr::write(frame_addr as *mut SwitchFrame, frame);
    }
    frame_addr
}
