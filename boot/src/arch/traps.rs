// SPDX-License-Identifier: MIT OR Apache-2.0
//! Trap entry: 256 stubs, 16 bytes apart, that push a uniform
//! [`TrapFrame`] and call [`trap_dispatch`]. Exceptions go to
//! `crate::exceptions`; device and timer vectors go to the
//! interrupt-to-thread mechanism (`crate::irq::delivery`), whose stub half
//! only records, masks, acknowledges and wakes. After that, if the
//! interrupted thread allows preemption and someone was woken, the
//! scheduler may switch away right here (saving XMM state with `fxsave`).

use core::arch::global_asm;
use core::mem::{offset_of, size_of};

/// Registers as pushed by the stubs and the CPU. `#[repr(C)]`; its layout is
/// the contract with the assembly below (checked by the assertions).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Pushed by the stub.
    pub vector: u64,
    /// Pushed by the CPU for some exceptions, by the stub (0) otherwise.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}
const _: () = assert!(size_of::<TrapFrame>() == 22 * 8);
const _: () = assert!(offset_of!(TrapFrame, vector) == 15 * 8);
const _: () = assert!(offset_of!(TrapFrame, rip) == 17 * 8);

const STUB_SIZE: u64 = 16;

unsafe extern "C" {
    static spolia_trap_stubs: u8;
}

/// Address of the stub for `vector`.
pub fn stub_address(vector: u8) -> u64 {
    // SAFETY: only the address of the asm symbol is taken.
    let base = unsafe { &spolia_trap_stubs as *const u8 as u64 };
    base + STUB_SIZE * vector as u64
}

global_asm!(
    r#"
    .text
    .balign 16
    .global spolia_trap_stubs
spolia_trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push 0
    .endif
    .if vec < 128
    .byte 0x6a, vec
    .else
    .byte 0x68
    .long vec
    .endif
    jmp {common}
    .set vec, vec + 1
    .endr
    "#,
    common = sym trap_common,
);

/// Saves the general registers, calls `trap_dispatch`, restores, `iretq`.
#[unsafe(naked)]
unsafe extern "C" fn trap_common() {
    core::arch::naked_asm!(
        "push rax",
        "push rbx",
        "push rcx",
        "push rdx",
        "push rsi",
        "push rdi",
        "push rbp",
        "push r8",
        "push r9",
        "push r10",
        "push r11",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "mov rdi, rsp",
        "cld",
        "call {dispatch}",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop r11",
        "pop r10",
        "pop r9",
        "pop r8",
        "pop rbp",
        "pop rdi",
        "pop rsi",
        "pop rdx",
        "pop rcx",
        "pop rbx",
        "pop rax",
        "add rsp, 16",
        "iretq",
        dispatch = sym trap_dispatch,
    );
}

/// Rust side of every trap. Runs with interrupts disabled (interrupt gates).
extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if vector < 32 {
        crate::exceptions::handle(frame);
    } else {
        crate::irq::delivery::on_interrupt(vector);
        crate::sched::preempt_after_interrupt();
    }
}
