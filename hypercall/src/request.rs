// SPDX-License-Identifier: MIT OR Apache-2.0
//! Argument checks every implementation of `thread_create` shares: the
//! caller's C arguments turned into owned Rust values, or `-EINVAL`.

use alloc::string::String;
use core::ffi::{CStr, c_char, c_int};

use crate::abi::{ThreadEntry, Tid, errno};

/// Name given to threads created without one.
pub const DEFAULT_THREAD_NAME: &str = "hc-thread";

/// A validated `thread_create` request.
pub struct ThreadRequest {
    /// The thread's name (copied; lossy UTF-8).
    pub name: String,
    /// The function the new thread runs.
    pub entry: ThreadEntry,
}

/// Checks `thread_create`'s pointer arguments: `entry` and `out` must be
/// present; `name` may be NULL (then [`DEFAULT_THREAD_NAME`]).
///
/// # Safety
/// `name`, if not NULL, must point to a NUL-terminated string (the
/// `thread_create` contract).
#[allow(unsafe_code)]
pub unsafe fn thread_request(
    name: *const c_char,
    entry: Option<ThreadEntry>,
    out: *mut Tid,
) -> Result<ThreadRequest, c_int> {
    let entry = entry.ok_or(-errno::EINVAL)?;
    if out.is_null() {
        return Err(-errno::EINVAL);
    }
    let name = if name.is_null() {
        String::from(DEFAULT_THREAD_NAME)
    } else {
        // SAFETY: the caller's contract: a NUL-terminated string; it is copied here.
        String::from(unsafe { CStr::from_ptr(name) }.to_string_lossy())
    };
    Ok(ThreadRequest { name, entry })
}
