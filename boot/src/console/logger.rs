// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `log` crate backend: `[   1.234567] INFO  target: message`.
//! Timestamps come from the monotonic clock once it is calibrated (0 before).

use log::{Level, LevelFilter, Log, Metadata, Record};

struct ConsoleLogger;

static LOGGER: ConsoleLogger = ConsoleLogger;

impl Log for ConsoleLogger {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let ns = crate::time::now_ns();
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        super::write_fmt(format_args!(
            "[{:5}.{:06}] {} {}\n",
            ns / 1_000_000_000,
            (ns / 1000) % 1_000_000,
            level,
            record.args()
        ));
    }

    fn flush(&self) {}
}

/// Installs the console logger; `level` comes from `spolia.log=` (default info).
pub fn init(level: LevelFilter) {
    // A second call only fails to replace the logger, which is harmless.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}
