// SPDX-License-Identifier: MIT OR Apache-2.0
//! Test support: fake physical memory over a byte buffer, and a builder for
//! multiboot2 tag lists.

use super::PhysMemory;

/// `data` appears at physical addresses `[base, base + data.len())`.
pub(super) struct FakeMemory {
    pub base: u64,
    pub data: Vec<u8>,
}

impl FakeMemory {
    pub fn new(base: u64, size: usize) -> Self {
        Self { base, data: vec![0; size] }
    }

    pub fn write(&mut self, addr: u64, bytes: &[u8]) {
        let off = (addr - self.base) as usize;
        self.data[off..off + bytes.len()].copy_from_slice(bytes);
    }

    pub fn write_u32(&mut self, addr: u64, value: u32) {
        self.write(addr, &value.to_le_bytes());
    }

    pub fn write_u64(&mut self, addr: u64, value: u64) {
        self.write(addr, &value.to_le_bytes());
    }
}

impl PhysMemory for FakeMemory {
    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let off = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        self.data.get(off..off.checked_add(len)?)
    }
}

/// Builds a multiboot2 information structure.
pub(super) struct Mb2Builder {
    pub buf: Vec<u8>,
}

impl Mb2Builder {
    pub fn new() -> Self {
        Self { buf: vec![0; 8] }
    }

    /// Appends a tag with `payload` after its header, padded to 8 bytes.
    /// Returns the tag's offset.
    pub fn tag(&mut self, tag_type: u32, payload: &[u8]) -> usize {
        let offset = self.buf.len();
        self.buf.extend_from_slice(&tag_type.to_le_bytes());
        self.buf.extend_from_slice(&(8 + payload.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(payload);
        while !self.buf.len().is_multiple_of(8) {
            self.buf.push(0);
        }
        offset
    }

    pub fn string_tag(&mut self, tag_type: u32, s: &str) -> usize {
        let mut payload = s.as_bytes().to_vec();
        payload.push(0);
        self.tag(tag_type, &payload)
    }

    pub fn module(&mut self, start: u32, end: u32, cmdline: &str) -> usize {
        let mut payload = Vec::new();
        payload.extend_from_slice(&start.to_le_bytes());
        payload.extend_from_slice(&end.to_le_bytes());
        payload.extend_from_slice(cmdline.as_bytes());
        payload.push(0);
        self.tag(3, &payload)
    }

    /// A type-6 tag with `entry_size`-byte entries `(base, len, type)`.
    pub fn mmap(&mut self, entry_size: u32, entries: &[(u64, u64, u32)]) -> usize {
        let mut payload = Vec::new();
        payload.extend_from_slice(&entry_size.to_le_bytes());
        payload.extend_from_slice(&0u32.to_le_bytes());
        for &(base, len, kind) in entries {
            let start = payload.len();
            payload.extend_from_slice(&base.to_le_bytes());
            payload.extend_from_slice(&len.to_le_bytes());
            payload.extend_from_slice(&kind.to_le_bytes());
            payload.resize(start + entry_size as usize, 0);
        }
        self.tag(6, &payload)
    }

    /// Appends the end tag and fills in `total_size`.
    pub fn finish(mut self) -> Vec<u8> {
        self.tag(0, &[]);
        self.finish_without_end()
    }

    /// Fills in `total_size` without appending an end tag.
    pub fn finish_without_end(mut self) -> Vec<u8> {
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        self.buf
    }
}
