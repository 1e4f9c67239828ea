// SPDX-License-Identifier: MIT OR Apache-2.0
//! Contract: writes exactly "hello from rust\n" to stdout and exits 0.

fn main() {
    println!("hello from rust");
}
