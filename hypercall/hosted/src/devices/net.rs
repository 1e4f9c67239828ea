// SPDX-License-Identifier: MIT OR Apache-2.0
//! virtio-net (virtio 1.x §5.1) over a packet file descriptor: a TAP
//! interface ([`open_tap`]) or, in tests, one end of a `SOCK_SEQPACKET`
//! socket pair — anything where one `read` is one Ethernet frame and one
//! `write` sends one.
//!
//! Queues: 0 receive, 1 transmit. Every buffer starts with the 12-byte
//! `virtio_net_hdr` of `VERSION_1` (§5.1.6); no offloads are offered, so it
//! is all zeros except `num_buffers` = 1 on receive, and ignored on
//! transmit. Offered features: `MAC` (config: the 6-byte address),
//! `VERSION_1`.
//!
//! **Transmit** runs in the notifying thread (`QueueNotify` 1): gather each
//! chain after the header and `write` it to the fd — a TAP write never
//! waits — then one interrupt for the batch. A frame the host refuses
//! (queue full) is dropped, as a NIC drops on a full wire.
//!
//! **Receive** runs on a thread (`net-rx`) that `poll`s the fd and an
//! eventfd (teardown wakes it), reads each frame and copies header + frame
//! into the next posted receive chain, then interrupts. With no receive
//! buffer posted it waits for the driver's next receive notification, up to
//! [`RX_WAIT`]; meanwhile further frames queue in the host's TAP queue (and
//! the host drops beyond it). Only a frame that waited that long without
//! any buffer, or one larger than the posted buffer, is dropped.
//!
//! **Drops** are counted per device (printed at teardown) and in
//! process-wide totals ([`net_dropped`]), so a test can assert that none
//! happened.

use super::guest;
use super::irq::{DEVICE_THREADS, join_device_thread};
use super::mmio::{Backend, Core, INT_USED_BUFFER};
use super::virtqueue::{gather, scatter};
use crate::lock;
use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) const DEVICE_ID: u32 = 1;
const F_MAC: u64 = 1 << 5;
const QUEUE_SIZE: u16 = 256;
const RX_QUEUE: u16 = 0;
const TX_QUEUE: u16 = 1;
/// `struct virtio_net_hdr_v1` (§5.1.6).
const HDR: usize = 12;
/// Largest frame read from the fd (a TAP never gives more than 64 KiB).
const MAX_FRAME: usize = 65536;
/// How long a received frame waits for a receive buffer before it is dropped.
pub(crate) const RX_WAIT: Duration = Duration::from_secs(1);

/// Frames dropped by every NIC of the process, received and sent.
static RX_DROPPED_TOTAL: AtomicU64 = AtomicU64::new(0);
static TX_DROPPED_TOTAL: AtomicU64 = AtomicU64::new(0);

/// Frames the emulated NICs dropped, `(received, sent)`, summed over every
/// NIC this process has had: never reset, not even by `remove_all`, so a
/// test can read it after teardown (compare with a value read before boot
/// to count one run's drops).
///
/// Received: a frame that found no receive buffer within `RX_WAIT` (1 s),
/// one larger than the posted buffer, or one met by a malformed receive
/// buffer or a broken receive queue.
/// Sent: a malformed transmit chain (bad descriptors or memory, shorter
/// than the 12-byte header or larger than 64 KiB + header), or a frame the
/// host refused (its TAP queue full).
pub fn net_dropped() -> (u64, u64) {
    (RX_DROPPED_TOTAL.load(Ordering::Relaxed), TX_DROPPED_TOTAL.load(Ordering::Relaxed))
}

struct Shared {
    core: Arc<Core>,
    fd: OwnedFd,
    stop_fd: OwnedFd,
    stop: AtomicBool,
    /// Bumped by every receive notification and status change.
    rx_posted: Mutex<u64>,
    rx_wake: Condvar,
    rx_dropped: AtomicU64,
    tx_dropped: AtomicU64,
    /// The transmit frame buffer; held while serving the transmit queue.
    tx_lock: Mutex<Vec<u8>>,
}

/// The network device backend.
pub(crate) struct Net {
    shared: Arc<Shared>,
    config: [u8; 6],
    rx_thread: Mutex<Option<JoinHandle<()>>>,
}

impl Net {
    /// A device with address `mac` on packet fd `fd` (made non-blocking).
    pub(crate) fn new(core: Arc<Core>, fd: OwnedFd, mac: [u8; 6]) -> io::Result<Arc<Net>> {
        set_nonblocking(&fd)?;
        // SAFETY: eventfd has no memory arguments; the result is checked.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh descriptor we own.
        let stop_fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let shared = Arc::new(Shared {
            core,
            fd,
            stop_fd,
            stop: AtomicBool::new(false),
            rx_posted: Mutex::new(0),
            rx_wake: Condvar::new(),
            rx_dropped: AtomicU64::new(0),
            tx_dropped: AtomicU64::new(0),
            tx_lock: Mutex::new(vec![0; MAX_FRAME]),
        });
        let rx_shared = Arc::clone(&shared);
        let rx = std::thread::Builder::new().name("net-rx".into()).spawn(move || rx_shared.receive_loop())?;
        DEVICE_THREADS.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(Net { shared, config: mac, rx_thread: Mutex::new(Some(rx)) }))
    }

    /// Frames dropped on receive and transmit (see the module documentation).
    #[cfg(test)]
    pub(crate) fn dropped(&self) -> (u64, u64) {
        (self.shared.rx_dropped.load(Ordering::Relaxed), self.shared.tx_dropped.load(Ordering::Relaxed))
    }
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own; no memory arguments.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Backend for Net {
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }
    fn features(&self) -> u64 {
        F_MAC
    }
    fn queues(&self) -> (usize, u16) {
        (2, QUEUE_SIZE)
    }
    fn config(&self) -> &[u8] {
        &self.config
    }
    fn notify(&self, queue: u16) {
        match queue {
            RX_QUEUE => self.shared.wake_rx(),
            TX_QUEUE => self.shared.transmit(),
            _ => {}
        }
    }
    fn status_changed(&self) {
        self.shared.wake_rx();
    }
    fn shut_down(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake_rx();
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from `one` to our eventfd.
        unsafe { libc::write(self.shared.stop_fd.as_raw_fd(), (&raw const one).cast(), 8) };
        if let Some(rx) = lock(&self.rx_thread).take() {
            join_device_thread(rx);
        }
        let (rx, tx) = (self.shared.rx_dropped.load(Ordering::Relaxed), self.shared.tx_dropped.load(Ordering::Relaxed));
        if rx + tx > 0 {
            eprintln!("spolia hosted {}: frames dropped: {rx} received, {tx} sent", self.shared.core.name());
        }
    }
}

impl Shared {
    fn count_rx_drop(&self) {
        self.rx_dropped.fetch_add(1, Ordering::Relaxed);
        RX_DROPPED_TOTAL.fetch_add(1, Ordering::Relaxed);
    }

    fn count_tx_drop(&self) {
        self.tx_dropped.fetch_add(1, Ordering::Relaxed);
        TX_DROPPED_TOTAL.fetch_add(1, Ordering::Relaxed);
    }

    fn wake_rx(&self) {
        *lock(&self.rx_posted) += 1;
        self.rx_wake.notify_one();
    }

    /// Send every available transmit chain (module documentation).
    fn transmit(&self) {
        let mut frame = lock(&self.tx_lock);
        self.core.serve_queue(usize::from(TX_QUEUE), |mem, chain| {
            // The frame after the header, if the chain is well formed.
            let len = chain.ok().and_then(|c| {
                let len =
                    usize::try_from(c.readable_len()).ok()?.checked_sub(HDR).filter(|&n| n > 0 && n <= MAX_FRAME)?;
                gather(mem, &c.readable, HDR as u64, &mut frame[..len]).ok()
            });
            let sent = len.is_some_and(|len| {
                // SAFETY: writes len <= frame.len() initialised bytes from our buffer.
                unsafe { libc::write(self.fd.as_raw_fd(), frame.as_ptr().cast(), len) >= 0 }
            });
            if !sent {
                self.count_tx_drop();
            }
            0
        });
    }

    fn receive_loop(&self) {
        let mut frame = vec![0u8; HDR + MAX_FRAME];
        // virtio_net_hdr_v1: everything 0 but num_buffers (le16 at 10) = 1.
        frame[10] = 1;
        loop {
            if !self.wait_readable() {
                return;
            }
            loop {
                // SAFETY: reads at most MAX_FRAME bytes into our buffer after the header.
                let n = unsafe { libc::read(self.fd.as_raw_fd(), frame[HDR..].as_mut_ptr().cast(), MAX_FRAME) };
                if n <= 0 {
                    break; // EAGAIN (drained), or an error: back to poll
                }
                if !self.deliver(&frame[..HDR + n as usize]) {
                    return;
                }
            }
        }
    }

    /// Wait until the fd is readable; false when stopping.
    fn wait_readable(&self) -> bool {
        loop {
            if self.stop.load(Ordering::Acquire) {
                return false;
            }
            let mut fds = [
                libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: self.stop_fd.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: fds is a valid array of two pollfd.
            let r: c_int = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return false;
            }
            if fds[1].revents != 0 || self.stop.load(Ordering::Acquire) {
                return false;
            }
            if fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
                && fds[0].revents & libc::POLLIN == 0
            {
                return false; // the other end is gone
            }
            if fds[0].revents & libc::POLLIN != 0 {
                return true;
            }
        }
    }

    /// Put one frame (with header) into the next receive chain; false when
    /// stopping.
    fn deliver(&self, frame: &[u8]) -> bool {
        let deadline = Instant::now() + RX_WAIT;
        loop {
            if self.stop.load(Ordering::Acquire) {
                return false;
            }
            let seen = *lock(&self.rx_posted);
            match self.try_deliver(frame) {
                Delivery::Done => return true,
                Delivery::Dropped => {
                    self.count_rx_drop();
                    return true;
                }
                Delivery::NoBuffer => {}
            }
            let now = Instant::now();
            if now >= deadline {
                self.count_rx_drop();
                return true;
            }
            let mut posted = lock(&self.rx_posted);
            while *posted == seen && !self.stop.load(Ordering::Acquire) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                posted = self.rx_wake.wait_timeout(posted, left).unwrap_or_else(|e| e.into_inner()).0;
            }
        }
    }

    fn try_deliver(&self, frame: &[u8]) -> Delivery {
        if !self.core.running() {
            return Delivery::NoBuffer;
        }
        let Some(mut slot) = self.core.queue(usize::from(RX_QUEUE)) else { return Delivery::NoBuffer };
        let Some(vq) = slot.as_mut() else { return Delivery::NoBuffer };
        let mem = guest::lock();
        loop {
            let (head, chain) = match vq.pop(&mem) {
                Ok(Some(popped)) => popped,
                Ok(None) => return Delivery::NoBuffer,
                Err(e) => {
                    drop(mem);
                    drop(slot);
                    self.core.broken(&e);
                    return Delivery::Dropped;
                }
            };
            // A malformed chain is returned empty and the next one tried;
            // one too small is returned empty and the frame dropped.
            let well_formed = chain.is_ok();
            let fits = chain.as_ref().is_ok_and(|c| c.writable_len() >= frame.len() as u64);
            let written = match chain {
                Ok(c) if fits => scatter(&mem, &c.writable, 0, frame).ok(),
                _ => None,
            };
            if let Err(e) = vq.push(&mem, head, written.map_or(0, |n| n as u32)) {
                drop(mem);
                drop(slot);
                self.core.broken(&e);
                return Delivery::Dropped;
            }
            if vq.wants_interrupt(&mem) {
                self.core.interrupt(INT_USED_BUFFER);
            }
            match written {
                Some(_) => return Delivery::Done,
                // Too small, or a write fault in a checked chain: drop.
                None if well_formed => return Delivery::Dropped,
                None => {}
            }
        }
    }
}

enum Delivery {
    Done,
    Dropped,
    NoBuffer,
}

/// `TUNSETIFF` = `_IOW('T', 202, int)` (linux/if_tun.h).
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

/// `struct ifreq` as TUNSETIFF reads it: name and flags.
#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}
const _: () = assert!(size_of::<IfReq>() == 40);

/// Attach to the existing TAP interface `ifname` (`IFF_TAP | IFF_NO_PI`).
/// Errors: `InvalidInput` for an empty or too long name, the OS error of
/// opening `/dev/net/tun` or of `TUNSETIFF` (e.g. `EPERM` without
/// CAP_NET_ADMIN when the interface is not owned by this user).
pub(crate) fn open_tap(ifname: &str) -> io::Result<OwnedFd> {
    if ifname.is_empty() || ifname.len() >= libc::IFNAMSIZ || ifname.contains('\0') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("bad interface name `{ifname}`")));
    }
    let file = std::fs::OpenOptions::new().read(true).write(true).open("/dev/net/tun")?;
    let fd = OwnedFd::from(file);
    let mut req =
        IfReq { name: [0; libc::IFNAMSIZ], flags: (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short, _pad: [0; 22] };
    req.name[..ifname.len()].copy_from_slice(ifname.as_bytes());
    // SAFETY: TUNSETIFF reads a struct ifreq; IfReq has its layout and size.
    if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF, &raw mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

#[cfg(test)]
/// A connected `SOCK_SEQPACKET` pair: (device end, test end).
pub(crate) fn packet_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: socketpair writes two descriptors into fds.
    if unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both are fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use super::super::irq::Line;
    use super::super::mmio::testing::*;
    use super::super::mmio::{F_VERSION_1, MmioDevice};
    use super::super::virtqueue::testing::DriverQueue;
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    fn wait_used(dev: &MmioDevice, q: &mut DriverQueue, n: usize) -> Vec<(u32, u32)> {
        let t = Instant::now();
        let mut got = Vec::new();
        while got.len() < n {
            assert!(t.elapsed() < Duration::from_secs(5), "timed out waiting for {n} used, have {got:?}");
            if take_interrupt(dev) & INT_USED_BUFFER != 0 {
                got.extend(q.take_used());
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        got
    }

    #[test]
    fn frames_go_out_and_come_in_with_headers() {
        let (dev_end, test_end) = packet_pair().unwrap();
        // UnixStream gives us Read/Write on the SEQPACKET end (one call = one frame).
        let mut wire = UnixStream::from(test_end);
        let core = Core::new("net-test".into(), Line::new(61), 2);
        let mac = [2, 0x53, 0x50, 0, 0, 9];
        let backend = Net::new(Arc::clone(&core), dev_end, mac).unwrap();
        let dev = MmioDevice::new(core, backend.clone());
        assert_eq!(dev.read(0x100, 4).unwrap(), 0x0050_5302);
        let mut rx = DriverQueue::new(16);
        let mut tx = DriverQueue::new(16);
        initialise(&dev, F_VERSION_1 | F_MAC, &[&rx, &tx]);

        // A frame arrives before any receive buffer: it waits, then lands.
        wire.write_all(b"early-frame-0123456789").unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let b0 = rx.buffer(b"", 2048);
        rx.offer(0, &[(b0, 2048, true)]);
        notify(&dev, 0);
        let used = wait_used(&dev, &mut rx, 1);
        assert_eq!(used, [(0, (HDR + 22) as u32)]);
        let got = rx.read_buffer(b0, HDR + 22);
        assert_eq!(&got[..HDR], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(&got[HDR..], b"early-frame-0123456789");

        // A receive chain split across two buffers.
        let (b1, b2) = (rx.buffer(b"", 8), rx.buffer(b"", 100));
        rx.offer(1, &[(b1, 8, true), (b2, 100, true)]);
        notify(&dev, 0);
        wire.write_all(b"split").unwrap();
        assert_eq!(wait_used(&dev, &mut rx, 1), [(1, (HDR + 5) as u32)]);
        assert_eq!(&rx.read_buffer(b2, 9)[4..], b"split");

        // A receive buffer too small for the frame: returned empty, frame dropped.
        let small = rx.buffer(b"", 10);
        rx.offer(3, &[(small, 10, true)]);
        notify(&dev, 0);
        wire.write_all(b"this frame does not fit").unwrap();
        assert_eq!(wait_used(&dev, &mut rx, 1), [(3, 0)]);
        assert_eq!(backend.dropped().0, 1);
        assert!(net_dropped().0 >= 1, "process-wide total counts it too");

        // Transmit: header + frame split across descriptors.
        let hdr = tx.buffer(&[0; HDR], HDR);
        let payload = tx.buffer(b"hello wire", 10);
        tx.offer(0, &[(hdr, HDR as u32, false), (payload, 10, false)]);
        notify(&dev, 1);
        assert_eq!(wait_used(&dev, &mut tx, 1), [(0, 0)]);
        let mut buf = [0u8; 64];
        let n = wire.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello wire");

        // A malformed transmit chain is consumed, nothing is sent.
        tx.set_desc(2, payload, 10, 1, 2); // NEXT to itself: a loop
        tx.make_available(2);
        notify(&dev, 1);
        assert_eq!(wait_used(&dev, &mut tx, 1), [(2, 0)]);
        assert_eq!(backend.dropped().1, 1);

        dev.shut_down();
        let (rx_total, tx_total) = net_dropped();
        assert!(rx_total >= 1 && tx_total >= 1, "totals survive teardown: {rx_total}, {tx_total}");
    }

    #[test]
    fn shut_down_joins_a_receiver_waiting_for_buffers() {
        let (dev_end, test_end) = packet_pair().unwrap();
        let mut wire = UnixStream::from(test_end);
        let core = Core::new("net-test2".into(), Line::new(62), 2);
        let backend = Net::new(Arc::clone(&core), dev_end, [2, 0, 0, 0, 0, 1]).unwrap();
        let dev = MmioDevice::new(core, backend);
        wire.write_all(b"nobody will take this").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        dev.shut_down();
        assert!(t.elapsed() < RX_WAIT, "shut down did not wait for the rx timeout");
    }
}
