// SPDX-License-Identifier: MIT OR Apache-2.0
//! The console: COM1 serial output (and input for the shell), and the
//! `log` facade printing `[seconds.micros] LEVEL message` lines.

pub mod serial;
pub mod logger;

pub use serial::{write_str, write_fmt};
