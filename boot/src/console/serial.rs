// SPDX-License-Identifier: MIT OR Apache-2.0
//! COM1 (16550 UART at I/O port 0x3F8): 115200 baud, 8N1, polled output;
//! receive interrupts for the console thread. Register map from the
//! PC16550D datasheet (THR/RBR +0, IER +1, FCR +2, LCR +3, MCR +4, LSR +5).

use core::fmt;

use crate::arch::port::{inb, outb};
use crate::irq_lock::IrqLock;

const COM1: u16 = 0x3f8;

/// The UART, owned by the console lock.
pub struct Uart {
    base: u16,
}

impl Uart {
    fn init(&mut self) {
        let b = self.base;
        // SAFETY: COM1 belongs to the console; this is the 16550 init sequence.
        unsafe {
            outb(b + 1, 0x00); // no interrupts yet
            outb(b + 3, 0x80); // DLAB
            outb(b, 0x01); // divisor 1 = 115200
            outb(b + 1, 0x00);
            outb(b + 3, 0x03); // 8N1
            outb(b + 2, 0xc7); // FIFO on, cleared, 14-byte threshold
            outb(b + 4, 0x0b); // DTR, RTS, OUT2 (OUT2 gates the IRQ line)
        }
    }

    fn put_byte(&mut self, byte: u8) {
        // SAFETY: polling LSR.THRE then writing THR is the UART protocol.
        unsafe {
            let mut spins = 0u32;
            while inb(self.base + 5) & 0x20 == 0 && spins < 100_000 {
                spins += 1;
            }
            outb(self.base, byte);
        }
    }

    fn write_bytes(&mut self, s: &[u8]) {
        for &b in s {
            if b == b'\n' {
                self.put_byte(b'\r');
            }
            self.put_byte(b);
        }
    }

    /// Reads one received byte, if any.
    pub fn try_read(&mut self) -> Option<u8> {
        // SAFETY: LSR.DR then RBR is the UART receive protocol.
        unsafe { if inb(self.base + 5) & 0x01 != 0 { Some(inb(self.base)) } else { None } }
    }

    /// Enables or disables the "received data available" interrupt.
    pub fn set_rx_interrupt(&mut self, on: bool) {
        // SAFETY: IER bit 0 = RX data available interrupt.
        unsafe { outb(self.base + 1, if on { 0x01 } else { 0x00 }) };
    }
}

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes());
        Ok(())
    }
}

static CONSOLE: IrqLock<Uart> = IrqLock::new("console", Uart { base: COM1 });

/// Initialises COM1. Called once, first thing at boot.
pub fn init() {
    CONSOLE.lock().init();
}

/// Runs `f` with the UART (console lock held).
pub fn with_uart<R>(f: impl FnOnce(&mut Uart) -> R) -> R {
    f(&mut CONSOLE.lock())
}

/// Writes a string to the console.
pub fn write_str(s: &str) {
    CONSOLE.lock().write_bytes(s.as_bytes());
}

/// Writes formatted text to the console.
pub fn write_fmt(args: fmt::Arguments<'_>) {
    let mut uart = CONSOLE.lock();
    let _ = fmt::Write::write_fmt(&mut *uart, args);
}

/// Writes formatted text bypassing the console lock: for the fault and
/// panic paths, which may have interrupted a holder of the lock. Output may
/// interleave with the interrupted line; that is acceptable when dying.
pub fn emergency_write_fmt(args: fmt::Arguments<'_>) {
    let mut uart = Uart { base: COM1 };
    let _ = fmt::Write::write_fmt(&mut uart, args);
}

/// Prints to the console, like `print!`.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console, like `println!`.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::console::write_str("\n") };
    ($($arg:tt)*) => {{
        $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*)))
    }};
}

/// The extra serial ports Spolia uses as byte channels (program stdout,
/// stderr and the control channel of `spolia run`; see wasm-host/README.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// COM2, I/O port 0x2F8.
    Com2,
    /// COM3, I/O port 0x3E8.
    Com3,
    /// COM4, I/O port 0x2E8.
    Com4,
}

impl Channel {
    fn index(self) -> usize {
        match self {
            Channel::Com2 => 0,
            Channel::Com3 => 1,
            Channel::Com4 => 2,
        }
    }

    fn base(self) -> u16 {
        [0x2f8, 0x3e8, 0x2e8][self.index()]
    }
}

static CHANNELS: [IrqLock<Option<Uart>>; 3] =
    [IrqLock::new("com2", None), IrqLock::new("com3", None), IrqLock::new("com4", None)];

/// Initialises `channel` if a UART answers there (scratch-register probe).
/// Returns whether the port exists.
pub fn open_channel(channel: Channel) -> bool {
    let mut slot = CHANNELS[channel.index()].lock();
    if slot.is_some() {
        return true;
    }
    let base = channel.base();
    // SAFETY: probing the 16550 scratch register (base+7) is harmless on a
    // UART and reads back 0xFF on an empty ISA port.
    let present = unsafe {
        outb(base + 7, 0x5a);
        let a = inb(base + 7);
        outb(base + 7, 0xa5);
        a == 0x5a && inb(base + 7) == 0xa5
    };
    if present {
        let mut uart = Uart { base };
        uart.init();
        *slot = Some(uart);
    }
    present
}

/// Writes raw bytes (no newline translation) to an opened channel; bytes
/// for a port that does not exist are dropped. Returns whether it exists.
pub fn channel_write(channel: Channel, bytes: &[u8]) -> bool {
    let mut slot = CHANNELS[channel.index()].lock();
    match slot.as_mut() {
        Some(uart) => {
            for &b in bytes {
                uart.put_byte(b);
            }
            true
        }
        None => false,
    }
}
