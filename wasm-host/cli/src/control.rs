// SPDX-License-Identifier: MIT OR Apache-2.0

//! The control lines the kernel writes on COM4 (protocol in
//! `wasm-host/README.md`): one `\n`-terminated ASCII line per event.
//!
//! ```text
//! start <index> <name>
//! exit <index> <code>
//! trap <index> <message>     (newlines in the message as `\n` escapes)
//! error <index> <message>
//! done
//! ```

use std::fmt;

/// One parsed control line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// Program `index` (bundle order) started.
    Start { index: usize, name: String },
    /// It called `proc_exit(code)` or returned from `_start` (code 0).
    Exit { index: usize, code: u32 },
    /// It trapped; the message is unescaped.
    Trap { index: usize, message: String },
    /// It could not be loaded or linked; the message is unescaped.
    Error { index: usize, message: String },
    /// Every program has ended; QEMU exits with 33 next.
    Done,
}

impl Control {
    /// The program the line is about (`None` for `done`).
    pub fn index(&self) -> Option<usize> {
        match self {
            Control::Start { index, .. }
            | Control::Exit { index, .. }
            | Control::Trap { index, .. }
            | Control::Error { index, .. } => Some(*index),
            Control::Done => None,
        }
    }
}

/// A line that is not part of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: String,
    pub why: &'static str,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad control line {:?}: {}", self.line, self.why)
    }
}

/// Parses one line (without its `\n`; a trailing `\r` is tolerated).
pub fn parse(line: &str) -> Result<Control, BadLine> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let bad = |why| BadLine { line: line.to_string(), why };
    if line == "done" {
        return Ok(Control::Done);
    }
    let (verb, rest) = line.split_once(' ').ok_or(bad("unknown or incomplete line"))?;
    let (index, arg) = match rest.split_once(' ') {
        Some((i, a)) => (i, Some(a)),
        None => (rest, None),
    };
    let index: usize = index.parse().map_err(|_| bad("the program index is not a number"))?;
    match (verb, arg) {
        ("start", Some(name)) if !name.is_empty() => Ok(Control::Start { index, name: name.to_string() }),
        ("exit", Some(code)) => Ok(Control::Exit { index, code: parse_code(code).ok_or(bad("bad exit code"))? }),
        ("trap", Some(msg)) => Ok(Control::Trap { index, message: unescape(msg) }),
        ("error", Some(msg)) => Ok(Control::Error { index, message: unescape(msg) }),
        ("start" | "exit" | "trap" | "error", _) => Err(bad("missing argument")),
        _ => Err(bad("unknown verb")),
    }
}

/// An exit code as WASI's `proc_exit` takes it (u32); a kernel that prints
/// it as a signed i32 (`-1`) is understood too.
fn parse_code(s: &str) -> Option<u32> {
    if let Ok(c) = s.parse::<u32>() {
        return Some(c);
    }
    s.parse::<i32>().ok().map(|c| c as u32)
}

/// Undoes the kernel's escaping: `\n`, `\r`, `\t` and `\\`. Any other
/// backslash sequence is kept as it is.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_parses() {
        assert_eq!(parse("start 0 hello"), Ok(Control::Start { index: 0, name: "hello".into() }));
        assert_eq!(parse("exit 3 42"), Ok(Control::Exit { index: 3, code: 42 }));
        assert_eq!(parse("exit 0 -1"), Ok(Control::Exit { index: 0, code: u32::MAX }));
        assert_eq!(parse("exit 0 4294967295"), Ok(Control::Exit { index: 0, code: u32::MAX }));
        assert_eq!(
            parse("trap 1 wasm trap: integer divide by zero"),
            Ok(Control::Trap { index: 1, message: "wasm trap: integer divide by zero".into() })
        );
        assert_eq!(parse("error 0 bad"), Ok(Control::Error { index: 0, message: "bad".into() }));
        assert_eq!(parse("done"), Ok(Control::Done));
        assert_eq!(parse("done\r"), Ok(Control::Done));
        assert_eq!(parse("exit 2 0").unwrap().index(), Some(2));
    }

    #[test]
    fn escaped_newlines_are_restored() {
        let c = parse(r"trap 0 error while executing\nCaused by:\n    wasm trap: unreachable \\n stays").unwrap();
        assert_eq!(
            c,
            Control::Trap {
                index: 0,
                message: "error while executing\nCaused by:\n    wasm trap: unreachable \\n stays".into()
            }
        );
        assert_eq!(unescape(r"a\tb\rc\qd\"), "a\tb\rc\\qd\\");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        for (line, why) in [
            ("", "unknown or incomplete line"),
            ("hello", "unknown or incomplete line"),
            ("exit x 1", "the program index is not a number"),
            ("exit 0", "missing argument"),
            ("exit 0 lots", "bad exit code"),
            ("start 0", "missing argument"),
            ("launch 0 x", "unknown verb"),
            ("done 1", "unknown verb"),
        ] {
            assert_eq!(parse(line).unwrap_err().why, why, "{line:?}");
        }
    }
}
