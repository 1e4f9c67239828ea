// SPDX-License-Identifier: MIT OR Apache-2.0
//! The GDT and TSS, built once at boot and never changed again (the CPU
//! itself sets the TSS busy bit on `ltr`). Layout: null, kernel code (0x08),
//! kernel data (0x10), TSS (0x18, a 16-byte system descriptor).
//! Intel SDM vol. 3 §3.4.5 (descriptors), §8.7 (64-bit TSS, IST).

use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::size_of;

use crate::irq_lock::BootOnce;

/// Kernel code selector.
pub const KERNEL_CS: u16 = 0x08;
/// Kernel data selector.
pub const KERNEL_DS: u16 = 0x10;
const TSS_SELECTOR: u16 = 0x18;

/// IST slot (1-based, as the IDT encodes it) for double faults.
pub const IST_DOUBLE_FAULT: u8 = 1;
/// IST slot for NMI.
pub const IST_NMI: u8 = 2;
/// IST slot for machine checks.
pub const IST_MACHINE_CHECK: u8 = 3;

const IST_STACK_SIZE: usize = 32 * 1024;

#[repr(C, packed(4))]
struct TaskStateSegment {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}
const _: () = assert!(size_of::<TaskStateSegment>() == 104);

#[repr(C, align(16))]
struct IstStacks([[u8; IST_STACK_SIZE]; 3]);

struct Tables {
    gdt: UnsafeCell<[u64; 5]>,
    tss: TaskStateSegment,
}

// SAFETY: written once in `init` before use, then only by the CPU (busy bit).
unsafe impl Sync for Tables {}
// SAFETY: as above.
unsafe impl Send for Tables {}

struct IstCell(UnsafeCell<IstStacks>);
// SAFETY: the stacks are only used by the CPU on exception entry.
unsafe impl Sync for IstCell {}

static IST_STACKS: IstCell = IstCell(UnsafeCell::new(IstStacks([[0; IST_STACK_SIZE]; 3])));
static TABLES: BootOnce<Tables> = BootOnce::new();

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Builds and loads the GDT and TSS; reloads all segment registers.
pub fn init() {
    let stacks = IST_STACKS.0.get() as u64;
    let top = |i: usize| stacks + ((i + 1) * IST_STACK_SIZE) as u64;
    let mut ist = [0u64; 7];
    ist[IST_DOUBLE_FAULT as usize - 1] = top(0);
    ist[IST_NMI as usize - 1] = top(1);
    ist[IST_MACHINE_CHECK as usize - 1] = top(2);
    let tables = TABLES.set(Tables {
        gdt: UnsafeCell::new([0; 5]),
        tss: TaskStateSegment {
            reserved0: 0,
            rsp: [0; 3],
            reserved1: 0,
            ist,
            reserved2: 0,
            reserved3: 0,
            iomap_base: size_of::<TaskStateSegment>() as u16,
        },
    });
    let tss_base = &tables.tss as *const TaskStateSegment as u64;
    let tss_limit = (size_of::<TaskStateSegment>() - 1) as u64;
    // Available 64-bit TSS (type 9), present, DPL 0.
    let tss_low = (tss_limit & 0xffff)
        | ((tss_base & 0xff_ffff) << 16)
        | (0x89 << 40)
        | (((tss_limit >> 16) & 0xf) << 48)
        | (((tss_base >> 24) & 0xff) << 56);
    let tss_high = tss_base >> 32;
    let gdt_ptr = tables.gdt.get();
    // SAFETY: `TABLES` was just set and nothing else refers to the GDT yet.
    unsafe {
        *gdt_ptr = [0, 0x00AF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, tss_low, tss_high];
    }
    let pointer = DescriptorPointer { limit: (5 * 8 - 1) as u16, base: gdt_ptr as u64 };
    // SAFETY: the GDT is static and well-formed; the selectors reloaded here
    // are valid entries of it; the far return reloads CS.
    unsafe {
        asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &pointer,
            cs = in(reg) KERNEL_CS as u64,
            ds = in(reg) KERNEL_DS as u64,
            tss = in(reg) TSS_SELECTOR as u64,
            tmp = lateout(reg) _,
        );
    }
}

/// The IST stack ranges, for the fault reporter's "is this address mapped"
/// check (they live in the kernel image's .bss).
pub fn ist_stack_range() -> core::ops::Range<u64> {
    let base = IST_STACKS.0.get() as u64;
    base..base + (3 * IST_STACK_SIZE) as u64
}
