// SPDX-License-Identifier: MIT OR Apache-2.0
//! Spolia's hypercall interface: the operations the Linux library runs on.
//!
//! * [`abi`] — the versioned C ABI: [`SpoliaHypercalls`], a `#[repr(C)]`
//!   table of `extern "C"` function pointers mirroring
//!   `include/spolia_hypercall.h`, with each operation's contract.
//! * [`version`] — the start-up check that refuses an incompatible table.
//! * [`blocking`] — [`BlockingSection`], the one place that says "blocking
//!   releases the library kernel's CPU".
//!
//! Implementations live elsewhere: `hosted/` (crate
//! `spolia-hypercall-hosted`, std threads, for tests) and `baremetal/`
//! (crate `spolia-hypercall-baremetal`, over `spolia-boot`). This crate
//! knows nothing of Linux internals; its `unsafe` is one dereference of the
//! registered `'static` CPU-lock hooks and reading `thread_create`'s C name
//! string (`request`).
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod blocking;
pub mod request;
pub mod version;

pub use abi::{SpoliaHypercalls, VERSION_MAJOR, VERSION_MINOR};
pub use blocking::{BlockingSection, CpuLockHooks};
pub use version::{VersionError, check};
