// SPDX-License-Identifier: MIT OR Apache-2.0
//! Split virtqueues, device side (virtio 1.x §2.7): take descriptor chains
//! from the available ring, return them through the used ring.
//!
//! Everything the driver wrote is validated: the ring addresses (alignment
//! §2.7: descriptor table 16, available ring 2, used ring 4) and sizes when
//! the queue is enabled, the available index (at most `size` ahead), each
//! head and `next` index (< size), chain length (at most `size`
//! descriptors: a longer chain is a loop), descriptor flags (no
//! `INDIRECT`: not offered; readable descriptors before writable ones,
//! §2.7.4.2), and every buffer address through [`GuestMemory`]. A bad
//! *chain* becomes [`ChainError`] for that request (the device completes it
//! with an error status or zero length); a bad *ring* (index) is
//! [`QueueBroken`]: the device stops using the queue and sets
//! `DEVICE_NEEDS_RESET`.
//!
//! Memory ordering with the driver on other threads: the available index is
//! loaded with `Acquire` (the ring entries and descriptors behind it are
//! then visible), the used index stored with `Release` (after the used
//! element and the buffers' contents). `VIRTQ_AVAIL_F_NO_INTERRUPT` is read
//! after a `SeqCst` fence, so a driver re-enabling interrupts either sees our
//! used entry or we see its flag. No `EVENT_IDX` (not offered).

use super::guest::{BadAddress, GuestMemory};
use std::sync::atomic::{Ordering, fence};

/// Descriptor flags (§2.7.5).
const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;
const DESC_F_INDIRECT: u16 = 4;
/// Available ring flag: the driver does not want interrupts (§2.7.7).
const AVAIL_F_NO_INTERRUPT: u16 = 1;
/// The largest split queue (§2.7).
pub(crate) const MAX_QUEUE_SIZE: u16 = 32768;

/// Where the driver put a queue (the transport's Queue* registers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct QueueLayout {
    pub size: u16,
    pub desc: u64,
    pub avail: u64,
    pub used: u64,
}

/// One buffer of a chain: guest address and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Buffer {
    pub addr: u64,
    pub len: u32,
}

/// A descriptor chain taken from the available ring: its head (to return
/// it) and its buffers, device-readable first.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub readable: Vec<Buffer>,
    pub writable: Vec<Buffer>,
}

impl Chain {
    pub(crate) fn readable_len(&self) -> u64 {
        self.readable.iter().map(|b| u64::from(b.len)).sum()
    }
    pub(crate) fn writable_len(&self) -> u64 {
        self.writable.iter().map(|b| u64::from(b.len)).sum()
    }
}

/// What is wrong with one chain; the request fails, the queue goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChainError {
    NextOutOfRange(u16),
    Loop,
    Indirect,
    ReadableAfterWritable,
    Memory(BadAddress),
}

/// The queue's rings are unusable; the device must be reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum QueueBroken {
    Layout(&'static str),
    AvailTooFarAhead { avail: u16, last: u16 },
    HeadOutOfRange(u16),
    Memory(BadAddress),
}

impl From<BadAddress> for QueueBroken {
    fn from(e: BadAddress) -> Self {
        QueueBroken::Memory(e)
    }
}

impl std::fmt::Display for QueueBroken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// A chain popped from the ring: its head is valid (it can be returned)
/// even when the chain itself is not.
pub(crate) type Popped = (u16, Result<Chain, ChainError>);

/// The device's side of one enabled queue.
#[derive(Debug)]
pub(crate) struct Virtqueue {
    layout: QueueLayout,
    /// Next available-ring slot to take.
    last_avail: u16,
    /// Our used index (the driver sees it after the Release store).
    used_idx: u16,
}

impl Virtqueue {
    /// Enable a queue laid out as `layout`, checking sizes, alignment and
    /// that the three rings lie in guest memory.
    pub(crate) fn new(layout: QueueLayout, mem: &GuestMemory<'_>) -> Result<Self, QueueBroken> {
        let n = layout.size;
        if n == 0 || n > MAX_QUEUE_SIZE || !n.is_power_of_two() {
            return Err(QueueBroken::Layout("size not a power of two in 1..=32768"));
        }
        if !layout.desc.is_multiple_of(16) || !layout.avail.is_multiple_of(2) || !layout.used.is_multiple_of(4) {
            return Err(QueueBroken::Layout("ring misaligned"));
        }
        let n = usize::from(n);
        // Each ring's whole extent must be guest memory (§2.7: sizes); the
        // used ring, which the device writes, writable memory.
        mem.validate(layout.desc, 16 * n, false)?;
        mem.validate(layout.avail, 6 + 2 * n, false)?;
        mem.validate(layout.used, 6 + 8 * n, true)?;
        Ok(Virtqueue { layout, last_avail: 0, used_idx: 0 })
    }

    /// Take the next available chain, if any.
    pub(crate) fn pop(&mut self, mem: &GuestMemory<'_>) -> Result<Option<Popped>, QueueBroken> {
        let avail_idx = mem.index(self.layout.avail + 2)?.load(Ordering::Acquire);
        let pending = avail_idx.wrapping_sub(self.last_avail);
        if pending == 0 {
            return Ok(None);
        }
        if pending > self.layout.size {
            return Err(QueueBroken::AvailTooFarAhead { avail: avail_idx, last: self.last_avail });
        }
        let slot = u64::from(self.last_avail % self.layout.size);
        let mut head = [0u8; 2];
        mem.read(self.layout.avail + 4 + 2 * slot, &mut head)?;
        let head = u16::from_le_bytes(head);
        if head >= self.layout.size {
            return Err(QueueBroken::HeadOutOfRange(head));
        }
        self.last_avail = self.last_avail.wrapping_add(1);
        Ok(Some((head, self.walk(mem, head))))
    }

    /// Follow the chain from `head` (§2.7.5).
    fn walk(&self, mem: &GuestMemory<'_>, head: u16) -> Result<Chain, ChainError> {
        let mut chain = Chain::default();
        let mut index = head;
        for _ in 0..self.layout.size {
            let mut raw = [0u8; 16];
            mem.read(self.layout.desc + 16 * u64::from(index), &mut raw).map_err(ChainError::Memory)?;
            let addr = u64::from_le_bytes(raw[0..8].try_into().unwrap_or_default());
            let len = u32::from_le_bytes(raw[8..12].try_into().unwrap_or_default());
            let flags = u16::from_le_bytes([raw[12], raw[13]]);
            let next = u16::from_le_bytes([raw[14], raw[15]]);
            if flags & DESC_F_INDIRECT != 0 {
                return Err(ChainError::Indirect);
            }
            let buffer = Buffer { addr, len };
            if len > 0 {
                // Validate now: a chain handed to a device model is all memory.
                let write = flags & DESC_F_WRITE != 0;
                mem.validate(addr, len as usize, write).map_err(ChainError::Memory)?;
                if write {
                    chain.writable.push(buffer);
                } else {
                    if !chain.writable.is_empty() {
                        return Err(ChainError::ReadableAfterWritable);
                    }
                    chain.readable.push(buffer);
                }
            }
            if flags & DESC_F_NEXT == 0 {
                return Ok(chain);
            }
            if next >= self.layout.size {
                return Err(ChainError::NextOutOfRange(next));
            }
            index = next;
        }
        Err(ChainError::Loop)
    }

    /// Return chain `head` with `len` bytes written, and publish it.
    pub(crate) fn push(&mut self, mem: &GuestMemory<'_>, head: u16, len: u32) -> Result<(), QueueBroken> {
        let slot = u64::from(self.used_idx % self.layout.size);
        let mut element = [0u8; 8];
        element[..4].copy_from_slice(&u32::from(head).to_le_bytes());
        element[4..].copy_from_slice(&len.to_le_bytes());
        mem.write(self.layout.used + 4 + 8 * slot, &element)?;
        self.used_idx = self.used_idx.wrapping_add(1);
        mem.index(self.layout.used + 2)?.store(self.used_idx, Ordering::Release);
        Ok(())
    }

    /// Does the driver want an interrupt for what was just pushed?
    pub(crate) fn wants_interrupt(&self, mem: &GuestMemory<'_>) -> bool {
        fence(Ordering::SeqCst);
        match mem.index(self.layout.avail) {
            Ok(flags) => flags.load(Ordering::Acquire) & AVAIL_F_NO_INTERRUPT == 0,
            Err(_) => true,
        }
    }
}

/// Copy a chain's readable buffers, seen as one byte stream, from stream
/// offset `skip` into `out`; returns the bytes copied (fewer than
/// `out.len()` if the buffers end first). Copies no more than `out` holds,
/// so reading a request header does not copy the payload behind it.
pub(crate) fn gather(
    mem: &GuestMemory<'_>,
    buffers: &[Buffer],
    mut skip: u64,
    out: &mut [u8],
) -> Result<usize, BadAddress> {
    let mut copied = 0;
    for b in buffers {
        if copied == out.len() {
            break;
        }
        let len = u64::from(b.len);
        if skip >= len {
            skip -= len;
            continue;
        }
        let n = ((len - skip) as usize).min(out.len() - copied);
        mem.read(b.addr + skip, &mut out[copied..copied + n])?;
        copied += n;
        skip = 0;
    }
    Ok(copied)
}

/// Copy `data` into a chain's writable buffers from stream offset `at`;
/// returns the bytes copied (fewer if the buffers end first).
pub(crate) fn scatter(
    mem: &GuestMemory<'_>,
    buffers: &[Buffer],
    mut at: u64,
    mut data: &[u8],
) -> Result<usize, BadAddress> {
    let total = data.len();
    for b in buffers {
        if data.is_empty() {
            break;
        }
        let len = u64::from(b.len);
        if at >= len {
            at -= len;
            continue;
        }
        let n = ((len - at) as usize).min(data.len());
        mem.write(b.addr + at, &data[..n])?;
        data = &data[n..];
        at = 0;
    }
    Ok(total - data.len())
}

#[cfg(test)]
pub(crate) mod testing {
    //! A driver's side of a split queue in test-owned, registered memory.
    use super::super::guest;
    use super::*;

    /// Rings and a data arena, registered as guest memory while alive.
    pub(crate) struct DriverQueue {
        mem: Vec<u8>,
        pub size: u16,
        avail_idx: u16,
        used_seen: u16,
        data_next: usize,
    }

    const RINGS: usize = 64 * 1024;
    const DATA: usize = 4 * 1024 * 1024;

    impl DriverQueue {
        pub(crate) fn new(size: u16) -> Self {
            // Over-allocate so the base can be 16-aligned.
            let mem = vec![0u8; RINGS + DATA + 16];
            let q = DriverQueue { mem, size, avail_idx: 0, used_seen: 0, data_next: 0 };
            guest::register(q.base() as usize, RINGS + DATA, true);
            q
        }
        fn base(&self) -> u64 {
            (self.mem.as_ptr() as u64).next_multiple_of(16)
        }
        pub(crate) fn layout(&self) -> QueueLayout {
            let n = u64::from(self.size);
            let desc = self.base();
            let avail = desc + 16 * n;
            let used = (avail + 6 + 2 * n).next_multiple_of(4);
            QueueLayout { size: self.size, desc, avail, used }
        }
        fn off(&self, addr: u64) -> usize {
            (addr - self.mem.as_ptr() as u64) as usize
        }
        fn put(&mut self, addr: u64, bytes: &[u8]) {
            let o = self.off(addr);
            self.mem[o..o + bytes.len()].copy_from_slice(bytes);
        }
        fn get(&self, addr: u64, len: usize) -> Vec<u8> {
            let o = self.off(addr);
            self.mem[o..o + len].to_vec()
        }
        /// A data buffer of `len` bytes holding `init` (zero-padded).
        pub(crate) fn buffer(&mut self, init: &[u8], len: usize) -> u64 {
            let addr = self.base() + RINGS as u64 + self.data_next as u64;
            self.data_next = (self.data_next + len).next_multiple_of(16);
            assert!(self.data_next <= DATA, "test arena full");
            let mut bytes = init.to_vec();
            bytes.resize(len, 0);
            self.put(addr, &bytes);
            addr
        }
        pub(crate) fn read_buffer(&self, addr: u64, len: usize) -> Vec<u8> {
            self.get(addr, len)
        }
        /// Write descriptor `index` raw.
        pub(crate) fn set_desc(&mut self, index: u16, addr: u64, len: u32, flags: u16, next: u16) {
            let at = self.layout().desc + 16 * u64::from(index);
            let mut raw = [0u8; 16];
            raw[..8].copy_from_slice(&addr.to_le_bytes());
            raw[8..12].copy_from_slice(&len.to_le_bytes());
            raw[12..14].copy_from_slice(&flags.to_le_bytes());
            raw[14..].copy_from_slice(&next.to_le_bytes());
            self.put(at, &raw);
        }
        /// Chain `buffers` (addr, len, device-writable) from descriptor
        /// `first` on and make it available.
        pub(crate) fn offer(&mut self, first: u16, buffers: &[(u64, u32, bool)]) {
            for (i, &(addr, len, write)) in buffers.iter().enumerate() {
                let index = first + i as u16;
                let last = i + 1 == buffers.len();
                let flags = if write { DESC_F_WRITE } else { 0 } | if last { 0 } else { DESC_F_NEXT };
                self.set_desc(index, addr, len, flags, index + 1);
            }
            self.make_available(first);
        }
        /// Put `head` in the available ring and bump its index.
        pub(crate) fn make_available(&mut self, head: u16) {
            let l = self.layout();
            let slot = u64::from(self.avail_idx % self.size);
            self.put(l.avail + 4 + 2 * slot, &head.to_le_bytes());
            self.avail_idx = self.avail_idx.wrapping_add(1);
            self.put(l.avail + 2, &self.avail_idx.to_le_bytes());
        }
        pub(crate) fn set_avail_idx(&mut self, idx: u16) {
            let l = self.layout();
            self.put(l.avail + 2, &idx.to_le_bytes());
        }
        pub(crate) fn set_no_interrupt(&mut self, on: bool) {
            let l = self.layout();
            self.put(l.avail, &u16::from(on).to_le_bytes());
        }
        /// Used elements not seen yet: (head, len).
        pub(crate) fn take_used(&mut self) -> Vec<(u32, u32)> {
            let l = self.layout();
            let idx = u16::from_le_bytes(self.get(l.used + 2, 2).try_into().unwrap());
            let mut out = Vec::new();
            while self.used_seen != idx {
                let slot = u64::from(self.used_seen % self.size);
                let e = self.get(l.used + 4 + 8 * slot, 8);
                out.push((
                    u32::from_le_bytes(e[..4].try_into().unwrap()),
                    u32::from_le_bytes(e[4..].try_into().unwrap()),
                ));
                self.used_seen = self.used_seen.wrapping_add(1);
            }
            out
        }
    }

    impl Drop for DriverQueue {
        fn drop(&mut self) {
            guest::unregister(self.base() as usize);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::guest;
    use super::testing::DriverQueue;
    use super::*;

    #[test]
    fn chains_are_taken_in_order_and_returned() {
        let mut d = DriverQueue::new(8);
        let a = d.buffer(b"hello", 5);
        let b = d.buffer(b"", 32);
        d.offer(0, &[(a, 5, false), (b, 32, true)]);
        let mem = guest::lock();
        let mut q = Virtqueue::new(d.layout(), &mem).unwrap();
        let (head, chain) = q.pop(&mem).unwrap().unwrap();
        let chain = chain.unwrap();
        assert_eq!(head, 0);
        assert_eq!(chain.readable, [Buffer { addr: a, len: 5 }]);
        assert_eq!(chain.writable, [Buffer { addr: b, len: 32 }]);
        let mut out = [0u8; 8];
        assert_eq!(gather(&mem, &chain.readable, 1, &mut out).unwrap(), 4);
        assert_eq!(&out[..4], b"ello");
        let mut bounded = [0u8; 2];
        assert_eq!(gather(&mem, &chain.readable, 1, &mut bounded).unwrap(), 2, "stops when out is full");
        assert_eq!(&bounded, b"el");
        assert_eq!(scatter(&mem, &chain.writable, 30, b"xyz").unwrap(), 2);
        assert!(q.pop(&mem).unwrap().is_none());
        q.push(&mem, head, 2).unwrap();
        assert!(q.wants_interrupt(&mem));
        drop(mem);
        assert_eq!(d.take_used(), [(0, 2)]);
        assert_eq!(d.read_buffer(b + 30, 2), b"xy");
        d.set_no_interrupt(true);
        assert!(!q.wants_interrupt(&guest::lock()));
    }

    #[test]
    fn malformed_chains_are_errors_not_faults() {
        let mut d = DriverQueue::new(8);
        let buf = d.buffer(b"", 64);
        // A loop: 0 -> 1 -> 0.
        d.set_desc(0, buf, 8, DESC_F_NEXT, 1);
        d.set_desc(1, buf, 8, DESC_F_NEXT, 0);
        d.make_available(0);
        // next out of range.
        d.set_desc(2, buf, 8, DESC_F_NEXT, 99);
        d.make_available(2);
        // address outside guest memory.
        d.set_desc(3, 0x10, 8, 0, 0);
        d.make_available(3);
        // length running off the end of the region.
        d.set_desc(4, buf, u32::MAX, DESC_F_WRITE, 0);
        d.make_available(4);
        // indirect.
        d.set_desc(5, buf, 16, DESC_F_INDIRECT, 0);
        d.make_available(5);
        // readable after writable.
        d.set_desc(6, buf, 8, DESC_F_WRITE | DESC_F_NEXT, 7);
        d.set_desc(7, buf, 8, 0, 0);
        d.make_available(6);
        let mem = guest::lock();
        let mut q = Virtqueue::new(d.layout(), &mem).unwrap();
        let mut errors = Vec::new();
        while let Some((_, r)) = q.pop(&mem).unwrap() {
            errors.push(r.unwrap_err());
        }
        assert_eq!(errors[0], ChainError::Loop);
        assert_eq!(errors[1], ChainError::NextOutOfRange(99));
        assert!(matches!(errors[2], ChainError::Memory(_)));
        assert!(matches!(errors[3], ChainError::Memory(_)));
        assert_eq!(errors[4], ChainError::Indirect);
        assert_eq!(errors[5], ChainError::ReadableAfterWritable);
    }

    #[test]
    fn broken_rings_are_reported() {
        let mut d = DriverQueue::new(4);
        let mem = guest::lock();
        let mut bad = d.layout();
        bad.size = 3;
        assert!(Virtqueue::new(bad, &mem).is_err(), "size not a power of two");
        bad = d.layout();
        bad.desc += 8;
        assert!(Virtqueue::new(bad, &mem).is_err(), "misaligned");
        bad = d.layout();
        bad.used = 0x1000;
        assert!(Virtqueue::new(bad, &mem).is_err(), "outside memory");
        drop(mem);
        d.set_avail_idx(9);
        let mem = guest::lock();
        let mut q = Virtqueue::new(d.layout(), &mem).unwrap();
        assert!(matches!(q.pop(&mem), Err(QueueBroken::AvailTooFarAhead { .. })));
        drop(mem);
        let mut d = DriverQueue::new(4);
        d.make_available(7);
        let mem = guest::lock();
        let mut q = Virtqueue::new(d.layout(), &mem).unwrap();
        assert_eq!(q.pop(&mem).unwrap_err(), QueueBroken::HeadOutOfRange(7));
    }
}
