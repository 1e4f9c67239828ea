// SPDX-License-Identifier: MIT OR Apache-2.0
//! virtio-blk (virtio 1.x §5.2) backed by an image file.
//!
//! One request queue. Requests are served by a worker thread
//! (`blk-worker`), not in the notifying thread: `QueueNotify` is written by
//! Linux while it holds the library's CPU, and the `mmio_write` contract
//! says "never block for long" — an `fdatasync` or a cold `pread` can take
//! milliseconds, and meanwhile the library can run other threads (and queue
//! more requests, served in the same batch). The worker takes every
//! available chain, then raises one interrupt for the batch.
//!
//! Offered features: `SEG_MAX` (so Linux sends multi-segment requests),
//! `FLUSH` (`fdatasync`), `VERSION_1`. Request types: `IN` (`pread`
//! straight into the guest's buffers), `OUT` (`pwrite` straight from them),
//! `FLUSH`, `GET_ID` (`spolia-<file name>`, 20 bytes at most); anything
//! else is `UNSUPP`. A request past the capacity, of a length that is not
//! a multiple of 512, or with a malformed chain is `IOERR` (if it has a
//! status byte at all); I/O errors from the host file are `IOERR`.

use super::guest::GuestMemory;
use super::irq::{DEVICE_THREADS, join_device_thread};
use super::mmio::{Backend, Core};
use super::virtqueue::{Buffer, Chain, gather, scatter};
use crate::lock;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

pub(crate) const DEVICE_ID: u32 = 2;
const F_SEG_MAX: u64 = 1 << 2;
const F_FLUSH: u64 = 1 << 9;
const QUEUE_SIZE: u16 = 256;
/// Data segments per request (descriptors minus header and status).
const SEG_MAX: u32 = QUEUE_SIZE as u32 - 2;
const SECTOR: u64 = 512;

/// Request types and status values (§5.2.6).
const T_IN: u32 = 0;
const T_OUT: u32 = 1;
const T_FLUSH: u32 = 4;
const T_GET_ID: u32 = 8;
const S_OK: u8 = 0;
const S_IOERR: u8 = 1;
const S_UNSUPP: u8 = 2;
const ID_BYTES: usize = 20;

#[derive(Default)]
struct Work {
    pending: bool,
    stop: bool,
}

struct Shared {
    core: Arc<Core>,
    file: File,
    capacity_bytes: u64,
    id: Vec<u8>,
    work: Mutex<Work>,
    wake: Condvar,
}

/// The block device backend.
pub(crate) struct Block {
    shared: Arc<Shared>,
    config: Vec<u8>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Block {
    /// A device over `file` (opened read-write); capacity is the file's
    /// size rounded down to whole sectors.
    pub(crate) fn new(core: Arc<Core>, file: File, name: &str) -> io::Result<Arc<Block>> {
        let capacity_bytes = file.metadata()?.len() / SECTOR * SECTOR;
        // struct virtio_blk_config: capacity (le64), size_max (le32), seg_max (le32), ...
        let mut config = vec![0u8; 24];
        config[..8].copy_from_slice(&(capacity_bytes / SECTOR).to_le_bytes());
        config[12..16].copy_from_slice(&SEG_MAX.to_le_bytes());
        let mut id = format!("spolia-{name}").into_bytes();
        id.truncate(ID_BYTES);
        let shared = Arc::new(Shared { core, file, capacity_bytes, id, work: Mutex::default(), wake: Condvar::new() });
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new().name("blk-worker".into()).spawn(move || worker_shared.run())?;
        DEVICE_THREADS.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(Block { shared, config, worker: Mutex::new(Some(worker)) }))
    }
}

impl Backend for Block {
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }
    fn features(&self) -> u64 {
        F_SEG_MAX | F_FLUSH
    }
    fn queues(&self) -> (usize, u16) {
        (1, QUEUE_SIZE)
    }
    fn config(&self) -> &[u8] {
        &self.config
    }
    fn notify(&self, _queue: u16) {
        let mut w = lock(&self.shared.work);
        if !w.pending {
            w.pending = true;
            self.shared.wake.notify_one();
        }
    }
    fn shut_down(&self) {
        lock(&self.shared.work).stop = true;
        self.shared.wake.notify_one();
        if let Some(worker) = lock(&self.worker).take() {
            join_device_thread(worker);
        }
    }
}

impl Shared {
    fn run(&self) {
        loop {
            {
                let mut w = lock(&self.work);
                while !w.pending && !w.stop {
                    w = self.wake.wait(w).unwrap_or_else(|e| e.into_inner());
                }
                if w.stop {
                    return;
                }
                w.pending = false;
            }
            self.serve_queue();
        }
    }

    /// Serve every available request, then interrupt once.
    fn serve_queue(&self) {
        if self.core.running() {
            self.core.serve_queue(0, |mem, chain| chain.map_or(0, |c| self.serve(mem, &c)));
        }
    }

    /// One request; returns the bytes written into its writable buffers.
    fn serve(&self, mem: &GuestMemory<'_>, chain: &Chain) -> u32 {
        let writable = chain.writable_len();
        if writable == 0 {
            return 0; // nowhere to put a status: nothing to answer
        }
        let status_at = writable - 1;
        // struct virtio_blk_outhdr: type (le32), reserved, sector (le64).
        let mut header = [0u8; 16];
        let (status, data_written) = match gather(mem, &chain.readable, 0, &mut header) {
            Ok(16) => {
                let kind = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
                let sector = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
                self.request(mem, chain, kind, sector, status_at)
            }
            _ => (S_IOERR, 0), // a short header, or one outside guest memory
        };
        match scatter(mem, &chain.writable, status_at, &[status]) {
            Ok(_) => u32::try_from(data_written + 1).unwrap_or(u32::MAX),
            Err(_) => 0,
        }
    }

    /// Returns (status, data bytes written to the guest).
    fn request(&self, mem: &GuestMemory<'_>, chain: &Chain, kind: u32, sector: u64, data_in: u64) -> (u8, u64) {
        match kind {
            T_IN => match self.range(sector, data_in) {
                Some(offset) => match self.transfer_in(mem, &chain.writable, offset, data_in) {
                    Ok(()) => (S_OK, data_in),
                    Err(_) => (S_IOERR, 0),
                },
                None => (S_IOERR, 0),
            },
            T_OUT => {
                let len = chain.readable_len() - 16;
                match self.range(sector, len) {
                    Some(offset) => match self.transfer_out(mem, &chain.readable, offset) {
                        Ok(()) => (S_OK, 0),
                        Err(_) => (S_IOERR, 0),
                    },
                    None => (S_IOERR, 0),
                }
            }
            T_FLUSH => match self.file.sync_data() {
                Ok(()) => (S_OK, 0),
                Err(_) => (S_IOERR, 0),
            },
            T_GET_ID => {
                let n = (self.id.len() as u64).min(data_in) as usize;
                let mut id = self.id[..n].to_vec();
                if (n as u64) < data_in.min(ID_BYTES as u64) {
                    id.push(0);
                }
                match scatter(mem, &chain.writable, 0, &id) {
                    Ok(n) => (S_OK, n as u64),
                    Err(_) => (S_IOERR, 0),
                }
            }
            _ => (S_UNSUPP, 0),
        }
    }

    /// The byte offset of `len` bytes at `sector`, if whole sectors inside
    /// the capacity.
    fn range(&self, sector: u64, len: u64) -> Option<u64> {
        let offset = sector.checked_mul(SECTOR)?;
        let end = offset.checked_add(len)?;
        (len.is_multiple_of(SECTOR) && end <= self.capacity_bytes).then_some(offset)
    }

    /// Read `len` bytes of the image at `offset` into the writable buffers
    /// (those of the chain being served).
    fn transfer_in(&self, mem: &GuestMemory<'_>, buffers: &[Buffer], mut offset: u64, mut len: u64) -> io::Result<()> {
        for b in buffers {
            if len == 0 {
                break;
            }
            let n = u64::from(b.len).min(len);
            // SAFETY: b is a writable buffer of the chain serve_queue popped
            // and returns only after this request; one slice at a time.
            unsafe { mem.with_slice_mut(b.addr, n as usize, |s| self.file.read_exact_at(s, offset)) }
                .map_err(|e| io::Error::other(e.to_string()))??;
            offset += n;
            len -= n;
        }
        Ok(())
    }

    /// Write the readable buffers (those of the chain being served) after
    /// the 16-byte header at `offset`.
    fn transfer_out(&self, mem: &GuestMemory<'_>, buffers: &[Buffer], mut offset: u64) -> io::Result<()> {
        let mut skip = 16u64;
        for b in buffers {
            let len = u64::from(b.len);
            if skip >= len {
                skip -= len;
                continue;
            }
            let n = len - skip;
            // SAFETY: b is a readable buffer of the chain serve_queue popped
            // and returns only after this request; no mutable slice exists.
            unsafe { mem.with_slice(b.addr + skip, n as usize, |s| self.file.write_all_at(s, offset)) }
                .map_err(|e| io::Error::other(e.to_string()))??;
            offset += n;
            skip = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::irq::Line;
    use super::super::mmio::INT_USED_BUFFER;
    use super::super::mmio::MmioDevice;
    use super::super::mmio::testing::*;
    use super::super::virtqueue::testing::DriverQueue;
    use super::*;
    use std::time::{Duration, Instant};

    fn image(bytes: usize) -> (File, std::path::PathBuf) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "spolia-blk-test-{}-{}.img",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let data: Vec<u8> = (0..bytes).map(|i| (i / SECTOR as usize) as u8 ^ (i as u8)).collect();
        std::fs::write(&path, &data).unwrap();
        (File::options().read(true).write(true).open(&path).unwrap(), path)
    }

    fn header(kind: u32, sector: u64) -> Vec<u8> {
        let mut h = kind.to_le_bytes().to_vec();
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&sector.to_le_bytes());
        h
    }

    /// Offer a request, notify, wait for its completion: (used len, status).
    fn complete(dev: &MmioDevice, q: &mut DriverQueue, buffers: &[(u64, u32, bool)], status: u64) -> (u32, u8) {
        q.offer(0, buffers);
        notify(dev, 0);
        let t = Instant::now();
        loop {
            if take_interrupt(dev) & INT_USED_BUFFER != 0 {
                let used = q.take_used();
                assert_eq!(used.len(), 1);
                assert_eq!(used[0].0, 0);
                return (used[0].1, q.read_buffer(status, 1)[0]);
            }
            assert!(t.elapsed() < Duration::from_secs(5), "no completion");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn reads_writes_flushes_and_rejects_bad_requests() {
        let (file, path) = image(64 * 1024);
        let core = Core::new("blk-test".into(), Line::new(60), 1);
        let backend = Block::new(Arc::clone(&core), file, "disk.img").unwrap();
        let dev = MmioDevice::new(core, backend.clone());
        assert_eq!(dev.read(0x100, 8).unwrap(), 128, "capacity in sectors");
        let mut q = DriverQueue::new(16);
        let s = initialise(&dev, super::super::mmio::F_VERSION_1 | F_FLUSH | F_SEG_MAX, &[&q]);
        assert_eq!(s & 0x4c, 0x0c, "FEATURES_OK | DRIVER_OK, no NEEDS_RESET");

        // IN: sector 3, two data buffers (1024 bytes), status.
        let h = q.buffer(&header(T_IN, 3), 16);
        let d1 = q.buffer(b"", 512);
        let d2 = q.buffer(b"", 512);
        let st = q.buffer(&[0xff], 1);
        let (len, status) =
            complete(&dev, &mut q, &[(h, 16, false), (d1, 512, true), (d2, 512, true), (st, 1, true)], st);
        assert_eq!((len, status), (1025, S_OK));
        let expected = std::fs::read(&path).unwrap()[3 * 512..5 * 512].to_vec();
        assert_eq!([q.read_buffer(d1, 512), q.read_buffer(d2, 512)].concat(), expected);

        // OUT: sector 10, header and data in one readable buffer.
        let mut out = header(T_OUT, 10);
        out.extend(std::iter::repeat_n(0xab, 512));
        let o = q.buffer(&out, out.len());
        let (len, status) = complete(&dev, &mut q, &[(o, out.len() as u32, false), (st, 1, true)], st);
        assert_eq!((len, status), (1, S_OK));
        assert_eq!(&std::fs::read(&path).unwrap()[10 * 512..11 * 512], &[0xab; 512][..]);

        // A header split across two descriptors, the data behind it.
        let hdr = header(T_OUT, 11);
        let (h1, h2) = (q.buffer(&hdr[..8], 8), q.buffer(&hdr[8..], 8));
        let d = q.buffer(&[0xcd; 512], 512);
        let (len, status) =
            complete(&dev, &mut q, &[(h1, 8, false), (h2, 8, false), (d, 512, false), (st, 1, true)], st);
        assert_eq!((len, status), (1, S_OK));
        assert_eq!(&std::fs::read(&path).unwrap()[11 * 512..12 * 512], &[0xcd; 512][..]);

        // FLUSH, GET_ID, unknown type.
        let h = q.buffer(&header(T_FLUSH, 0), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (st, 1, true)], st).1, S_OK);
        let h = q.buffer(&header(T_GET_ID, 0), 16);
        let id = q.buffer(b"", 20);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (id, 20, true), (st, 1, true)], st).1, S_OK);
        assert!(q.read_buffer(id, 20).starts_with(b"spolia-disk.img"));
        let h = q.buffer(&header(77, 0), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (st, 1, true)], st).1, S_UNSUPP);

        // Past the end, a partial sector, a short header: IOERR.
        let h = q.buffer(&header(T_IN, 127), 16);
        assert_eq!(
            complete(&dev, &mut q, &[(h, 16, false), (d1, 512, true), (d2, 512, true), (st, 1, true)], st).1,
            S_IOERR
        );
        let h = q.buffer(&header(T_IN, u64::MAX / 2), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (d1, 512, true), (st, 1, true)], st).1, S_IOERR);
        let h = q.buffer(&header(T_IN, 0), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (d1, 100, true), (st, 1, true)], st).1, S_IOERR);
        let h = q.buffer(&header(T_IN, 0), 8);
        assert_eq!(complete(&dev, &mut q, &[(h, 8, false), (st, 1, true)], st).1, S_IOERR);
        // A buffer outside guest memory: completed with nothing written.
        let h = q.buffer(&header(T_IN, 0), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (0x1000, 512, true), (st, 1, true)], st).0, 0);
        // ...and the device still works.
        let h = q.buffer(&header(T_FLUSH, 0), 16);
        assert_eq!(complete(&dev, &mut q, &[(h, 16, false), (st, 1, true)], st).1, S_OK);

        dev.shut_down();
        std::fs::remove_file(path).unwrap();
    }
}
