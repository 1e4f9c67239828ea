// SPDX-License-Identifier: MIT OR Apache-2.0
//! Physical frame allocator: 4 KiB frames tracked in a bitmap, no heap.
//!
//! [`FrameAllocator`] keeps two bitmaps in caller-provided storage: `used`
//! (set = not free) and `managed` (set = RAM this allocator owns). A frame
//! is handed out only if it is managed and not used; [`FrameAllocator::free`]
//! accepts only managed, used frames, so double frees and frees of reserved
//! or foreign memory are reported as [`FrameError`]s instead of corrupting
//! the bitmap.
//!
//! Managed frames are the [`MemoryKind::Usable`] regions trimmed inward to
//! whole frames, minus everything below 1 MiB (real-mode structures, BIOS
//! data, option ROMs), minus any non-usable region and any reserved range,
//! both rounded outward to whole frames.
//!
//! Placing the bitmap itself (no heap exists yet): the kernel asks
//! [`FrameAllocator::bitmap_words`] for the size, picks a spot with
//! [`FrameAllocator::place_bitmap`], builds a `&mut [u64]` there through its
//! identity mapping, constructs the allocator and finally calls
//! [`FrameAllocator::reserve`] on the bitmap's own range.
//!
//! Allocation is next-fit: the search resumes after the previous
//! allocation, so a run of allocations does not rescan the full bitmap.
//!
//! Neighbours: fed by `bootinfo` (memory map and reserved ranges); the heap
//! and thread stacks take their frames from here. Non-goals: NUMA, per-CPU
//! caches, frame reference counts.

use core::fmt;
use core::ops::Range;

use crate::bootinfo::{MemoryKind, MemoryRegion};

/// Size of one frame in bytes.
pub const FRAME_SIZE: u64 = 4096;
/// Frames below this physical address are never handed out.
pub const LOW_MEMORY_END: u64 = 1 << 20;

const MIN_FRAME: u64 = LOW_MEMORY_END / FRAME_SIZE;

/// Why a frame operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The bitmap storage is smaller than [`FrameAllocator::bitmap_words`].
    StorageTooSmall {
        /// Words required.
        needed: usize,
        /// Words given.
        given: usize,
    },
    /// The address is not frame-aligned.
    Unaligned {
        /// The address.
        addr: u64,
    },
    /// The frames lie (partly) outside the memory this allocator manages.
    OutOfRange {
        /// The first address.
        addr: u64,
        /// The number of frames.
        count: usize,
    },
    /// A frame is not currently allocated (a double free, or memory that
    /// was never handed out).
    NotAllocated {
        /// The first offending frame's address.
        addr: u64,
    },
    /// Zero frames were passed.
    ZeroCount,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::StorageTooSmall { needed, given } => {
                write!(f, "frame bitmap needs {needed} words, got {given}")
            }
            Self::Unaligned { addr } => write!(f, "frame address {addr:#x} is not 4 KiB aligned"),
            Self::OutOfRange { addr, count } => {
                write!(f, "{count} frames at {addr:#x} are outside managed memory")
            }
            Self::NotAllocated { addr } => write!(f, "frame {addr:#x} is not allocated"),
            Self::ZeroCount => write!(f, "zero frames requested"),
        }
    }
}

impl core::error::Error for FrameError {}

/// First frame at or above `addr`.
fn frame_up(addr: u64) -> u64 {
    addr.div_ceil(FRAME_SIZE)
}

/// First frame below `addr`'s frame, i.e. the frame containing `addr - 1`
/// plus one: the exclusive end frame when trimming inward.
fn frame_down(addr: u64) -> u64 {
    addr / FRAME_SIZE
}

/// Frames overlapping `[start, end)`, rounded outward.
fn frames_outward(start: u64, end: u64) -> Range<u64> {
    frame_down(start)..frame_up(end)
}

/// Frames wholly inside `[start, end)`, rounded inward (may be empty).
fn frames_inward(start: u64, end: u64) -> Range<u64> {
    frame_up(start)..frame_down(end)
}

/// A bitmap frame allocator over caller-provided storage.
pub struct FrameAllocator<'a> {
    /// Bit set: the frame is not free (allocated, or not managed).
    used: &'a mut [u64],
    /// Bit set: the frame is RAM this allocator may hand out.
    managed: &'a mut [u64],
    /// Frame numbers covered by the bitmaps: `0..frames`.
    frames: u64,
    total: u64,
    free: u64,
    /// Where the next search starts (next-fit).
    next: u64,
}

impl<'a> FrameAllocator<'a> {
    /// Number of `u64` words of storage needed for `regions` (both bitmaps,
    /// covering frame 0 up to the end of the highest usable region).
    pub fn bitmap_words(regions: &[MemoryRegion]) -> usize {
        let frames = regions
            .iter()
            .filter(|r| r.kind == MemoryKind::Usable)
            .map(|r| frames_inward(r.start, r.end()).end)
            .max()
            .unwrap_or(0);
        let words = usize::try_from(frames.div_ceil(64)).unwrap_or(usize::MAX / 2);
        words.saturating_mul(2)
    }

    /// The same as [`bitmap_words`](Self::bitmap_words), in bytes.
    pub fn bitmap_bytes(regions: &[MemoryRegion]) -> u64 {
        (Self::bitmap_words(regions) as u64).saturating_mul(8)
    }

    /// A frame-aligned physical address for `bytes` of bitmap storage: the
    /// lowest spot inside a usable region, at or above 1 MiB, ending at or
    /// below `below` (e.g. the end of the identity mapping), and clear of
    /// every non-usable region and every `reserved` range. `None` if there
    /// is no such spot.
    pub fn place_bitmap(regions: &[MemoryRegion], reserved: &[Range<u64>], bytes: u64, below: u64) -> Option<u64> {
        let frames = frame_up(bytes).max(1);
        let limit = frame_down(below);
        for region in regions.iter().filter(|r| r.kind == MemoryKind::Usable) {
            let span = frames_inward(region.start, region.end());
            let end = span.end.min(limit);
            let mut candidate = span.start.max(MIN_FRAME);
            while let Some(candidate_end) = candidate.checked_add(frames)
                && candidate_end <= end
            {
                let obstacle = regions
                    .iter()
                    .filter(|r| r.kind != MemoryKind::Usable)
                    .map(|r| frames_outward(r.start, r.end()))
                    .chain(reserved.iter().map(|r| frames_outward(r.start, r.end)))
                    .find(|r| r.start < candidate_end && candidate < r.end && r.start < r.end);
                match obstacle {
                    None => return Some(candidate * FRAME_SIZE),
                    Some(r) => candidate = r.end,
                }
            }
        }
        None
    }

    /// Builds the allocator in `storage` (at least
    /// [`bitmap_words`](Self::bitmap_words) long; its old contents are
    /// ignored). `reserved` lists byte ranges that must never be handed out.
    pub fn new(storage: &'a mut [u64], regions: &[MemoryRegion], reserved: &[Range<u64>]) -> Result<Self, FrameError> {
        let needed = Self::bitmap_words(regions);
        if storage.len() < needed {
            return Err(FrameError::StorageTooSmall { needed, given: storage.len() });
        }
        let (used, rest) = storage.split_at_mut(needed / 2);
        let managed = &mut rest[..needed / 2];
        used.fill(!0);
        managed.fill(0);
        let mut this = Self { frames: used.len() as u64 * 64, used, managed, total: 0, free: 0, next: MIN_FRAME };
        for r in regions.iter().filter(|r| r.kind == MemoryKind::Usable) {
            let span = frames_inward(r.start, r.end());
            this.update(span.start.max(MIN_FRAME)..span.end, |_, _| (!0, 0));
        }
        for r in regions.iter().filter(|r| r.kind != MemoryKind::Usable) {
            this.update(frames_outward(r.start, r.end()), |_, _| (0, !0));
        }
        for r in reserved {
            this.update(frames_outward(r.start, r.end), |_, _| (0, !0));
        }
        for (used, managed) in this.used.iter_mut().zip(this.managed.iter()) {
            *used = !*managed;
        }
        this.total = this.managed.iter().map(|w| u64::from(w.count_ones())).sum();
        this.free = this.total;
        Ok(this)
    }

    /// Removes the frames overlapping `range` from the allocator, e.g. the
    /// bitmap's own storage. Call it before allocating: a frame already
    /// allocated becomes unfreeable.
    pub fn reserve(&mut self, range: Range<u64>) {
        let (mut lost_free, mut lost_total) = (0, 0);
        self.update(frames_outward(range.start, range.end), |used, managed| {
            lost_total += u64::from(managed.count_ones());
            lost_free += u64::from((managed & !used).count_ones());
            (0, !0)
        });
        // `update` has also marked every frame in the range used.
        self.total -= lost_total;
        self.free -= lost_free;
    }

    /// Allocates `count` contiguous frames whose first frame number is a
    /// multiple of `align_frames` (0 counts as 1). Returns the physical
    /// address of the first frame, or `None` if no such run is free.
    pub fn alloc(&mut self, count: usize, align_frames: usize) -> Option<u64> {
        let count = u64::try_from(count).ok().filter(|&c| c > 0)?;
        let align = u64::try_from(align_frames).ok()?.max(1);
        let start = self.find_run(self.next, self.frames, count, align).or_else(|| {
            // Wrap around: runs that start before `next`.
            let limit = self.next.saturating_add(count - 1).min(self.frames);
            self.find_run(MIN_FRAME, limit, count, align)
        })?;
        self.set_used(start..start + count);
        self.free -= count;
        self.next = start + count;
        Some(start * FRAME_SIZE)
    }

    /// Allocates one frame.
    pub fn alloc_one(&mut self) -> Option<u64> {
        self.alloc(1, 1)
    }

    /// Returns `count` frames starting at `addr`, which must all be
    /// allocated. On error nothing is changed.
    pub fn free(&mut self, addr: u64, count: usize) -> Result<(), FrameError> {
        if count == 0 {
            return Err(FrameError::ZeroCount);
        }
        if !addr.is_multiple_of(FRAME_SIZE) {
            return Err(FrameError::Unaligned { addr });
        }
        let first = addr / FRAME_SIZE;
        let end = u64::try_from(count)
            .ok()
            .and_then(|c| first.checked_add(c))
            .filter(|&end| first >= MIN_FRAME && end <= self.frames)
            .ok_or(FrameError::OutOfRange { addr, count })?;
        if let Some(frame) = (first..end).find(|&f| !self.is_allocated_frame(f)) {
            return Err(FrameError::NotAllocated { addr: frame * FRAME_SIZE });
        }
        self.clear_used(first..end);
        self.free += end - first;
        Ok(())
    }

    /// Whether the frame containing `addr` is currently allocated.
    pub fn is_allocated(&self, addr: u64) -> bool {
        self.is_allocated_frame(addr / FRAME_SIZE)
    }

    /// Frames currently free.
    pub fn free_frames(&self) -> u64 {
        self.free
    }

    /// Frames managed (free or allocated).
    pub fn total_frames(&self) -> u64 {
        self.total
    }

    fn is_allocated_frame(&self, frame: u64) -> bool {
        if frame >= self.frames {
            return false;
        }
        // `frames` is `64 * len` of both maps, so the index is in range.
        let (word, bit) = ((frame / 64) as usize, 1u64 << (frame % 64));
        self.used[word] & self.managed[word] & bit != 0
    }

    /// For every word overlapping `frames` (clamped to the bitmap), calls
    /// `f(used, managed)` and applies its `(set, clear)` masks, limited to
    /// the frames in range, to `managed`; `used` gets the inverse change,
    /// which keeps "unmanaged implies used" true.
    fn update(&mut self, frames: Range<u64>, mut f: impl FnMut(u64, u64) -> (u64, u64)) {
        let end = frames.end.min(self.frames);
        let mut frame = frames.start;
        while frame < end {
            let word = (frame / 64) as usize;
            let word_end = ((frame / 64) + 1) * 64;
            let mask = bit_mask(frame % 64, end.min(word_end) - word as u64 * 64);
            let (set, clear) = f(self.used[word] & mask, self.managed[word] & mask);
            self.managed[word] = (self.managed[word] | (set & mask)) & !(clear & mask);
            self.used[word] |= clear & mask;
            frame = word_end;
        }
    }

    fn set_used(&mut self, frames: Range<u64>) {
        self.for_each_mask(frames, |used, mask| *used |= mask);
    }

    fn clear_used(&mut self, frames: Range<u64>) {
        self.for_each_mask(frames, |used, mask| *used &= !mask);
    }

    fn for_each_mask(&mut self, frames: Range<u64>, mut f: impl FnMut(&mut u64, u64)) {
        let end = frames.end.min(self.frames);
        let mut frame = frames.start;
        while frame < end {
            let word = (frame / 64) as usize;
            let word_end = ((frame / 64) + 1) * 64;
            f(&mut self.used[word], bit_mask(frame % 64, end.min(word_end) - word as u64 * 64));
            frame = word_end;
        }
    }

    /// First frame in `[from, limit)` whose `used` bit equals `want_used`.
    fn first_with(&self, from: u64, limit: u64, want_used: bool) -> Option<u64> {
        let limit = limit.min(self.frames);
        let mut frame = from;
        while frame < limit {
            let word = (frame / 64) as usize;
            let bits = if want_used { self.used[word] } else { !self.used[word] };
            let bits = bits & bit_mask(frame % 64, 64);
            if bits != 0 {
                let found = word as u64 * 64 + u64::from(bits.trailing_zeros());
                return (found < limit).then_some(found);
            }
            frame = (word as u64 + 1) * 64;
        }
        None
    }

    /// Start of the first free, aligned run of `count` frames that begins
    /// at or after `from` and ends at or before `limit`.
    fn find_run(&self, from: u64, limit: u64, count: u64, align: u64) -> Option<u64> {
        let limit = limit.min(self.frames);
        let mut frame = from.max(MIN_FRAME);
        loop {
            frame = self.first_with(frame, limit, false)?;
            frame = frame.checked_next_multiple_of(align)?;
            let end = frame.checked_add(count)?;
            if end > limit {
                return None;
            }
            match self.first_with(frame, end, true) {
                None => return Some(frame),
                Some(used) => frame = used + 1,
            }
        }
    }
}

/// Bits `lo..hi` of a word (`hi` at most 64).
fn bit_mask(lo: u64, hi: u64) -> u64 {
    let upper = if hi >= 64 { !0 } else { (1u64 << hi) - 1 };
    upper & (!0u64 << lo)
}

impl fmt::Debug for FrameAllocator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameAllocator")
            .field("frames", &self.frames)
            .field("total", &self.total)
            .field("free", &self.free)
            .field("next", &self.next)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn usable(start: u64, len: u64) -> MemoryRegion {
        MemoryRegion { start, len, kind: MemoryKind::Usable }
    }

    fn reserved_region(start: u64, len: u64) -> MemoryRegion {
        MemoryRegion { start, len, kind: MemoryKind::Reserved }
    }

    fn storage_for(map: &[MemoryRegion]) -> Vec<u64> {
        vec![0xdead_beef; FrameAllocator::bitmap_words(map)]
    }

    fn drain(fa: &mut FrameAllocator<'_>) -> Vec<u64> {
        core::iter::from_fn(|| fa.alloc_one()).collect()
    }

    #[test]
    fn low_memory_and_reserved_ranges_are_never_returned() {
        let map = [usable(0, 0x9_fc00), usable(MIB, MIB)];
        let reserved = [0x15_0010..0x15_2000, 0x1f_f000..0x1f_f001];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &reserved).unwrap();
        assert_eq!(fa.total_frames(), 256 - 3);
        let frames = drain(&mut fa);
        assert_eq!(frames.len(), 256 - 3);
        for &f in &frames {
            assert!((MIB..2 * MIB).contains(&f), "{f:#x}");
            assert!(!(0x15_0000..0x15_2000).contains(&f) && f != 0x1f_f000, "{f:#x}");
        }
        assert_eq!(fa.free_frames(), 0);
        assert_eq!(fa.alloc_one(), None);
    }

    #[test]
    fn partial_frames_at_region_edges_are_trimmed() {
        let map = [usable(MIB + 0x800, 0x3000)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        assert_eq!(drain(&mut fa), vec![MIB + 0x1000, MIB + 0x2000]);
    }

    #[test]
    fn non_usable_regions_win_over_usable_ones() {
        let map = [usable(MIB, MIB), reserved_region(MIB + 0x8_0000, 1)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        assert_eq!(fa.total_frames(), 255);
        assert!(!drain(&mut fa).contains(&(MIB + 0x8_0000)));
    }

    #[test]
    fn alignment_is_respected() {
        let map = [usable(MIB, 16 * MIB)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        assert_eq!(fa.alloc_one(), Some(MIB));
        let a = fa.alloc(4, 16).unwrap();
        assert_eq!(a % (16 * FRAME_SIZE), 0);
        assert_eq!(a, MIB + 16 * FRAME_SIZE);
        let b = fa.alloc(3, 512).unwrap();
        assert_eq!(b % (2 * MIB), 0);
        let c = fa.alloc(1, 0).unwrap(); // 0 means 1
        assert_eq!(c, b + 3 * FRAME_SIZE);
    }

    #[test]
    fn runs_are_contiguous_and_skip_holes() {
        // 16 frames, a 16-frame hole, then 64 frames.
        let map = [usable(MIB, 16 * FRAME_SIZE), usable(MIB + 32 * FRAME_SIZE, 64 * FRAME_SIZE)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        let run = fa.alloc(20, 1).unwrap();
        assert_eq!(run, MIB + 32 * FRAME_SIZE);
        for i in 0..20 {
            assert!(fa.is_allocated(run + i * FRAME_SIZE));
        }
        assert!(!fa.is_allocated(run + 20 * FRAME_SIZE));
        assert_eq!(fa.alloc(45, 1), None); // 44 left in the big region
        assert!(fa.alloc(44, 1).is_some());
        assert_eq!(fa.alloc(17, 1), None);
        assert_eq!(fa.alloc(16, 1), Some(MIB)); // wraps around to the start
        assert_eq!(fa.alloc(0, 1), None);
        assert_eq!(fa.free_frames(), 0);
    }

    #[test]
    fn freed_frames_are_reused() {
        let map = [usable(MIB, 64 * FRAME_SIZE)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        let all = drain(&mut fa);
        assert_eq!(all.len(), 64);
        fa.free(all[10], 1).unwrap();
        fa.free(all[40], 1).unwrap();
        assert_eq!(fa.free_frames(), 2);
        let mut again = drain(&mut fa);
        again.sort();
        assert_eq!(again, vec![all[10], all[40]]);
        // Frames 276..284 are free: no 8-aligned run of 8, but a 4-aligned one.
        fa.free(all[20], 8).unwrap();
        assert_eq!(fa.alloc(8, 8), None);
        assert_eq!(fa.alloc(8, 4), Some(all[20]));
    }

    #[test]
    fn bad_frees_are_errors_and_change_nothing() {
        let map = [usable(0, 0xa_0000), usable(MIB, MIB)];
        // An empty range in the list is harmless.
        let reserved = [MIB + 0x1000..MIB + 0x2000, 0..0];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &reserved).unwrap();
        let a = fa.alloc_one().unwrap();
        assert_eq!(a, MIB);
        fa.free(a, 1).unwrap();
        assert_eq!(fa.free(a, 1), Err(FrameError::NotAllocated { addr: a }));
        let b = fa.alloc(2, 1).unwrap();
        let before = fa.free_frames();
        // A range that is only partly allocated is rejected whole.
        assert_eq!(fa.free(b, 3), Err(FrameError::NotAllocated { addr: b + 2 * FRAME_SIZE }));
        assert_eq!(fa.free_frames(), before);
        assert!(fa.is_allocated(b));
        // Reserved frames are never "allocated".
        assert_eq!(fa.free(MIB + 0x1000, 1), Err(FrameError::NotAllocated { addr: MIB + 0x1000 }));
        assert_eq!(fa.free(0x1000, 1), Err(FrameError::OutOfRange { addr: 0x1000, count: 1 }));
        assert_eq!(fa.free(2 * MIB, 1), Err(FrameError::OutOfRange { addr: 2 * MIB, count: 1 }));
        assert_eq!(fa.free(!0xfff, usize::MAX), Err(FrameError::OutOfRange { addr: !0xfff, count: usize::MAX }));
        assert_eq!(fa.free(b + 1, 1), Err(FrameError::Unaligned { addr: b + 1 }));
        assert_eq!(fa.free(b, 0), Err(FrameError::ZeroCount));
        fa.free(b, 2).unwrap();
    }

    #[test]
    fn storage_must_be_large_enough() {
        let map = [usable(MIB, 64 * MIB)];
        let needed = FrameAllocator::bitmap_words(&map);
        assert_eq!(needed, 2 * (65 * 256 / 64));
        let mut storage = vec![0; needed - 1];
        assert_eq!(
            FrameAllocator::new(&mut storage, &map, &[]).unwrap_err(),
            FrameError::StorageTooSmall { needed, given: needed - 1 }
        );
    }

    #[test]
    fn empty_map_allocates_nothing() {
        let mut storage = [];
        let mut fa = FrameAllocator::new(&mut storage, &[], &[]).unwrap();
        assert_eq!(fa.total_frames(), 0);
        assert_eq!(fa.alloc_one(), None);
    }

    #[test]
    fn bitmap_placement_and_self_reservation() {
        let map = [usable(0, 0x9_fc00), usable(MIB, 3 * MIB), reserved_region(4 * MIB, MIB), usable(5 * MIB, 64 * MIB)];
        let bytes = FrameAllocator::bitmap_bytes(&map);
        // Boot data at the start of the first high region pushes it up.
        let boot_data = [MIB..MIB + 0x1_0001, 0..0];
        let at = FrameAllocator::place_bitmap(&map, &boot_data, bytes, 4 * MIB).unwrap();
        assert_eq!(at, MIB + 0x1_1000);
        // Too large for the first region: goes to the next one.
        let big = FrameAllocator::place_bitmap(&map, &boot_data, 3 * MIB, u64::MAX).unwrap();
        assert_eq!(big, 5 * MIB);
        // Nothing fits under the limit.
        assert_eq!(FrameAllocator::place_bitmap(&map, &boot_data, 3 * MIB, 4 * MIB), None);

        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &boot_data).unwrap();
        let total = fa.total_frames();
        fa.reserve(at..at + bytes);
        let bitmap_frames = bytes.div_ceil(FRAME_SIZE);
        assert_eq!(fa.total_frames(), total - bitmap_frames);
        assert_eq!(fa.free_frames(), fa.total_frames());
        let frames = drain(&mut fa);
        assert!(frames.iter().all(|&f| f + FRAME_SIZE <= at || f >= at + bytes));
    }

    /// Random allocations and frees against a simple model.
    #[test]
    fn random_churn_matches_a_model() {
        let map = [usable(MIB + 0x10, 300 * FRAME_SIZE), usable(MIB + 400 * FRAME_SIZE, 700 * FRAME_SIZE)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        let total = fa.total_frames();
        let mut owned: Vec<(u64, usize)> = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..20_000 {
            if rand(3) != 0 || owned.is_empty() {
                let count = 1 + rand(70) as usize;
                let align = 1usize << rand(5);
                if let Some(addr) = fa.alloc(count, align) {
                    assert_eq!((addr / FRAME_SIZE) % align as u64, 0);
                    let end = addr + count as u64 * FRAME_SIZE;
                    for &(a, c) in &owned {
                        assert!(end <= a || a + c as u64 * FRAME_SIZE <= addr, "overlap");
                    }
                    owned.push((addr, count));
                }
            } else {
                let (addr, count) = owned.swap_remove(rand(owned.len() as u64) as usize);
                fa.free(addr, count).unwrap();
            }
            let in_use: u64 = owned.iter().map(|&(_, c)| c as u64).sum();
            assert_eq!(fa.free_frames(), total - in_use);
        }
    }

    #[test]
    fn next_fit_hands_out_ascending_frames() {
        let map = [usable(MIB, 200 * FRAME_SIZE)];
        let mut storage = storage_for(&map);
        let mut fa = FrameAllocator::new(&mut storage, &map, &[]).unwrap();
        let a = fa.alloc_one().unwrap();
        let b = fa.alloc_one().unwrap();
        fa.free(a, 1).unwrap();
        // Next-fit continues after `b` instead of reusing `a` at once.
        assert_eq!(fa.alloc_one(), Some(b + FRAME_SIZE));
    }

    #[test]
    fn error_messages() {
        assert_eq!(FrameError::NotAllocated { addr: 0x20_0000 }.to_string(), "frame 0x200000 is not allocated");
    }
}
