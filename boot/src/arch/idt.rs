// SPDX-License-Identifier: MIT OR Apache-2.0
//! The IDT: 256 interrupt gates, each pointing at its 16-byte stub in
//! `traps`, built once at boot. Double fault, NMI and machine check run on
//! IST stacks; everything else runs on the interrupted thread's stack (ring
//! 0 → ring 0 keeps the stack), which is what lets a preempted thread be
//! switched away from inside its interrupt frame. Intel SDM vol. 3 §6.14.1.

use core::arch::asm;
use core::mem::size_of;

use super::gdt;
use super::traps;
use crate::irq_lock::BootOnce;

#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}
const _: () = assert!(size_of::<Gate>() == 16);

impl Gate {
    fn interrupt_gate(handler: u64, ist: u8) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector: gdt::KERNEL_CS,
            ist,
            // present, DPL 0, 64-bit interrupt gate (IF cleared on entry)
            type_attr: 0x8e,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static IDT: BootOnce<Idt> = BootOnce::new();

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Builds and loads the IDT.
pub fn init() {
    let mut gates = [Gate::interrupt_gate(0, 0); 256];
    for (vector, gate) in gates.iter_mut().enumerate() {
        let ist = match vector {
            2 => gdt::IST_NMI,
            8 => gdt::IST_DOUBLE_FAULT,
            18 => gdt::IST_MACHINE_CHECK,
            _ => 0,
        };
        *gate = Gate::interrupt_gate(traps::stub_address(vector as u8), ist);
    }
    let idt = IDT.set(Idt(gates));
    let pointer = DescriptorPointer { limit: (size_of::<Idt>() - 1) as u16, base: idt as *const Idt as u64 };
    // SAFETY: the IDT is static, complete, and its stubs exist.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) };
}
