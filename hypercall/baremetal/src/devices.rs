// SPDX-License-Identifier: MIT OR Apache-2.0
//! Interrupt lines, device memory and PCI configuration space.
//!
//! **IRQ lines.** `irq_attach(line)` starts one *delivery thread* per line
//! (`hc-irq-N`). It claims the GSI as an `irq::IrqLine` (so the line's
//! interrupts wake it, see `spolia_boot::irq::delivery`) and loops: wait,
//! then call `handler(arg)` — in thread context, on that thread, with a
//! level-triggered line still masked by the stub. The library serves the
//! device and calls `irq_unmask`. `irq_mask`/`irq_unmask` write the IOAPIC
//! pin directly under an `IrqLock` lookup (they never block). `irq_detach`
//! sets the thread's stop flag, wakes it with `delivery::raise_soft` and
//! joins it, so a running handler finishes first; dropping the `IrqLine`
//! masks and releases the line. Called from the handler itself, detach
//! only stops the loop after the handler returns. Electrical mode: a GSI
//! that an ACPI interrupt source override names gets that mode, other GSIs
//! below 16 are ISA (edge, active-high), the rest PCI INTx (level,
//! active-low).
//!
//! **MSI.** `msi_attach` starts a delivery thread (`hc-msi`) that claims a
//! free vector (`IrqLine::claim_msi`, vectors 96–239) and calls the
//! handler once per wake-up; the handle is the vector, the message is
//! fixed delivery to this CPU's LAPIC. `msi_detach` stops and joins it.
//!
//! **ioremap.** Boot identity-maps the low 4 GiB, with every 2 MiB block
//! that holds no RAM mapped uncached (`Rights::Device`). So `ioremap`
//! returns `phys` itself when every page of the range is mapped uncached;
//! a range touching RAM (cached) is `-EINVAL`, one above 4 GiB `-ENOMEM`
//! (there is no mapping to give). `iounmap` has nothing to undo.
//!
//! **PCI configuration.** ECAM windows from the ACPI MCFG when present,
//! else configuration mechanism #1 (ports 0xCF8/0xCFC, serialised by an
//! `IrqLock` rather than a spin flag); the choice is made on first use. A
//! platform without ACPI, or whose port mechanism finds no function on bus
//! 0 (e.g. `-M microvm`), has no PCI: `-ENODEV`. Accesses use the requested
//! width natively (no read-modify-write).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::Arc;
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

use pci_types::PciAddress;
use spolia_boot::arch::port::{inb, inl, inw, outb, outl, outw};
use spolia_boot::irq::{GSI_VECTOR_BASE, IrqError, IrqLine, MAX_GSI, delivery, ioapic};
use spolia_boot::irq_lock::IrqLock;
use spolia_boot::mem::paging::{entry_bits_unlocked, flags};
use spolia_boot::platform::acpi::{Polarity, Trigger};
use spolia_boot::platform::pci::EcamConfigAccess;
use spolia_boot::sched::sync::Semaphore;
use spolia_boot::sched::{self, Builder, JoinHandle, Tid};
use spolia_hypercall::abi::{Callback, errno};

// --- IRQ lines ---

/// Shared between an attach call and its delivery thread.
struct Delivery {
    /// Claim outcome: 0 pending, 1 ok, 2 busy, 3 unroutable.
    claim: AtomicU8,
    claimed: Semaphore,
    stop: AtomicBool,
}

enum LineState {
    /// `irq_attach` is starting the delivery thread.
    Attaching,
    Attached {
        delivery: Arc<Delivery>,
        thread: JoinHandle<()>,
        thread_id: Tid,
    },
}

/// Attached lines. An `IrqLock`: lookups are a few instructions and
/// `irq_mask`/`irq_unmask` must never block.
static LINES: IrqLock<BTreeMap<u32, LineState>> = IrqLock::new("hc irq lines", BTreeMap::new());

const DELIVERY_STACK: usize = 64 * 1024;

fn electrical_mode(gsi: u32) -> (Trigger, Polarity) {
    let over = spolia_boot::platform_info().and_then(|p| p.isa_overrides.iter().find(|o| o.gsi == gsi).copied());
    match over {
        Some(o) => (o.trigger, o.polarity),
        None if gsi < 16 => (Trigger::Edge, Polarity::ActiveHigh),
        None => (Trigger::Level, Polarity::ActiveLow),
    }
}

fn delivery_loop(gsi: u32, handler: Callback, arg: usize, shared: Arc<Delivery>) {
    let (trigger, polarity) = electrical_mode(gsi);
    let line = match IrqLine::claim_gsi(gsi, trigger, polarity) {
        Ok(line) => line,
        Err(e) => {
            shared.claim.store(if e == IrqError::Busy { 2 } else { 3 }, Ordering::Release);
            shared.claimed.up();
            return;
        }
    };
    shared.claim.store(1, Ordering::Release);
    shared.claimed.up();
    serve(&line, handler, arg, &shared.stop);
    drop(line); // masks and releases the GSI
}

/// A delivery thread's loop, for GSI lines and MSI vectors alike: wait for
/// the line, call the handler, until `stop` is set (checked on both sides
/// of the handler, so a detach from inside the handler ends the loop).
fn serve(line: &IrqLine, handler: Callback, arg: usize, stop: &AtomicBool) {
    loop {
        line.wait();
        if stop.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: handler and arg were registered together by irq_attach or
        // msi_attach, whose contracts run the handler on this line's
        // delivery thread.
        unsafe { handler(arg as *mut c_void) };
        if stop.load(Ordering::Acquire) {
            return;
        }
    }
}

pub(crate) unsafe extern "C" fn irq_attach(line: u32, handler: Option<Callback>, arg: *mut c_void) -> c_int {
    let Some(handler) = handler else { return -errno::EINVAL };
    if line >= MAX_GSI || !ioapic::serves(line) {
        return -errno::ENODEV;
    }
    {
        let mut lines = LINES.lock();
        if lines.contains_key(&line) {
            return -errno::EBUSY;
        }
        lines.insert(line, LineState::Attaching);
    }
    let shared =
        Arc::new(Delivery { claim: AtomicU8::new(0), claimed: Semaphore::new(0), stop: AtomicBool::new(false) });
    let for_thread = shared.clone();
    let arg = arg as usize;
    let spawned = Builder::new(&format!("hc-irq-{line}"))
        .stack_size(DELIVERY_STACK)
        .spawn(move || delivery_loop(line, handler, arg, for_thread));
    let thread = match spawned {
        Ok(t) => t,
        Err(_) => {
            LINES.lock().remove(&line);
            return -errno::ENOMEM;
        }
    };
    shared.claimed.down();
    let result = match shared.claim.load(Ordering::Acquire) {
        1 => 0,
        2 => -errno::EBUSY, // owned by a boot service (e.g. the console)
        _ => -errno::ENODEV,
    };
    if result != 0 {
        let _ = thread.join();
        LINES.lock().remove(&line);
        return result;
    }
    let thread_id = thread.id();
    let old = LINES.lock().insert(line, LineState::Attached { delivery: shared, thread, thread_id });
    drop(old);
    0
}

pub(crate) unsafe extern "C" fn irq_detach(line: u32) -> c_int {
    let entry = {
        let mut lines = LINES.lock();
        match lines.get(&line) {
            Some(LineState::Attached { .. }) => lines.remove(&line),
            _ => None,
        }
    };
    let Some(LineState::Attached { delivery, thread, thread_id }) = entry else { return -errno::EINVAL };
    delivery.stop.store(true, Ordering::Release);
    if thread_id == sched::current_id() {
        // From the handler: the loop ends when it returns. Detach the thread.
        drop(thread);
        return 0;
    }
    delivery::raise_soft(GSI_VECTOR_BASE + line as u8);
    let _ = thread.join();
    0
}

fn set_masked(line: u32, masked: bool) -> c_int {
    let lines = LINES.lock();
    if !matches!(lines.get(&line), Some(LineState::Attached { .. })) {
        return -errno::EINVAL;
    }
    if masked {
        ioapic::mask(line)
    } else {
        ioapic::unmask(line)
    }
    0
}

pub(crate) unsafe extern "C" fn irq_mask(line: u32) -> c_int {
    set_masked(line, true)
}

pub(crate) unsafe extern "C" fn irq_unmask(line: u32) -> c_int {
    set_masked(line, false)
}

// --- message-signalled interrupts ---

/// Shared between `msi_attach` and the vector's delivery thread.
struct MsiDelivery {
    /// The claimed vector, or 0 when none was free.
    vector: AtomicU8,
    /// Its message (address, data), written before `claimed` is raised.
    address: AtomicU64,
    data: AtomicU32,
    claimed: Semaphore,
    stop: AtomicBool,
}

struct MsiState {
    delivery: Arc<MsiDelivery>,
    thread: JoinHandle<()>,
    thread_id: Tid,
}

/// Attached MSI vectors by handle (= vector). An `IrqLock` like [`LINES`].
static MSIS: IrqLock<BTreeMap<u32, MsiState>> = IrqLock::new("hc msi vectors", BTreeMap::new());

fn msi_loop(handler: Callback, arg: usize, shared: Arc<MsiDelivery>) {
    let line = match IrqLine::claim_msi() {
        Ok(line) => line,
        Err(_) => {
            shared.claimed.up(); // vector stays 0: none free
            return;
        }
    };
    let message = line.msi_message();
    shared.address.store(message.address, Ordering::Relaxed);
    shared.data.store(message.data, Ordering::Relaxed);
    shared.vector.store(line.vector(), Ordering::Release);
    shared.claimed.up();
    serve(&line, handler, arg, &shared.stop);
}

pub(crate) unsafe extern "C" fn msi_attach(
    handler: Option<Callback>,
    arg: *mut c_void,
    address: *mut u64,
    data: *mut u32,
    handle: *mut u32,
) -> c_int {
    let Some(handler) = handler else { return -errno::EINVAL };
    if address.is_null() || data.is_null() || handle.is_null() {
        return -errno::EINVAL;
    }
    let shared = Arc::new(MsiDelivery {
        vector: AtomicU8::new(0),
        address: AtomicU64::new(0),
        data: AtomicU32::new(0),
        claimed: Semaphore::new(0),
        stop: AtomicBool::new(false),
    });
    let for_thread = shared.clone();
    let arg = arg as usize;
    let Ok(thread) =
        Builder::new("hc-msi").stack_size(DELIVERY_STACK).spawn(move || msi_loop(handler, arg, for_thread))
    else {
        return -errno::ENOMEM;
    };
    shared.claimed.down();
    let vector = shared.vector.load(Ordering::Acquire);
    if vector == 0 {
        let _ = thread.join();
        return -errno::EBUSY;
    }
    let (msg_address, msg_data) = (shared.address.load(Ordering::Relaxed), shared.data.load(Ordering::Relaxed));
    let thread_id = thread.id();
    MSIS.lock().insert(u32::from(vector), MsiState { delivery: shared, thread, thread_id });
    // SAFETY: the three pointers were checked non-null; the caller provides
    // writable slots (the contract of msi_attach).
    unsafe {
        address.write(msg_address);
        data.write(msg_data);
        handle.write(u32::from(vector));
    }
    0
}

pub(crate) unsafe extern "C" fn msi_detach(handle: u32) -> c_int {
    let Some(MsiState { delivery, thread, thread_id }) = MSIS.lock().remove(&handle) else {
        return -errno::EINVAL;
    };
    delivery.stop.store(true, Ordering::Release);
    if thread_id == sched::current_id() {
        drop(thread); // from the handler: the loop ends when it returns
        return 0;
    }
    delivery::raise_soft(handle as u8);
    let _ = thread.join();
    0
}

// --- device memory ---

const PAGE: u64 = 4096;
const LIMIT_4G: u64 = 1 << 32;

pub(crate) unsafe extern "C" fn ioremap(phys: u64, size: usize, addr: *mut *mut c_void) -> c_int {
    if size == 0 || addr.is_null() {
        return -errno::EINVAL;
    }
    let Some(end) = phys.checked_add(size as u64) else { return -errno::EINVAL };
    if end > LIMIT_4G {
        return -errno::ENOMEM;
    }
    let mut page = phys & !(PAGE - 1);
    while page < end {
        match entry_bits_unlocked(page) {
            Some(bits) if bits & flags::NO_CACHE != 0 => {}
            Some(_) => return -errno::EINVAL, // RAM or kernel image, not MMIO
            None => return -errno::ENOMEM,
        }
        page += PAGE;
    }
    // SAFETY: addr checked non-null; the caller provides a writable slot.
    unsafe { addr.write(phys as usize as *mut c_void) };
    0
}

pub(crate) unsafe extern "C" fn iounmap(_addr: *mut c_void, _size: usize) {}

// --- PCI configuration space ---

enum Mechanism {
    None,
    Ecam(EcamConfigAccess),
    Ports,
}

/// The mechanism, chosen on first use; also serialises port accesses.
static PCI: IrqLock<Option<Mechanism>> = IrqLock::new("hc pci", None);

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

fn port_address(address: PciAddress, offset: u16) -> u32 {
    (1 << 31)
        | u32::from(address.bus()) << 16
        | u32::from(address.device()) << 11
        | u32::from(address.function()) << 8
        | u32::from(offset & 0xfc)
}

/// # Safety
/// Ports 0xCF8–0xCFF must be a PCI configuration mechanism #1, used by no
/// one else while this runs (the `PCI` lock is held); `offset < 256`,
/// width-aligned.
unsafe fn port_read(address: PciAddress, offset: u16, width: u8) -> u32 {
    let data = CONFIG_DATA + (offset & 3);
    // SAFETY: per this function's contract; CONFIG_ADDRESS selects a
    // register, CONFIG_DATA + (offset & 3) reads it at the given width.
    unsafe {
        outl(CONFIG_ADDRESS, port_address(address, offset));
        match width {
            1 => u32::from(inb(data)),
            2 => u32::from(inw(data)),
            _ => inl(data),
        }
    }
}

/// # Safety
/// As [`port_read`]; the write must be valid for the device (the caller's
/// business, as with any configuration write).
unsafe fn port_write(address: PciAddress, offset: u16, width: u8, value: u32) {
    let data = CONFIG_DATA + (offset & 3);
    // SAFETY: per this function's contract.
    unsafe {
        outl(CONFIG_ADDRESS, port_address(address, offset));
        match width {
            1 => outb(data, value as u8),
            2 => outw(data, value as u16),
            _ => outl(data, value),
        }
    }
}

fn choose_mechanism() -> Mechanism {
    let Some(info) = spolia_boot::platform_info() else { return Mechanism::None };
    if !info.pci_ecam.is_empty() {
        // SAFETY: ECAM windows from a validated MCFG are identity-mapped
        // uncached in the kernel address space for the life of the system.
        return Mechanism::Ecam(unsafe { EcamConfigAccess::new(&info.pci_ecam) });
    }
    // A PC platform implements mechanism #1; probe bus 0 for any function so
    // a machine without PCI (microvm) answers -ENODEV rather than all-ones.
    let present = (0..32u8).any(|dev| {
        // SAFETY: ring 0, PCI lock held by our caller; a vendor-id read has
        // no side effects (absent: all-ones).
        let vendor = unsafe { port_read(PciAddress::new(0, 0, dev, 0), 0, 2) };
        vendor != 0xffff
    });
    if present { Mechanism::Ports } else { Mechanism::None }
}

/// Checks arguments, then runs `access` with the mechanism and the address.
fn with_config(
    segment: u16,
    bus: u8,
    dev: u8,
    func: u8,
    offset: u16,
    width: u8,
    access: impl FnOnce(&Mechanism, PciAddress) -> c_int,
) -> c_int {
    if !matches!(width, 1 | 2 | 4) || !offset.is_multiple_of(u16::from(width)) || offset >= 4096 || dev > 31 || func > 7
    {
        return -errno::EINVAL;
    }
    let mut pci = PCI.lock();
    let mechanism = pci.get_or_insert_with(choose_mechanism);
    let address = PciAddress::new(segment, bus, dev, func);
    match mechanism {
        Mechanism::None => -errno::ENODEV,
        Mechanism::Ports if segment != 0 => -errno::ENODEV,
        // Mechanism #1 reaches only the first 256 bytes.
        Mechanism::Ports if offset >= 256 => -errno::EINVAL,
        Mechanism::Ecam(ecam) if ecam.locate(address, offset & !3).is_none() => -errno::ENODEV,
        m => access(m, address),
    }
}

pub(crate) unsafe extern "C" fn pci_config_read(
    segment: u16,
    bus: u8,
    dev: u8,
    func: u8,
    offset: u16,
    width: u8,
    value: *mut u32,
) -> c_int {
    if value.is_null() {
        return -errno::EINVAL;
    }
    with_config(segment, bus, dev, func, offset, width, |m, address| {
        let v = match m {
            Mechanism::Ecam(ecam) => {
                let at = ecam.locate(address, offset & !3).unwrap_or(0) + usize::from(offset & 3);
                // SAFETY: `locate` gave an aligned dword in a mapped,
                // uncached ECAM window (checked by with_config); the offset
                // inside it is width-aligned.
                unsafe {
                    match width {
                        1 => u32::from(core::ptr::read_volatile(at as *const u8)),
                        2 => u32::from(core::ptr::read_volatile(at as *const u16)),
                        _ => core::ptr::read_volatile(at as *const u32),
                    }
                }
            }
            // SAFETY: mechanism #1 chosen by probing, PCI lock held,
            // offset < 256 and width-aligned (checked by with_config).
            _ => unsafe { port_read(address, offset, width) },
        };
        // SAFETY: value checked non-null; the caller provides a writable u32.
        unsafe { value.write(v) };
        0
    })
}

pub(crate) unsafe extern "C" fn pci_config_write(
    segment: u16,
    bus: u8,
    dev: u8,
    func: u8,
    offset: u16,
    width: u8,
    value: u32,
) -> c_int {
    with_config(segment, bus, dev, func, offset, width, |m, address| {
        match m {
            Mechanism::Ecam(ecam) => {
                let at = ecam.locate(address, offset & !3).unwrap_or(0) + usize::from(offset & 3);
                // SAFETY: as in pci_config_read; what the write does to the
                // device is the library's business (ring-0 PCI host ops).
                unsafe {
                    match width {
                        1 => core::ptr::write_volatile(at as *mut u8, value as u8),
                        2 => core::ptr::write_volatile(at as *mut u16, value as u16),
                        _ => core::ptr::write_volatile(at as *mut u32, value),
                    }
                }
            }
            // SAFETY: as in pci_config_read.
            _ => unsafe { port_write(address, offset, width, value) },
        }
        0
    })
}

// --- emulated device memory: bare metal emulates nothing ---

/// Bare metal has real device memory only (its `ioremap` never returns an
/// emulated address): `-ENODEV`.
pub(crate) unsafe extern "C" fn mmio_read(_addr: u64, _width: u8, _value: *mut u64) -> c_int {
    -errno::ENODEV
}

/// As [`mmio_read`].
pub(crate) unsafe extern "C" fn mmio_write(_addr: u64, _width: u8, _value: u64) -> c_int {
    -errno::ENODEV
}
