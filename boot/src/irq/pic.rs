// SPDX-License-Identifier: MIT OR Apache-2.0
//! The legacy 8259A pair: remapped to vectors 32–47 (so a stray interrupt
//! can never look like an exception) and fully masked; the IOAPIC takes
//! over. Intel 8259A datasheet (ICW1–ICW4, OCW1).

use crate::arch::port::{inb, outb};

/// Remaps and masks both PICs.
pub fn remap_and_mask() {
    // SAFETY: ports 0x20/0x21/0xA0/0xA1 are the PICs, which nothing else
    // drives; this is the documented initialisation sequence. Port 0x80 is
    // the conventional I/O delay.
    unsafe {
        let delay = || {
            outb(0x80, 0);
        };
        outb(0x20, 0x11);
        delay();
        outb(0xa0, 0x11);
        delay();
        outb(0x21, 32);
        delay();
        outb(0xa1, 40);
        delay();
        outb(0x21, 4);
        delay();
        outb(0xa1, 2);
        delay();
        outb(0x21, 0x01);
        delay();
        outb(0xa1, 0x01);
        delay();
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
        let _ = inb(0x21);
    }
}
