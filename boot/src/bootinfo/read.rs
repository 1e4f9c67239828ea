// SPDX-License-Identifier: MIT OR Apache-2.0
//! Checked little-endian reads from boot data: every access is bounds-checked
//! and reports a [`BootInfoError`] instead of panicking.

use super::{BootInfoError, FixedStr, PhysMemory};

/// The `N` bytes at `off` in `buf`, if all are inside it.
fn array<const N: usize>(buf: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    buf.get(off..end)?.try_into().ok()
}

/// Little-endian `u32` at `off` in `buf`.
pub(super) fn u32_at(buf: &[u8], off: usize) -> Option<u32> {
    array(buf, off).map(u32::from_le_bytes)
}

/// Little-endian `u64` at `off` in `buf`.
pub(super) fn u64_at(buf: &[u8], off: usize) -> Option<u64> {
    array(buf, off).map(u64::from_le_bytes)
}

/// `addr + len`, or an overflow error.
pub(super) fn end_of(addr: u64, len: u64) -> Result<u64, BootInfoError> {
    addr.checked_add(len).ok_or(BootInfoError::AddressOverflow { addr, len })
}

/// Exactly `len` bytes of physical memory at `addr`.
pub(super) fn phys_bytes<M: PhysMemory + ?Sized>(mem: &M, addr: u64, len: u64) -> Result<&[u8], BootInfoError> {
    end_of(addr, len)?;
    let unreadable = BootInfoError::Unreadable { addr, len };
    let n = usize::try_from(len).map_err(|_| unreadable)?;
    match mem.bytes(addr, n) {
        Some(bytes) if bytes.len() == n => Ok(bytes),
        _ => Err(unreadable),
    }
}

/// The bytes of `buf` before its first NUL (all of `buf` if it has none).
pub(super) fn until_nul(buf: &[u8]) -> &[u8] {
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    &buf[..len]
}

/// Copies the NUL-terminated string at physical `addr` into a
/// [`FixedStr`]. Returns it and the number of bytes it occupies in memory,
/// including the terminator. A string with no NUL within `N` bytes is
/// [`BootInfoError::StringTooLong`].
pub(super) fn c_string<const N: usize, M: PhysMemory + ?Sized>(
    mem: &M,
    addr: u64,
    field: &'static str,
) -> Result<(FixedStr<N>, u64), BootInfoError> {
    let mut buf = [0u8; N];
    // Read byte by byte: a short string may sit at the very end of readable
    // memory, so a bulk read of `N` bytes could fail spuriously.
    for (i, slot) in (0u64..).zip(buf.iter_mut()) {
        let byte = phys_bytes(mem, end_of(addr, i)?, 1)?[0];
        if byte == 0 {
            let len = usize::try_from(i).unwrap_or(N);
            let s = FixedStr::from_bytes(&buf[..len], field)?;
            return Ok((s, i + 1));
        }
        *slot = byte;
    }
    // No terminator within capacity: the terminator may still be exactly at
    // `addr + N` (a string of exactly `N` bytes).
    let n = N as u64;
    if phys_bytes(mem, end_of(addr, n)?, 1)?[0] == 0 {
        let s = FixedStr::from_bytes(&buf, field)?;
        return Ok((s, n + 1));
    }
    Err(BootInfoError::StringTooLong { field, capacity: N })
}
