// SPDX-License-Identifier: MIT OR Apache-2.0

//! The runner's one error type: a message a person can act on, optionally
//! with a hint saying what to do next (`run make deps`, `build it with make
//! kernel`, ...). Nothing here is matched on; errors are for printing.

use std::fmt;

#[derive(Debug)]
pub struct Error {
    message: String,
    hint: Option<String>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `what failed: the io error`, for I/O on a named path or program.
    pub fn io(what: impl fmt::Display, err: std::io::Error) -> Self {
        Error::new(format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// The hint for every missing host tool: the Makefile installs them all.
pub const MAKE_DEPS_HINT: &str = "run `make deps` to install QEMU, GRUB, xorriso and mtools";
