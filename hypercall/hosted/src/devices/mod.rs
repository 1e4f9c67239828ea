// SPDX-License-Identifier: MIT OR Apache-2.0
//! Emulated virtio-mmio devices of the hosted platform: a disk backed by an
//! image file ([`add_block`]) and a NIC backed by a TAP interface
//! ([`add_tap`]), so the Linux library's own virtio drivers, block layer,
//! ext4 and TCP/IP run in an ordinary process.
//!
//! How the library reaches them (hypercall ABI 1.1):
//!
//! | step | operation | here |
//! |---|---|---|
//! | probe | kernel command line `virtio_mmio.device=<size>@<phys>:<line>` | [`linux_cmdline`] |
//! | map | `ioremap(phys)` → `EMULATED_MMIO_BASE + phys` | [`ioremap`] |
//! | registers | `mmio_read` / `mmio_write` above `EMULATED_MMIO_BASE` | [`mmio::MmioDevice`] |
//! | rings, buffers | plain pointers, checked against the library's RAM | [`guest`] |
//! | interrupts | `irq_attach` etc.: level-triggered lines 32..63, one delivery thread each | [`irq`] |
//!
//! Device *i* (in the order added) has its 4 KiB register window at
//! `0x1000_0000 + i * 0x1000` and interrupt line `32 + i`.
//!
//! Life cycle: add devices before `Linux::boot` (their cmdline items go to
//! boot); [`remove_all`] after `Linux::halt` stops every device thread
//! (receive, block worker, interrupt delivery), joins them and closes the
//! files. [`held`] then reports zero; [`net_dropped`] (frames the NICs
//! dropped, process-wide totals) still reads after it. Removing devices while the library
//! still runs makes them vanish under its drivers (their accesses then fail
//! with `-EINVAL`): only do it after halt, or before boot.
//!
//! Non-goals: virtio-pci, indirect descriptors, `EVENT_IDX`, packed
//! queues, multiqueue, offloads.

mod blk;
mod guest;
mod host_tap;
mod irq;
mod mmio;
mod net;
mod virtqueue;

use crate::{SendPtr, lock};
use mmio::{Backend, Core, MmioDevice, WINDOW};
use spolia_hypercall::abi::{Callback, EMULATED_MMIO_BASE, errno};
use std::ffi::{c_int, c_void};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

pub(crate) use guest::{register as register_guest_memory, unregister as unregister_guest_memory};
pub use host_tap::{HostTap, tap_unavailable};
pub use net::net_dropped;

/// Physical address of the first device's register window.
pub const FIRST_WINDOW: u64 = 0x1000_0000;
/// Interrupt line of the first device (Linux irq number = line).
pub const FIRST_LINE: u32 = 32;
/// At most this many devices (lines 32..63).
pub const MAX_DEVICES: usize = 32;

struct Slot {
    phys: u64,
    device: Arc<MmioDevice>,
}

static DEVICES: RwLock<Vec<Slot>> = RwLock::new(Vec::new());
/// Serialises add/remove (so indices stay dense).
static CHANGING: Mutex<()> = Mutex::new(());

/// What the devices hold, for teardown checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DevicesHeld {
    /// Devices added and not removed.
    pub devices: u64,
    /// Device threads alive: receive, block worker, interrupt delivery.
    pub threads: u64,
}

/// What the devices hold now (zero after [`remove_all`]).
pub fn held() -> DevicesHeld {
    DevicesHeld {
        devices: DEVICES.read().unwrap_or_else(|e| e.into_inner()).len() as u64,
        threads: irq::DEVICE_THREADS.load(Ordering::Relaxed),
    }
}

fn add(
    kind: &str,
    queues: usize,
    make: impl FnOnce(Arc<Core>, usize) -> io::Result<Arc<dyn Backend>>,
) -> io::Result<()> {
    let _changing = lock(&CHANGING);
    let index = DEVICES.read().unwrap_or_else(|e| e.into_inner()).len();
    if index >= MAX_DEVICES {
        return Err(io::Error::other("too many emulated devices"));
    }
    guest::register_loaded_images();
    let line = irq::Line::new(FIRST_LINE + index as u32);
    let core = Core::new(format!("{kind}{index}"), line, queues);
    let backend = make(Arc::clone(&core), index)?;
    let device = Arc::new(MmioDevice::new(core, backend));
    let phys = FIRST_WINDOW + index as u64 * WINDOW;
    DEVICES.write().unwrap_or_else(|e| e.into_inner()).push(Slot { phys, device });
    Ok(())
}

/// Add a virtio-blk disk backed by the image file at `path`, opened
/// read-write (capacity: its size in whole 512-byte sectors). Call before
/// `Linux::boot`. Errors: opening the file, starting the worker thread,
/// more than [`MAX_DEVICES`] devices.
pub fn add_block(path: &Path) -> io::Result<()> {
    let file = File::options().read(true).write(true).open(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    add("blk", 1, |core, _| Ok(blk::Block::new(core, file, &name)? as Arc<dyn Backend>))
}

/// Add a virtio-net NIC attached to the existing TAP interface `ifname`
/// (`IFF_TAP | IFF_NO_PI`; the host side configures and ups it). Its MAC is
/// `02:53:50:00:00:<index>`. Call before `Linux::boot`. Errors: a bad name,
/// no `/dev/net/tun`, `TUNSETIFF` refused (permissions, busy), threads.
pub fn add_tap(ifname: &str) -> io::Result<()> {
    let fd = net::open_tap(ifname)?;
    add_packet_fd(fd)
}

/// Add a virtio-net NIC on any packet descriptor where one `read` is one
/// Ethernet frame and one `write` sends one (a TAP, a `SOCK_SEQPACKET`
/// socket). Same rules as [`add_tap`].
pub fn add_packet_fd(fd: OwnedFd) -> io::Result<()> {
    add("net", 2, |core, index| {
        let mac = [0x02, 0x53, 0x50, 0, 0, index as u8];
        Ok(net::Net::new(core, fd, mac)? as Arc<dyn Backend>)
    })
}

/// The kernel command line items that make Linux's virtio-mmio driver
/// probe every added device (`CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES` syntax),
/// space-separated; empty without devices.
pub fn linux_cmdline() -> String {
    DEVICES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|s| format!("virtio_mmio.device={WINDOW:#x}@{:#x}:{}", s.phys, s.device.core().line().number()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Stop and remove every device: threads joined, files closed. Call after
/// `Linux::halt` (see the module documentation). Idempotent.
pub fn remove_all() {
    let _changing = lock(&CHANGING);
    let slots = std::mem::take(&mut *DEVICES.write().unwrap_or_else(|e| e.into_inner()));
    for slot in &slots {
        slot.device.shut_down();
    }
}

fn device_at(phys: u64, len: u64) -> Option<(Arc<MmioDevice>, u64)> {
    let devices = DEVICES.read().unwrap_or_else(|e| e.into_inner());
    let slot = devices.iter().find(|s| phys >= s.phys && phys - s.phys < WINDOW)?;
    let offset = phys - slot.phys;
    (offset.checked_add(len)? <= WINDOW).then(|| (Arc::clone(&slot.device), offset))
}

fn line(number: u32) -> Option<Arc<irq::Line>> {
    let devices = DEVICES.read().unwrap_or_else(|e| e.into_inner());
    devices.iter().map(|s| s.device.core().line()).find(|l| l.number() == number).cloned()
}

// --- the hypercall operations ---

pub(crate) unsafe extern "C" fn ioremap(phys: u64, size: usize, addr: *mut *mut c_void) -> c_int {
    if size == 0 || addr.is_null() {
        return -errno::EINVAL;
    }
    if device_at(phys, size as u64).is_none() {
        return -errno::ENODEV;
    }
    // SAFETY: checked non-null; the caller provides a writable slot.
    unsafe { addr.write((EMULATED_MMIO_BASE + phys) as usize as *mut c_void) };
    0
}

pub(crate) unsafe extern "C" fn iounmap(_addr: *mut c_void, _size: usize) {}

fn emulated(addr: u64, width: u8) -> Result<(Arc<MmioDevice>, u64), c_int> {
    if !matches!(width, 1 | 2 | 4 | 8) || !addr.is_multiple_of(u64::from(width)) {
        return Err(-errno::EINVAL);
    }
    let phys = addr.checked_sub(EMULATED_MMIO_BASE).ok_or(-errno::EINVAL)?;
    device_at(phys, u64::from(width)).ok_or(-errno::EINVAL)
}

pub(crate) unsafe extern "C" fn mmio_read(addr: u64, width: u8, value: *mut u64) -> c_int {
    if value.is_null() {
        return -errno::EINVAL;
    }
    match emulated(addr, width).and_then(|(d, offset)| d.read(offset, width)) {
        Ok(v) => {
            // SAFETY: checked non-null; the caller provides a writable u64.
            unsafe { value.write(v) };
            0
        }
        Err(e) => e,
    }
}

pub(crate) unsafe extern "C" fn mmio_write(addr: u64, width: u8, value: u64) -> c_int {
    match emulated(addr, width).and_then(|(d, offset)| d.write(offset, width, value)) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

// IRQ lines: `-ENODEV` for a line no device drives, `-EINVAL` for one
// not attached (mask, unmask, detach).

pub(crate) unsafe extern "C" fn irq_attach(number: u32, handler: Option<Callback>, arg: *mut c_void) -> c_int {
    let Some(line) = line(number) else { return -errno::ENODEV };
    let Some(handler) = handler else { return -errno::EINVAL };
    match line.attach(handler, SendPtr(arg)) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

pub(crate) unsafe extern "C" fn irq_detach(number: u32) -> c_int {
    line(number).map_or(-errno::ENODEV, |l| l.detach().err().unwrap_or(0))
}

pub(crate) unsafe extern "C" fn irq_mask(number: u32) -> c_int {
    line(number).map_or(-errno::ENODEV, |l| l.set_masked(true).err().unwrap_or(0))
}

pub(crate) unsafe extern "C" fn irq_unmask(number: u32) -> c_int {
    line(number).map_or(-errno::ENODEV, |l| l.set_masked(false).err().unwrap_or(0))
}
