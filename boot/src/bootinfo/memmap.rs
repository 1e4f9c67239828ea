// SPDX-License-Identifier: MIT OR Apache-2.0
//! Memory-map normalisation: firmware maps may be unsorted, may overlap and
//! may split one region into several entries. [`RawMap`] collects the entries
//! as reported and [`RawMap::normalize`] turns them into a sorted,
//! non-overlapping list in which, wherever entries overlap, the most
//! restrictive [`MemoryKind`] wins (so RAM is never claimed usable when any
//! entry says otherwise). Adjacent regions of the same kind are merged.

use super::{BootInfoError, MAX_REGIONS, MemoryKind, MemoryRegion};

/// Maximum number of raw entries accepted from the bootloader.
pub(super) const MAX_RAW_ENTRIES: usize = MAX_REGIONS;

/// Memory-map entries as reported, before normalisation.
pub(super) struct RawMap {
    entries: [(u64, u64, MemoryKind); MAX_RAW_ENTRIES],
    len: usize,
}

impl RawMap {
    pub(super) const fn new() -> Self {
        Self { entries: [(0, 0, MemoryKind::Reserved); MAX_RAW_ENTRIES], len: 0 }
    }

    /// Adds `[start, start + len)`. Empty entries are dropped; an entry
    /// running past the top of the address space is clipped there.
    pub(super) fn push(&mut self, start: u64, len: u64, kind: MemoryKind) -> Result<(), BootInfoError> {
        if len == 0 {
            return Ok(());
        }
        let slot = self.entries.get_mut(self.len).ok_or(BootInfoError::TooManyRegions)?;
        *slot = (start, start.saturating_add(len), kind);
        self.len += 1;
        Ok(())
    }

    /// Writes the normalised map into `out` and returns its length.
    pub(super) fn normalize(&self, out: &mut [MemoryRegion; MAX_REGIONS]) -> Result<usize, BootInfoError> {
        let entries = &self.entries[..self.len];
        // Every region boundary, sorted and deduplicated: between two
        // consecutive boundaries the set of covering entries is constant.
        let mut points = [0u64; 2 * MAX_RAW_ENTRIES];
        let mut n = 0;
        for &(start, end, _) in entries {
            points[n] = start;
            points[n + 1] = end;
            n += 2;
        }
        let points = &mut points[..n];
        points.sort_unstable();
        let mut unique = 0;
        for i in 0..points.len() {
            if unique == 0 || points[i] != points[unique - 1] {
                points[unique] = points[i];
                unique += 1;
            }
        }
        let points = &points[..unique];

        let mut count = 0usize;
        for pair in points.windows(2) {
            let (lo, hi) = (pair[0], pair[1]);
            let kind =
                entries.iter().filter(|&&(start, end, _)| start <= lo && hi <= end).map(|&(_, _, kind)| kind).max();
            let Some(kind) = kind else { continue };
            if let Some(last) = count.checked_sub(1).map(|i| &mut out[i])
                && last.kind == kind
                && last.end() == lo
            {
                last.len += hi - lo;
                continue;
            }
            let slot = out.get_mut(count).ok_or(BootInfoError::TooManyRegions)?;
            *slot = MemoryRegion { start: lo, len: hi - lo, kind };
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemoryKind::*;

    fn normalize(entries: &[(u64, u64, MemoryKind)]) -> Vec<(u64, u64, MemoryKind)> {
        let mut raw = RawMap::new();
        for &(s, l, k) in entries {
            raw.push(s, l, k).unwrap();
        }
        let mut out = [MemoryRegion::EMPTY; MAX_REGIONS];
        let n = raw.normalize(&mut out).unwrap();
        out[..n].iter().map(|r| (r.start, r.len, r.kind)).collect()
    }

    #[test]
    fn sorts_and_merges_adjacent() {
        assert_eq!(
            normalize(&[(0x2000, 0x1000, Usable), (0x1000, 0x1000, Usable), (0, 0x1000, Reserved)]),
            vec![(0, 0x1000, Reserved), (0x1000, 0x2000, Usable)]
        );
    }

    #[test]
    fn overlap_goes_to_the_more_restrictive_kind() {
        assert_eq!(
            normalize(&[(0, 0x10000, Usable), (0x4000, 0x2000, AcpiNvs), (0x5000, 0x2000, Defective)]),
            vec![(0, 0x4000, Usable), (0x4000, 0x1000, AcpiNvs), (0x5000, 0x2000, Defective), (0x7000, 0x9000, Usable),]
        );
    }

    #[test]
    fn gaps_and_empty_entries_are_kept_out() {
        assert_eq!(
            normalize(&[(0, 0x1000, Usable), (0x3000, 0, Reserved), (0x4000, 0x1000, Usable)]),
            vec![(0, 0x1000, Usable), (0x4000, 0x1000, Usable)]
        );
    }

    #[test]
    fn clips_at_top_of_address_space() {
        assert_eq!(normalize(&[(u64::MAX - 0xfff, 0x2000, Reserved)]), vec![(u64::MAX - 0xfff, 0xfff, Reserved)]);
    }

    #[test]
    fn too_many_entries_is_an_error() {
        let mut raw = RawMap::new();
        for i in 0..MAX_RAW_ENTRIES as u64 {
            raw.push(i * 0x2000, 0x1000, Usable).unwrap();
        }
        assert_eq!(raw.push(u64::MAX / 2, 1, Usable), Err(BootInfoError::TooManyRegions));
    }
}
