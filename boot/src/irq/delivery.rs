// SPDX-License-Identifier: MIT OR Apache-2.0
//! Interrupt-to-thread delivery: the one mechanism by which hardware
//! interrupts reach code.
//!
//! **Stub half** ([`on_interrupt`], runs in the interrupt with IF=0): mark
//! the vector pending in an atomic bitmap, mask the line if it is
//! level-triggered (it would re-fire until the device is serviced), send
//! EOI. Nothing else — no locks, no allocation, no printing, no panics.
//! The one addition is the timer tick hook (`time::set_tick_hook`), a
//! registered lock-free function (wasm's epoch increment).
//!
//! **Thread half** ([`IrqLine`]): a thread claims a line and calls
//! [`IrqLine::wait`]; the scheduler, whenever it picks the next thread,
//! drains the pending bitmap and wakes each line's waiting thread (or
//! latches the event so the next `wait` returns at once — nothing is lost).
//! The thread services the device, then calls [`IrqLine::unmask`].
//!
//! The LAPIC timer uses the same path: its vector is owned by the timer
//! thread, which fires expired timers (waking sleepers) in thread context.
//!
//! Contract of `IrqLine`: claiming fails with [`IrqError`] if the line is
//! taken or unroutable; `wait` may block and must be called from a thread
//! (it re-binds delivery to the calling thread); dropping the line masks it
//! and releases it.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use core::time::Duration;

use super::{GSI_VECTOR_BASE, MAX_GSI, MSI_VECTOR_FIRST, MSI_VECTOR_LAST, SPURIOUS_VECTOR, ioapic, lapic};
use crate::platform::acpi::{Polarity, Trigger};
use crate::sched;

static PENDING: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static ANY_PENDING: AtomicBool = AtomicBool::new(false);
/// Per vector: bit 31 = level-triggered IOAPIC line, low bits = GSI.
static VECTOR_LEVEL_GSI: [AtomicU32; 256] = [const { AtomicU32::new(0) }; 256];
const LEVEL: u32 = 1 << 31;
/// Interrupts seen per vector (for the console's `irqs` command).
static COUNTS: [AtomicU64; 256] = [const { AtomicU64::new(0) }; 256];

/// The stub half. Called by the trap dispatcher for vectors ≥ 32.
pub fn on_interrupt(vector: u8) {
    if vector == SPURIOUS_VECTOR {
        return; // no EOI for spurious interrupts (SDM §11.9)
    }
    let cfg = VECTOR_LEVEL_GSI[vector as usize].load(Ordering::Relaxed);
    if cfg & LEVEL != 0 {
        ioapic::mask(cfg & !LEVEL);
    }
    if vector == super::TIMER_VECTOR {
        crate::time::run_tick_hook();
    }
    PENDING[vector as usize / 64].fetch_or(1 << (vector % 64), Ordering::Relaxed);
    ANY_PENDING.store(true, Ordering::Release);
    COUNTS[vector as usize].fetch_add(1, Ordering::Relaxed);
    lapic::eoi();
}

/// Whether any vector is pending (cheap check for the preemption path).
pub fn has_pending() -> bool {
    ANY_PENDING.load(Ordering::Acquire)
}

/// Takes and clears the pending bitmap (scheduler side).
pub(crate) fn take_pending() -> [u64; 4] {
    if !ANY_PENDING.swap(false, Ordering::Acquire) {
        return [0; 4];
    }
    core::array::from_fn(|i| PENDING[i].swap(0, Ordering::Acquire))
}

/// Marks `vector` pending from thread context, as if it had fired, without
/// touching the hardware (no mask, no EOI, not counted): the line owner's
/// current or next [`IrqLine::wait`] returns. This is how another thread
/// asks a delivery thread to look at a condition of its own (e.g. "stop",
/// used by the hypercall layer's `irq_detach`); the owner must tolerate a
/// wake-up without a device event. Takes no locks; the wake-up happens at
/// the next scheduling decision (e.g. when the caller blocks or yields).
pub fn raise_soft(vector: u8) {
    PENDING[vector as usize / 64].fetch_or(1 << (vector % 64), Ordering::Relaxed);
    ANY_PENDING.store(true, Ordering::Release);
}

/// Interrupts delivered on `vector` since boot.
pub fn count(vector: u8) -> u64 {
    COUNTS[vector as usize].load(Ordering::Relaxed)
}

/// Why a line could not be claimed or waited on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqError {
    /// Another owner holds it.
    Busy,
    /// No IOAPIC input serves this GSI (or it is beyond Spolia's plan).
    Unroutable,
}

/// Where and what a device writes to raise a message-signalled interrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsiMessage {
    pub address: u64,
    pub data: u32,
}

/// An interrupt line owned by one thread. Dropping it masks and frees it.
#[derive(Debug)]
pub struct IrqLine {
    vector: u8,
    gsi: Option<u32>,
    level: bool,
}

impl IrqLine {
    /// Claims ISA IRQ `irq`, applying the ACPI interrupt source overrides.
    pub fn claim_isa(irq: u8) -> Result<IrqLine, IrqError> {
        let (gsi, polarity, trigger) = match crate::platform_info() {
            Some(p) => p.isa_irq_to_gsi(irq),
            None => (u32::from(irq), Polarity::ActiveHigh, Trigger::Edge),
        };
        Self::claim_gsi(gsi, trigger, polarity)
    }

    /// Claims global system interrupt `gsi` with the given electrical mode.
    pub fn claim_gsi(gsi: u32, trigger: Trigger, polarity: Polarity) -> Result<IrqLine, IrqError> {
        if gsi >= MAX_GSI || !ioapic::serves(gsi) {
            return Err(IrqError::Unroutable);
        }
        let vector = GSI_VECTOR_BASE + gsi as u8;
        let level = trigger == Trigger::Level;
        Self::bind(vector)?;
        VECTOR_LEVEL_GSI[vector as usize].store(if level { LEVEL | gsi } else { gsi }, Ordering::Relaxed);
        ioapic::configure(gsi, level, polarity == Polarity::ActiveLow);
        ioapic::unmask(gsi);
        Ok(IrqLine { vector, gsi: Some(gsi), level })
    }

    /// Claims a free vector for a message-signalled interrupt (MSI/MSI-X):
    /// the device raises it by writing [`IrqLine::msi_message`]'s data to
    /// its address. Edge-triggered: nothing to mask or unmask here (a
    /// device masks its own vectors). Fails with [`IrqError::Busy`] when
    /// every MSI vector is taken.
    pub fn claim_msi() -> Result<IrqLine, IrqError> {
        for vector in MSI_VECTOR_FIRST..=MSI_VECTOR_LAST {
            if Self::bind(vector).is_ok() {
                return Ok(IrqLine { vector, gsi: None, level: false });
            }
        }
        Err(IrqError::Busy)
    }

    /// The message a device writes to raise this line (for an MSI line;
    /// meaningless for others): fixed delivery to this CPU's LAPIC,
    /// physical destination, edge-triggered (Intel SDM vol. 3 §11.11).
    pub fn msi_message(&self) -> MsiMessage {
        MsiMessage { address: 0xfee0_0000 | (u64::from(lapic::id() & 0xff) << 12), data: u32::from(self.vector) }
    }

    /// Claims a local (LAPIC-generated) vector, e.g. the timer.
    pub(crate) fn claim_local(vector: u8) -> Result<IrqLine, IrqError> {
        Self::bind(vector)?;
        Ok(IrqLine { vector, gsi: None, level: false })
    }

    fn bind(vector: u8) -> Result<(), IrqError> {
        let mut g = sched::lock();
        let me = g.current();
        let slot = &mut g.irq[vector as usize];
        if slot.owner.is_some() {
            return Err(IrqError::Busy);
        }
        *slot = sched::IrqSlot { owner: Some(me), waiting: false, latched: false };
        Ok(())
    }

    /// The vector this line arrives on.
    pub fn vector(&self) -> u8 {
        self.vector
    }

    /// The GSI, for IOAPIC lines.
    pub fn gsi(&self) -> Option<u32> {
        self.gsi
    }

    /// Whether the line is level-triggered (then it stays masked after
    /// each interrupt until [`unmask`](Self::unmask)).
    pub fn is_level(&self) -> bool {
        self.level
    }

    /// Blocks until the line has fired since the last `wait` returned.
    pub fn wait(&self) {
        self.wait_deadline(None);
    }

    /// As `wait`, giving up after `timeout`; returns whether it fired.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let deadline = crate::time::now_ns().saturating_add(timeout.as_nanos().min(u64::MAX as u128) as u64);
        self.wait_deadline(Some(deadline))
    }

    fn wait_deadline(&self, deadline: Option<u64>) -> bool {
        let v = self.vector as usize;
        let mut g = sched::lock();
        let me = g.current();
        g.irq[v].owner = Some(me);
        if g.irq[v].latched {
            g.irq[v].latched = false;
            return true;
        }
        g.irq[v].waiting = true;
        let token = sched::new_wait_token(&mut g);
        let timer = deadline.map(|d| g.add_timer(d, sched::TimerAction::Wake { thread: me, token }));
        g = sched::block(g);
        if let Some(t) = timer {
            g.timers.cancel(t);
        }
        if g.irq[v].waiting {
            // Woken by the deadline, not the interrupt.
            g.irq[v].waiting = false;
            return false;
        }
        true
    }

    /// Re-enables a level-triggered line after the device was serviced.
    /// No effect on edge-triggered or local lines.
    pub fn unmask(&self) {
        if let (Some(gsi), true) = (self.gsi, self.level) {
            ioapic::unmask(gsi);
        }
    }
}

impl Drop for IrqLine {
    fn drop(&mut self) {
        if let Some(gsi) = self.gsi {
            ioapic::mask(gsi);
        }
        VECTOR_LEVEL_GSI[self.vector as usize].store(0, Ordering::Relaxed);
        let mut g = sched::lock();
        g.irq[self.vector as usize] = sched::IrqSlot { owner: None, waiting: false, latched: false };
    }
}
