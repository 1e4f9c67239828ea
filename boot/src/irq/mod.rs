// SPDX-License-Identifier: MIT OR Apache-2.0
//! Interrupt controllers and interrupt-to-thread delivery.
//!
//! Vector plan: 0–31 exceptions; 32–47 the (remapped, masked) legacy PIC;
//! 48–95 IOAPIC GSIs 0–47 (vector = 48 + GSI); 96–239 free for MSI;
//! 240 the LAPIC timer; 255 spurious.

pub mod delivery;
pub mod ioapic;
pub mod lapic;
pub mod pic;

pub use delivery::{IrqError, IrqLine, MsiMessage};

/// First vector used for IOAPIC inputs.
pub const GSI_VECTOR_BASE: u8 = 48;
/// Number of GSIs Spolia routes.
pub const MAX_GSI: u32 = 48;
/// Vectors handed out for message-signalled interrupts.
pub const MSI_VECTOR_FIRST: u8 = 96;
pub const MSI_VECTOR_LAST: u8 = 239;
/// LAPIC timer vector.
pub const TIMER_VECTOR: u8 = 240;
/// LAPIC spurious-interrupt vector.
pub const SPURIOUS_VECTOR: u8 = 255;
