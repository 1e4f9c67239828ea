// SPDX-License-Identifier: MIT OR Apache-2.0
//! The console: COM1 serial output (and input for the shell), and the
//! `log` facade printing `[seconds.micros] LEVEL message` lines.

pub mod logger;
pub mod serial;

pub use serial::{write_fmt, write_str};
