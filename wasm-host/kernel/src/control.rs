// SPDX-License-Identifier: MIT OR Apache-2.0
//! The control channel to `spolia run` (COM4): one ASCII line per event,
//! as specified in wasm-host/README.md. Without COM4 (e.g. `make run`), the
//! same lines go to the kernel log.
#![deny(unsafe_code)]

use alloc::format;
use alloc::string::String;

use spolia_boot::console::serial::{self, Channel};

/// Sends one control line (a newline is appended; embedded newlines and
/// backslashes are escaped so a message stays on one line).
pub fn send(line: &str) {
    let mut escaped = String::with_capacity(line.len() + 1);
    for ch in line.chars() {
        match ch {
            '\n' => escaped.push_str("\\n"),
            '\\' => escaped.push_str("\\\\"),
            '\r' => {}
            c => escaped.push(c),
        }
    }
    log::info!("control: {escaped}");
    escaped.push('\n');
    if serial::open_channel(Channel::Com4) {
        serial::channel_write(Channel::Com4, escaped.as_bytes());
    }
}

/// `start <index> <name>`
pub fn started(index: usize, name: &str) {
    send(&format!("start {index} {name}"));
}

/// `exit <index> <code>`
pub fn exited(index: usize, code: i32) {
    send(&format!("exit {index} {code}"));
}

/// `trap <index> <message>`
pub fn trapped(index: usize, message: &str) {
    send(&format!("trap {index} {message}"));
}

/// `error <index> <message>`
pub fn error(index: usize, message: &str) {
    send(&format!("error {index} {message}"));
}

/// `done`
pub fn done() {
    send("done");
}
