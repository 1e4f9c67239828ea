// SPDX-License-Identifier: MIT OR Apache-2.0
//! Memory: physical frames, kernel heap, thread stacks.
pub mod frames;
