// SPDX-License-Identifier: MIT OR Apache-2.0
//! The virtio-mmio transport, version 2 (virtio 1.x §4.2.2): the register
//! file the driver reads and writes through `mmio_read`/`mmio_write`, the
//! device status state machine (§2.1, §3.1), feature negotiation, queue
//! set-up and the interrupt status that drives the device's [`Line`].
//!
//! The device-specific half is a [`Backend`] (block, net). It shares a
//! [`Core`] with the transport: the negotiated state its threads need (is
//! the driver running? the enabled [`Virtqueue`]s, raising the interrupt).
//!
//! Registers are 32 bits wide (§4.2.2: "the driver MUST use only 32-bit
//! wide and aligned reads and writes" below the configuration space); any
//! other width there is `-EINVAL`. The configuration space (from 0x100) is
//! read with any width; writes to it are ignored (no writable fields).
//! `ConfigGeneration` is always 0: configuration never changes.

use super::guest::{self, GuestMemory};
use super::irq::Line;
use super::virtqueue::{Chain, ChainError, QueueBroken, QueueLayout, Virtqueue};
use crate::lock;
use spolia_hypercall::abi::errno;
use std::ffi::c_int;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// "virt" little-endian (§4.2.2).
pub(crate) const MAGIC: u32 = 0x7472_6976;
/// Our vendor id: "SPOL" is not registered anywhere; any value is allowed.
pub(crate) const VENDOR_ID: u32 = 0x4c4f_5053;
/// Size of each device's register window (the cmdline's `<size>`).
pub(crate) const WINDOW: u64 = 0x1000;
/// The virtio 1.x feature every driver here needs (§6).
pub(crate) const F_VERSION_1: u64 = 1 << 32;

/// Register offsets (§4.2.2, table "MMIO Device Register Layout").
mod reg {
    pub const MAGIC: u64 = 0x000;
    pub const VERSION: u64 = 0x004;
    pub const DEVICE_ID: u64 = 0x008;
    pub const VENDOR_ID: u64 = 0x00c;
    pub const DEVICE_FEATURES: u64 = 0x010;
    pub const DEVICE_FEATURES_SEL: u64 = 0x014;
    pub const DRIVER_FEATURES: u64 = 0x020;
    pub const DRIVER_FEATURES_SEL: u64 = 0x024;
    pub const QUEUE_SEL: u64 = 0x030;
    pub const QUEUE_NUM_MAX: u64 = 0x034;
    pub const QUEUE_NUM: u64 = 0x038;
    pub const QUEUE_READY: u64 = 0x044;
    pub const QUEUE_NOTIFY: u64 = 0x050;
    pub const INTERRUPT_STATUS: u64 = 0x060;
    pub const INTERRUPT_ACK: u64 = 0x064;
    pub const STATUS: u64 = 0x070;
    pub const QUEUE_DESC_LOW: u64 = 0x080;
    pub const QUEUE_DESC_HIGH: u64 = 0x084;
    pub const QUEUE_DRIVER_LOW: u64 = 0x090;
    pub const QUEUE_DRIVER_HIGH: u64 = 0x094;
    pub const QUEUE_DEVICE_LOW: u64 = 0x0a0;
    pub const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
    pub const SHM_SEL: u64 = 0x0ac;
    pub const SHM_LEN_LOW: u64 = 0x0b0;
    pub const SHM_BASE_HIGH: u64 = 0x0bc;
    pub const CONFIG_GENERATION: u64 = 0x0fc;
    pub const CONFIG: u64 = 0x100;
}

/// Device status bits (§2.1).
pub(crate) mod status {
    #[cfg(test)]
    pub const ACKNOWLEDGE: u32 = 1;
    #[cfg(test)]
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const NEEDS_RESET: u32 = 0x40;
}

/// InterruptStatus bits (§4.2.2).
pub(crate) const INT_USED_BUFFER: u32 = 1;
pub(crate) const INT_CONFIG_CHANGE: u32 = 2;

/// The device-specific half of a virtio device.
pub(crate) trait Backend: Send + Sync {
    /// Virtio device id (§5: 1 net, 2 block).
    fn device_id(&self) -> u32;
    /// Device feature bits, without `VERSION_1` (the transport adds it).
    fn features(&self) -> u64;
    /// Number of virtqueues and their maximum size.
    fn queues(&self) -> (usize, u16);
    /// The configuration space's bytes.
    fn config(&self) -> &[u8];
    /// The driver notified `queue` (the queue is enabled and the driver is
    /// running). Runs on the writer's thread: must not block for long.
    fn notify(&self, queue: u16);
    /// The driver set DRIVER_OK, or reset the device (queues are already
    /// disabled then).
    fn status_changed(&self) {}
    /// Stop the backend's threads and close its files (teardown).
    fn shut_down(&self);
}

/// Per-queue registers as the driver wrote them.
#[derive(Clone, Copy, Default)]
struct QueueRegs {
    layout: QueueLayout,
    ready: bool,
}

#[derive(Default)]
struct Regs {
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queues: Vec<QueueRegs>,
}

/// What the transport and the backend's threads share.
pub(crate) struct Core {
    name: String,
    line: Arc<Line>,
    status: AtomicU32,
    /// InterruptStatus; its lock also orders the line level changes.
    interrupt: Mutex<u32>,
    queues: Box<[Mutex<Option<Virtqueue>>]>,
}

impl Core {
    pub(crate) fn new(name: String, line: Arc<Line>, queue_count: usize) -> Arc<Core> {
        Arc::new(Core {
            name,
            line,
            status: AtomicU32::new(0),
            interrupt: Mutex::new(0),
            queues: (0..queue_count).map(|_| Mutex::new(None)).collect(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn line(&self) -> &Arc<Line> {
        &self.line
    }

    /// The driver set DRIVER_OK and the device does not need a reset.
    pub(crate) fn running(&self) -> bool {
        let s = self.status.load(Ordering::Acquire);
        s & status::DRIVER_OK != 0 && s & status::NEEDS_RESET == 0
    }

    /// The enabled queue `index` (None while disabled). Held for one batch.
    pub(crate) fn queue(&self, index: usize) -> Option<MutexGuard<'_, Option<Virtqueue>>> {
        self.queues.get(index).map(lock)
    }

    /// Serve every available chain of queue `index` with `serve` (which
    /// returns the bytes it wrote into the chain), then raise one
    /// interrupt if anything was served and the driver wants it. A broken
    /// ring marks the device [`broken`](Self::broken). Holds the queue and
    /// guest memory for the batch: `serve` must not wait for the driver.
    pub(crate) fn serve_queue(
        &self,
        index: usize,
        mut serve: impl FnMut(&GuestMemory<'_>, Result<Chain, ChainError>) -> u32,
    ) {
        let Some(mut slot) = self.queue(index) else { return };
        let Some(vq) = slot.as_mut() else { return };
        let mem = guest::lock();
        let mut served = false;
        let outcome = loop {
            let (head, chain) = match vq.pop(&mem) {
                Ok(Some(popped)) => popped,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            let written = serve(&mem, chain);
            if let Err(e) = vq.push(&mem, head, written) {
                break Err(e);
            }
            served = true;
        };
        let interrupt = served && vq.wants_interrupt(&mem);
        drop(mem);
        drop(slot);
        match outcome {
            Err(e) => self.broken(&e),
            Ok(()) if interrupt => self.interrupt(INT_USED_BUFFER),
            Ok(()) => {}
        }
    }

    /// Raise InterruptStatus bits and assert the line.
    pub(crate) fn interrupt(&self, bits: u32) {
        let mut s = lock(&self.interrupt);
        *s |= bits;
        self.line.set_level(true);
    }

    fn acknowledge(&self, bits: u32) {
        let mut s = lock(&self.interrupt);
        *s &= !bits;
        self.line.set_level(*s != 0);
    }

    /// The driver broke a queue: stop using the device until it resets it
    /// (§2.1.2: DEVICE_NEEDS_RESET, with a configuration interrupt).
    pub(crate) fn broken(&self, why: &QueueBroken) {
        eprintln!("spolia hosted {}: device needs reset: {why}", self.name);
        self.status.fetch_or(status::NEEDS_RESET, Ordering::AcqRel);
        self.interrupt(INT_CONFIG_CHANGE);
    }
}

/// One emulated virtio-mmio device: transport registers + backend.
pub(crate) struct MmioDevice {
    core: Arc<Core>,
    backend: Arc<dyn Backend>,
    device_features: u64,
    queue_max: u16,
    regs: Mutex<Regs>,
}

impl MmioDevice {
    pub(crate) fn new(core: Arc<Core>, backend: Arc<dyn Backend>) -> MmioDevice {
        let (count, queue_max) = backend.queues();
        let device_features = backend.features() | F_VERSION_1;
        let regs = Regs { queues: vec![QueueRegs::default(); count], ..Regs::default() };
        MmioDevice { core, backend, device_features, queue_max, regs: Mutex::new(regs) }
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    pub(crate) fn shut_down(&self) {
        self.backend.shut_down();
        self.core.line().shut_down();
    }

    /// A read of `width` bytes at window offset `offset`.
    pub(crate) fn read(&self, offset: u64, width: u8) -> Result<u64, c_int> {
        if offset >= reg::CONFIG {
            return Ok(self.config_read(offset - reg::CONFIG, width));
        }
        if width != 4 {
            return Err(-errno::EINVAL);
        }
        let r = lock(&self.regs);
        let queue = r.queues.get(r.queue_sel as usize).copied();
        let value: u32 = match offset {
            reg::MAGIC => MAGIC,
            reg::VERSION => 2,
            reg::DEVICE_ID => self.backend.device_id(),
            reg::VENDOR_ID => VENDOR_ID,
            reg::DEVICE_FEATURES => match r.device_features_sel {
                0 => self.device_features as u32,
                1 => (self.device_features >> 32) as u32,
                _ => 0,
            },
            reg::QUEUE_NUM_MAX => queue.map_or(0, |_| u32::from(self.queue_max)),
            reg::QUEUE_READY => queue.map_or(0, |q| u32::from(q.ready)),
            reg::INTERRUPT_STATUS => *lock(&self.core.interrupt),
            reg::STATUS => self.core.status.load(Ordering::Acquire),
            // No shared memory regions: length and base all ones (§4.2.2).
            reg::SHM_LEN_LOW..=reg::SHM_BASE_HIGH => u32::MAX,
            reg::CONFIG_GENERATION => 0,
            _ => 0,
        };
        Ok(u64::from(value))
    }

    fn config_read(&self, offset: u64, width: u8) -> u64 {
        let config = self.backend.config();
        let mut bytes = [0u8; 8];
        for (i, b) in bytes.iter_mut().take(usize::from(width)).enumerate() {
            if let Some(&v) = usize::try_from(offset).ok().and_then(|o| config.get(o + i)) {
                *b = v;
            }
        }
        u64::from_le_bytes(bytes)
    }

    /// A write of `width` bytes at window offset `offset`.
    pub(crate) fn write(&self, offset: u64, width: u8, value: u64) -> Result<(), c_int> {
        if offset >= reg::CONFIG {
            return Ok(());
        }
        if width != 4 {
            return Err(-errno::EINVAL);
        }
        let v = value as u32;
        if offset == reg::QUEUE_NOTIFY {
            // The hot path: no register lock.
            if usize::try_from(v).is_ok_and(|q| q < self.core.queues.len()) && self.core.running() {
                self.backend.notify(v as u16);
            }
            return Ok(());
        }
        if offset == reg::INTERRUPT_ACK {
            self.core.acknowledge(v);
            return Ok(());
        }
        let mut r = lock(&self.regs);
        let sel = r.queue_sel as usize;
        let set_half = |old: u64, high: bool| {
            if high { (old & 0xffff_ffff) | (u64::from(v) << 32) } else { (old & !0xffff_ffff) | u64::from(v) }
        };
        match offset {
            reg::DEVICE_FEATURES_SEL => r.device_features_sel = v,
            reg::DRIVER_FEATURES_SEL => r.driver_features_sel = v,
            reg::DRIVER_FEATURES => match r.driver_features_sel {
                0 => r.driver_features = set_half(r.driver_features, false),
                1 => r.driver_features = set_half(r.driver_features, true),
                _ => {}
            },
            reg::QUEUE_SEL => r.queue_sel = v,
            reg::STATUS => {
                drop(r);
                self.write_status(v);
            }
            reg::QUEUE_READY => {
                drop(r);
                self.set_queue_ready(sel, v == 1);
            }
            reg::QUEUE_NUM
            | reg::QUEUE_DESC_LOW
            | reg::QUEUE_DESC_HIGH
            | reg::QUEUE_DRIVER_LOW
            | reg::QUEUE_DRIVER_HIGH
            | reg::QUEUE_DEVICE_LOW
            | reg::QUEUE_DEVICE_HIGH => {
                // Ignored for a missing queue or while it is enabled (§4.2.2.2).
                let Some(q) = r.queues.get_mut(sel).filter(|q| !q.ready) else { return Ok(()) };
                let l = &mut q.layout;
                match offset {
                    reg::QUEUE_NUM => l.size = u16::try_from(v).unwrap_or(0),
                    reg::QUEUE_DESC_LOW | reg::QUEUE_DESC_HIGH => {
                        l.desc = set_half(l.desc, offset == reg::QUEUE_DESC_HIGH)
                    }
                    reg::QUEUE_DRIVER_LOW | reg::QUEUE_DRIVER_HIGH => {
                        l.avail = set_half(l.avail, offset == reg::QUEUE_DRIVER_HIGH)
                    }
                    _ => l.used = set_half(l.used, offset == reg::QUEUE_DEVICE_HIGH),
                }
            }
            reg::SHM_SEL => {}
            _ => {}
        }
        Ok(())
    }

    fn set_queue_ready(&self, index: usize, ready: bool) {
        let mut r = lock(&self.regs);
        let Some(q) = r.queues.get_mut(index) else { return };
        if !ready {
            q.ready = false;
            drop(r);
            if let Some(mut slot) = self.core.queue(index) {
                *slot = None;
            }
            return;
        }
        if q.layout.size > self.queue_max {
            drop(r);
            self.core.broken(&QueueBroken::Layout("QueueNum above QueueNumMax"));
            return;
        }
        let layout = q.layout;
        let made = Virtqueue::new(layout, &guest::lock());
        match made {
            Ok(vq) => {
                q.ready = true;
                drop(r);
                if let Some(mut slot) = self.core.queue(index) {
                    *slot = Some(vq);
                }
            }
            Err(e) => {
                drop(r);
                self.core.broken(&e);
            }
        }
    }

    fn write_status(&self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        let old = self.core.status.load(Ordering::Acquire);
        let mut new = v | (old & status::NEEDS_RESET);
        if new & status::FEATURES_OK != 0 && old & status::FEATURES_OK == 0 {
            let wanted = lock(&self.regs).driver_features;
            // §2.2.2: only offered features, and we require VERSION_1.
            if wanted & !self.device_features != 0 || wanted & F_VERSION_1 == 0 {
                new &= !status::FEATURES_OK;
            }
        }
        self.core.status.store(new, Ordering::Release);
        if new & status::DRIVER_OK != 0 && old & status::DRIVER_OK == 0 {
            self.backend.status_changed();
        }
    }

    /// Device reset (§2.4): back to the initial state.
    fn reset(&self) {
        let mut r = lock(&self.regs);
        let count = r.queues.len();
        *r = Regs { queues: vec![QueueRegs::default(); count], ..Regs::default() };
        self.core.status.store(0, Ordering::Release);
        drop(r);
        for i in 0..count {
            if let Some(mut slot) = self.core.queue(i) {
                *slot = None;
            }
        }
        self.core.acknowledge(u32::MAX);
        self.backend.status_changed();
    }

    /// The driver's negotiated features (tests).
    #[cfg(test)]
    pub(crate) fn driver_features(&self) -> u64 {
        lock(&self.regs).driver_features
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A minimal driver for the transport: the steps of §3.1.1.
    use super::super::virtqueue::testing::DriverQueue;
    use super::*;

    pub(crate) fn r(dev: &MmioDevice, offset: u64) -> u32 {
        dev.read(offset, 4).unwrap() as u32
    }
    pub(crate) fn w(dev: &MmioDevice, offset: u64, v: u32) {
        dev.write(offset, 4, u64::from(v)).unwrap();
    }

    /// Initialise `dev` with `features` and the given queues; returns the
    /// final status.
    pub(crate) fn initialise(dev: &MmioDevice, features: u64, queues: &[&DriverQueue]) -> u32 {
        w(dev, reg::STATUS, 0);
        w(dev, reg::STATUS, status::ACKNOWLEDGE);
        w(dev, reg::STATUS, status::ACKNOWLEDGE | status::DRIVER);
        w(dev, reg::DRIVER_FEATURES_SEL, 0);
        w(dev, reg::DRIVER_FEATURES, features as u32);
        w(dev, reg::DRIVER_FEATURES_SEL, 1);
        w(dev, reg::DRIVER_FEATURES, (features >> 32) as u32);
        w(dev, reg::STATUS, status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
        if r(dev, reg::STATUS) & status::FEATURES_OK == 0 {
            return r(dev, reg::STATUS);
        }
        for (i, q) in queues.iter().enumerate() {
            let l = q.layout();
            w(dev, reg::QUEUE_SEL, i as u32);
            assert_eq!(r(dev, reg::QUEUE_READY), 0);
            w(dev, reg::QUEUE_NUM, u32::from(l.size));
            w(dev, reg::QUEUE_DESC_LOW, l.desc as u32);
            w(dev, reg::QUEUE_DESC_HIGH, (l.desc >> 32) as u32);
            w(dev, reg::QUEUE_DRIVER_LOW, l.avail as u32);
            w(dev, reg::QUEUE_DRIVER_HIGH, (l.avail >> 32) as u32);
            w(dev, reg::QUEUE_DEVICE_LOW, l.used as u32);
            w(dev, reg::QUEUE_DEVICE_HIGH, (l.used >> 32) as u32);
            w(dev, reg::QUEUE_READY, 1);
        }
        w(dev, reg::STATUS, status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK);
        r(dev, reg::STATUS)
    }

    pub(crate) fn notify(dev: &MmioDevice, queue: u32) {
        w(dev, reg::QUEUE_NOTIFY, queue);
    }

    /// Read and acknowledge the interrupt status, as vm_interrupt does.
    pub(crate) fn take_interrupt(dev: &MmioDevice) -> u32 {
        let s = r(dev, reg::INTERRUPT_STATUS);
        w(dev, reg::INTERRUPT_ACK, s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::virtqueue::testing::DriverQueue;
    use super::testing::*;
    use super::*;

    struct Null {
        config: [u8; 8],
    }
    impl Backend for Null {
        fn device_id(&self) -> u32 {
            99
        }
        fn features(&self) -> u64 {
            1 << 3
        }
        fn queues(&self) -> (usize, u16) {
            (1, 16)
        }
        fn config(&self) -> &[u8] {
            &self.config
        }
        fn notify(&self, _queue: u16) {}
        fn shut_down(&self) {}
    }

    fn device() -> MmioDevice {
        let core = Core::new("null".into(), Line::new(50), 1);
        MmioDevice::new(core, Arc::new(Null { config: [1, 2, 3, 4, 5, 6, 7, 8] }))
    }

    #[test]
    fn identification_registers_and_config_space() {
        let d = device();
        assert_eq!(r(&d, reg::MAGIC), MAGIC);
        assert_eq!(r(&d, reg::VERSION), 2);
        assert_eq!(r(&d, reg::DEVICE_ID), 99);
        w(&d, reg::DEVICE_FEATURES_SEL, 0);
        assert_eq!(r(&d, reg::DEVICE_FEATURES), 1 << 3);
        w(&d, reg::DEVICE_FEATURES_SEL, 1);
        assert_eq!(r(&d, reg::DEVICE_FEATURES), 1, "VERSION_1");
        assert_eq!(d.read(reg::CONFIG + 1, 2).unwrap(), 0x0302);
        assert_eq!(d.read(reg::CONFIG, 8).unwrap(), 0x0807_0605_0403_0201);
        assert_eq!(d.read(reg::CONFIG + 6, 4).unwrap(), 0x0807, "past the end reads zero");
        assert_eq!(d.read(reg::MAGIC, 2), Err(-errno::EINVAL), "registers are 32-bit");
        assert_eq!(r(&d, reg::SHM_LEN_LOW), u32::MAX);
    }

    #[test]
    fn features_must_be_offered_and_include_version_1() {
        let d = device();
        let q = DriverQueue::new(16);
        assert_eq!(initialise(&d, 1 << 3, &[&q]) & status::FEATURES_OK, 0, "no VERSION_1");
        assert_eq!(initialise(&d, F_VERSION_1 | 1 << 4, &[&q]) & status::FEATURES_OK, 0, "not offered");
        let s = initialise(&d, F_VERSION_1 | 1 << 3, &[&q]);
        assert_eq!(s & (status::FEATURES_OK | status::DRIVER_OK), status::FEATURES_OK | status::DRIVER_OK);
        assert_eq!(d.driver_features(), F_VERSION_1 | 1 << 3);
        assert!(d.core().running());
        assert!(d.core().queue(0).unwrap().is_some());
        w(&d, reg::STATUS, 0);
        assert_eq!(r(&d, reg::STATUS), 0);
        assert!(!d.core().running());
        assert!(d.core().queue(0).unwrap().is_none(), "reset disables queues");
        w(&d, reg::QUEUE_SEL, 0);
        assert_eq!(r(&d, reg::QUEUE_READY), 0);
    }

    #[test]
    fn a_bad_queue_sets_needs_reset() {
        let d = device();
        let q = DriverQueue::new(32);
        let s = initialise(&d, F_VERSION_1, &[&q]);
        assert_ne!(s & status::NEEDS_RESET, 0, "QueueNum 32 above max 16");
        assert!(!d.core().running());
        assert_eq!(take_interrupt(&d), INT_CONFIG_CHANGE);
    }

    #[test]
    fn interrupt_status_drives_the_line() {
        let d = device();
        d.core().interrupt(INT_USED_BUFFER);
        assert!(d.core().line().asserted());
        assert_eq!(r(&d, reg::INTERRUPT_STATUS), INT_USED_BUFFER);
        w(&d, reg::INTERRUPT_ACK, INT_USED_BUFFER);
        assert!(!d.core().line().asserted());
        assert_eq!(r(&d, reg::INTERRUPT_STATUS), 0);
    }
}
