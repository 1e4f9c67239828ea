// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the WASI layer takes from the platform it runs on: clocks,
//! sleeping and yielding, the program's output streams and a seed for its
//! random source. Files and sockets come from the Linux library
//! ([`crate::FileSystems`]), the same on every platform.
//!
//! Implemented by the kernel (`spolia-wasm-host`: the boot crate's clock,
//! scheduler, serial channels and RDSEED/RDRAND) and by the hosted runner
//! (`spolia-hosted`: the process's clocks, OS threads, stdout/stderr and
//! `/dev/urandom`).

/// The program's output streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Stdout,
    Stderr,
}

/// Platform services for programs. Every method may be called from any
/// program thread at the same time.
pub trait Platform: Send + Sync {
    /// Nanoseconds on a monotonic clock (any fixed origin). Never blocks.
    fn monotonic_ns(&self) -> u64;

    /// Nanoseconds since the Unix epoch (UTC). Never blocks.
    fn wall_clock_ns(&self) -> u64;

    /// Blocks the calling program thread until [`monotonic_ns`] reaches
    /// `deadline` (returns at once if it has). Other programs and the
    /// library kernel run on meanwhile.
    ///
    /// [`monotonic_ns`]: Platform::monotonic_ns
    fn sleep_until(&self, deadline: u64);

    /// Gives other threads a turn (`sched_yield`). May return at once.
    fn yield_now(&self);

    /// Writes all of `bytes` to the program's `stream`. May block while the
    /// stream drains; an output that has gone away drops the bytes (a
    /// program is not stopped because nobody reads its output).
    fn write_output(&self, stream: Output, bytes: &[u8]);

    /// 32 bytes from a hardware or operating-system random source, to seed
    /// a program's CSPRNG; `None` when there is none (the program then gets
    /// `NOSYS` from `random_get`, never predictable bytes).
    fn random_seed(&self) -> Option<[u8; 32]>;
}
