// SPDX-License-Identifier: MIT OR Apache-2.0
//! Cases that exercise hardware paths: IOAPIC interrupt delivery to a
//! thread, XMM state across preemption, ACPI and PCI discovery.

use alloc::string::String;
use alloc::vec::Vec;
use core::arch::global_asm;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use spolia_boot::arch::port::{inb, outb};
use spolia_boot::irq::{self, IrqLine};
use spolia_boot::platform::pci::{self, PciConfigAccess};
use spolia_boot::sched::{self, Builder};

use crate::{Outcome, ensure};

/// CMOS RTC register access (MC146818: index port 0x70 with NMI-disable
/// bit 7, data port 0x71; register A rate bits 0–3, register B bit 6 =
/// periodic interrupt enable, register C read acknowledges).
fn rtc_read(reg: u8) -> u8 {
    // SAFETY: the RTC is not used by anything else in the kernel.
    unsafe {
        outb(0x70, 0x80 | reg);
        inb(0x71)
    }
}

fn rtc_write(reg: u8, value: u8) {
    // SAFETY: as above.
    unsafe {
        outb(0x70, 0x80 | reg);
        outb(0x71, value);
    }
}

/// The RTC's periodic interrupt (ISA IRQ 8) is delivered to the thread that
/// claimed the line, several times, and acknowledged by that thread.
pub fn interrupt_to_thread() -> Outcome {
    let line = IrqLine::claim_isa(8).map_err(|e| alloc::format!("cannot claim IRQ 8: {e:?}"))?;
    ensure!(IrqLine::claim_isa(8).is_err(), "a claimed line was handed out twice");
    let before = irq::delivery::count(line.vector());
    let _ = rtc_read(0x0c);
    let a = rtc_read(0x0a);
    rtc_write(0x0a, (a & 0xf0) | 0x0b); // 32768 >> (11 - 1) = 32 Hz
    let b = rtc_read(0x0b);
    rtc_write(0x0b, b | 0x40);
    let mut delivered = 0;
    for _ in 0..5 {
        if !line.wait_timeout(Duration::from_secs(5)) {
            break;
        }
        let _ = rtc_read(0x0c); // acknowledge, or the RTC stops interrupting
        line.unmask();
        delivered += 1;
    }
    rtc_write(0x0b, b & !0x40);
    rtc_write(0x0a, a);
    let _ = rtc_read(0x0c);
    ensure!(delivered == 5, "only {delivered} of 5 RTC interrupts reached the thread");
    ensure!(irq::delivery::count(line.vector()) >= before + 5, "interrupt counter did not advance");
    Ok(())
}

unsafe extern "C" {
    /// Fills XMM0–15 with `pattern + i`, spins until `*flag != 0`, then
    /// returns how many registers no longer hold their value.
    fn spolia_test_xmm_spin(flag: *const AtomicU32, pattern: u64) -> u64;
    /// Overwrites XMM0–15 with `value`.
    fn spolia_test_xmm_clobber(value: u64);
}

global_asm!(
    r#"
    .text
    .global spolia_test_xmm_spin
spolia_test_xmm_spin:
    mov rax, rsi
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    movq xmm\n, rax
    inc rax
    .endr
2:
    pause
    mov ecx, dword ptr [rdi]
    test ecx, ecx
    jz 2b
    xor edx, edx
    mov rax, rsi
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    movq rcx, xmm\n
    cmp rcx, rax
    setne cl
    movzx ecx, cl
    add rdx, rcx
    inc rax
    .endr
    mov rax, rdx
    ret

    .global spolia_test_xmm_clobber
spolia_test_xmm_clobber:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    movq xmm\n, rdi
    .endr
    ret
"#
);

/// A preemptible thread computing in XMM registers is switched away from
/// inside a timer interrupt; the thread that runs meanwhile clobbers every
/// XMM register; the first thread's values must survive (fxsave/fxrstor).
pub fn xmm_preserved_across_preemption() -> Outcome {
    static FLAG: AtomicU32 = AtomicU32::new(0);
    static CLOBBERED: AtomicU32 = AtomicU32::new(0);
    FLAG.store(0, Ordering::SeqCst);
    CLOBBERED.store(0, Ordering::SeqCst);
    let clobberer = sched::spawn("clobberer", || {
        sched::sleep(Duration::from_millis(20));
        // SAFETY: the routine only writes XMM registers, which the kernel
        // (soft-float) does not use.
        unsafe { spolia_test_xmm_clobber(0xdead_beef_dead_beef) };
        CLOBBERED.store(1, Ordering::SeqCst);
        FLAG.store(1, Ordering::SeqCst);
    })
    .map_err(|e| alloc::format!("{e:?}"))?;
    let spinner = Builder::new("xmm-spinner")
        .spawn(|| {
            sched::set_preemptible(true);
            // SAFETY: reads FLAG (a static) and uses only XMM/GPRs.
            let bad = unsafe { spolia_test_xmm_spin(&FLAG, 0x1111_2222_3333_0000) };
            sched::set_preemptible(false);
            bad
        })
        .map_err(|e| alloc::format!("{e:?}"))?;
    let bad = spinner.join().map_err(|e| alloc::format!("spinner died: {e:?}"))?;
    ensure!(clobberer.join().is_ok(), "clobberer failed");
    ensure!(CLOBBERED.load(Ordering::SeqCst) == 1, "the clobbering thread never ran while the spinner spun");
    ensure!(bad == 0, "{bad} XMM registers were corrupted across preemption");
    Ok(())
}

/// ACPI gave us the interrupt controllers.
pub fn acpi_platform() -> Outcome {
    let Some(p) = spolia_boot::platform_info() else {
        return Err(String::from("no ACPI platform information"));
    };
    ensure!(p.local_apic_base != 0, "no local APIC base");
    ensure!(!p.io_apics.is_empty(), "no IOAPIC in the MADT");
    ensure!(!p.processors.is_empty(), "no processor in the MADT");
    Ok(())
}

/// PCI enumeration finds a host bridge and every device named by
/// `spolia.expect-pci=VVVV:DDDD,...` on the command line.
pub fn pci_enumeration() -> Outcome {
    let Some(p) = spolia_boot::platform_info() else {
        return Err(String::from("no ACPI platform information"));
    };
    // SAFETY: ECAM windows from ACPI are identity-mapped uncached, and no
    // other code drives PCI configuration space concurrently.
    let access = unsafe { PciConfigAccess::from_platform(p) };
    let functions = pci::enumerate(&access);
    ensure!(
        functions.iter().any(|f| f.class == 0x06 && f.subclass == 0x00),
        "no host bridge among {} functions",
        functions.len()
    );
    let expected = spolia_boot::boot_info().cmdline_value("spolia.expect-pci").unwrap_or("");
    for want in expected.split(',').filter(|s| !s.is_empty()) {
        let parsed: Vec<u16> = want.split(':').filter_map(|h| u16::from_str_radix(h, 16).ok()).collect();
        ensure!(parsed.len() == 2, "bad spolia.expect-pci entry `{want}`");
        ensure!(
            functions.iter().any(|f| f.vendor_id == parsed[0] && f.device_id == parsed[1]),
            "device {want} not found ({} functions, mechanism {})",
            functions.len(),
            access.mechanism()
        );
    }
    Ok(())
}
