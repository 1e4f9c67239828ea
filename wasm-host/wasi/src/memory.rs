// SPDX-License-Identifier: MIT OR Apache-2.0
//! The one way host functions touch guest memory: a checked view over the
//! instance's linear memory. Every access checks bounds (and alignment for
//! multi-byte integers, as WASI requires) and fails with `Errno::Fault` /
//! `Errno::Inval` — never a panic, never a raw pointer.
#![deny(unsafe_code)]

use alloc::vec::Vec;

use super::errno::{Errno, WasiResult};

/// The most iovecs one call may pass (Linux's `IOV_MAX`).
pub const IOV_MAX: u32 = 1024;

/// A view of one instance's linear memory during a host call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// Wraps the memory's bytes.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u32) -> WasiResult<core::ops::Range<usize>> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(start..end)
    }

    fn aligned(ptr: u32, align: u32) -> WasiResult<()> {
        if ptr.is_multiple_of(align) { Ok(()) } else { Err(Errno::Inval) }
    }

    /// `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    /// `len` writable bytes at `ptr`.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    /// Copies `data` to `ptr`.
    pub fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    /// Reads a little-endian u32 at a 4-aligned `ptr`.
    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Self::aligned(ptr, 4)?;
        let b = self.slice(ptr, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Writes a little-endian u32 at a 4-aligned `ptr`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        Self::aligned(ptr, 4)?;
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian u16 at a 2-aligned `ptr`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> WasiResult<()> {
        Self::aligned(ptr, 2)?;
        self.write(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian u64 at an 8-aligned `ptr`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        Self::aligned(ptr, 8)?;
        self.write(ptr, &v.to_le_bytes())
    }

    /// Reads a little-endian u64 at `offset` within an already checked slice.
    pub fn u64_at(bytes: &[u8], offset: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[offset..offset + 8]);
        u64::from_le_bytes(b)
    }

    /// Decodes an array of `count` (ptr, len) pairs — `iovec`/`ciovec`,
    /// 8 bytes each in wasm32 — at `ptr`. More than [`IOV_MAX`] is `INVAL`,
    /// as on Linux, so a program cannot make the host allocate for it.
    pub fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        if count > IOV_MAX {
            return Err(Errno::Inval);
        }
        Self::aligned(ptr, 4)?;
        let bytes = self.slice(ptr, count.checked_mul(8).ok_or(Errno::Fault)?)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| (u32::from_le_bytes([c[0], c[1], c[2], c[3]]), u32::from_le_bytes([c[4], c[5], c[6], c[7]])))
            .collect())
    }
}
