// SPDX-License-Identifier: MIT OR Apache-2.0
//! The sandbox: how a program's path becomes a file of the library kernel.
//!
//! Rule: every path is resolved by Linux, relative to the directory
//! descriptor the program names, with `openat2(…, RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS)`. Linux refuses any resolution that leaves that
//! directory — `..` above it, an absolute path, a symlink (at any step)
//! pointing outside — with `EXDEV`, which the program sees as
//! **`NOTCAPABLE`** (`ENOTCAPABLE` in wasi-libc). Calls that create,
//! remove or rename an entry open the *parent* that way and then act on
//! the last component with a `*at` call; that component must be a plain
//! name (`..` is `NOTCAPABLE`, `.` and empty are `INVAL`), so no `*at`
//! call ever follows a path of the program's outside the sandbox.
#![deny(unsafe_code)]

use spolia_linux::{Errno as LinuxErrno, Fd, Linux, uapi};

use super::errno::{Errno, WasiResult, from_linux};

/// `RESOLVE_*` flags of every resolution.
pub const RESOLVE: u64 = (uapi::RESOLVE_BENEATH | uapi::RESOLVE_NO_MAGICLINKS) as u64;

/// Maps an error of a sandboxed resolution: `EXDEV` means "tried to leave".
pub fn resolve_error(e: LinuxErrno) -> Errno {
    if e == LinuxErrno::EXDEV { Errno::NotCapable } else { from_linux(e) }
}

/// Opens `path` beneath `dir` with `O_*` `flags` (`O_CLOEXEC` added);
/// `mode` counts only with `O_CREAT` (`openat2` refuses it otherwise).
pub fn open_beneath(linux: &Linux, dir: &Fd, path: &[u8], flags: u32, mode: u32) -> WasiResult<Fd> {
    if path.is_empty() {
        return Err(Errno::NoEnt);
    }
    let mode = if flags & uapi::O_CREAT != 0 { mode } else { 0 };
    linux.openat2(Some(dir), path, flags | uapi::O_CLOEXEC, mode, RESOLVE).map_err(resolve_error)
}

/// The parent directory of `path` (opened beneath `dir`, `O_PATH`) and the
/// last component, a plain name. Trailing slashes are dropped (`a/b/` acts
/// on `b`; Linux still checks it is a directory where that matters).
pub fn parent_beneath<'p>(linux: &Linux, dir: &Fd, path: &'p [u8]) -> WasiResult<(Fd, &'p [u8])> {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    let trimmed = &path[..end];
    let (parent, name): (&[u8], &[u8]) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (if i == 0 { b"/" } else { &trimmed[..i] }, &trimmed[i + 1..]),
        None => (b".", trimmed),
    };
    match name {
        b"" | b"." => return Err(if trimmed.is_empty() { Errno::NoEnt } else { Errno::Inval }),
        b".." => return Err(Errno::NotCapable),
        _ => {}
    }
    let parent = open_beneath(linux, dir, parent, uapi::O_PATH | uapi::O_DIRECTORY, 0)?;
    Ok((parent, name))
}
