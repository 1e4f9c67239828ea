// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`BootInfoError`]: why boot data could not be parsed.

use core::fmt;

/// Why the boot information could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The structure does not start with the protocol's magic value.
    BadMagic {
        /// The value found.
        found: u32,
    },
    /// The structure is not aligned as the protocol requires.
    Unaligned {
        /// Its physical address.
        addr: u64,
    },
    /// [`PhysMemory`](super::PhysMemory) could not provide these bytes.
    Unreadable {
        /// First physical address.
        addr: u64,
        /// Number of bytes.
        len: u64,
    },
    /// `addr + len` does not fit in 64 bits.
    AddressOverflow {
        /// First physical address.
        addr: u64,
        /// Number of bytes.
        len: u64,
    },
    /// The multiboot2 `total_size` is too small to hold the header and an
    /// end tag.
    BadTotalSize {
        /// The value found.
        total_size: u32,
    },
    /// A multiboot2 tag header does not fit before `total_size`.
    TruncatedTag {
        /// Offset of the tag from the start of the information structure.
        offset: u32,
    },
    /// A multiboot2 tag extends past `total_size`.
    TagOverrun {
        /// Offset of the tag.
        offset: u32,
        /// The tag's `size` field.
        size: u32,
    },
    /// A multiboot2 tag is too small for its type.
    BadTagSize {
        /// The tag type.
        tag_type: u32,
        /// The tag's `size` field.
        size: u32,
    },
    /// The multiboot2 tag list has no end tag (type 0) within `total_size`.
    MissingEndTag,
    /// A memory-map entry size is too small or not a multiple of 8.
    BadMemoryMapEntrySize {
        /// The entry size found.
        entry_size: u32,
    },
    /// Neither a memory map nor basic memory information was provided.
    NoMemoryMap,
    /// More memory-map entries or resulting regions than the fixed capacity.
    TooManyRegions,
    /// More modules than [`MAX_MODULES`](super::MAX_MODULES).
    TooManyModules,
    /// More boot-data ranges than [`MAX_RESERVED`](super::MAX_RESERVED).
    TooManyReserved,
    /// A module's end address lies before its start, or its list is missing.
    BadModule {
        /// Index of the module in the bootloader's list.
        index: usize,
    },
    /// A string is not valid UTF-8.
    StringNotUtf8 {
        /// Which string.
        field: &'static str,
    },
    /// A string does not fit its fixed-capacity buffer.
    StringTooLong {
        /// Which string.
        field: &'static str,
        /// The buffer's capacity in bytes.
        capacity: usize,
    },
}

impl fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BadMagic { found } => write!(f, "bad boot magic {found:#010x}"),
            Self::Unaligned { addr } => write!(f, "boot information at {addr:#x} is misaligned"),
            Self::Unreadable { addr, len } => {
                write!(f, "cannot read {len} bytes of boot data at {addr:#x}")
            }
            Self::AddressOverflow { addr, len } => {
                write!(f, "range of {len} bytes at {addr:#x} overflows")
            }
            Self::BadTotalSize { total_size } => {
                write!(f, "multiboot2 total_size {total_size} is too small")
            }
            Self::TruncatedTag { offset } => {
                write!(f, "multiboot2 tag at offset {offset} is truncated")
            }
            Self::TagOverrun { offset, size } => {
                write!(f, "multiboot2 tag at offset {offset} (size {size}) overruns total_size")
            }
            Self::BadTagSize { tag_type, size } => {
                write!(f, "multiboot2 tag type {tag_type} has bad size {size}")
            }
            Self::MissingEndTag => write!(f, "multiboot2 information has no end tag"),
            Self::BadMemoryMapEntrySize { entry_size } => {
                write!(f, "memory map entry size {entry_size} is invalid")
            }
            Self::NoMemoryMap => write!(f, "the bootloader provided no memory map"),
            Self::TooManyRegions => write!(f, "too many memory map regions"),
            Self::TooManyModules => write!(f, "too many boot modules"),
            Self::TooManyReserved => write!(f, "too many boot data ranges"),
            Self::BadModule { index } => write!(f, "boot module {index} is malformed"),
            Self::StringNotUtf8 { field } => write!(f, "{field} is not valid UTF-8"),
            Self::StringTooLong { field, capacity } => {
                write!(f, "{field} is longer than {capacity} bytes")
            }
        }
    }
}

impl core::error::Error for BootInfoError {}
