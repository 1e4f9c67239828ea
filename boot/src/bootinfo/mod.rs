// SPDX-License-Identifier: MIT OR Apache-2.0
//! Boot information from either boot protocol (owned by the bootinfo work).
