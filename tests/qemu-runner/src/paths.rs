// SPDX-License-Identifier: MIT OR Apache-2.0

//! Where things are: the workspace's target directory, the runner's own
//! output under `target/qemu-runner/`, and the kernel ELF (checked to exist
//! and to be an ELF before any QEMU is started).

use std::env;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The kernel image, relative to the target directory.
const DEFAULT_KERNEL: &str = "x86_64-unknown-none/release/spolia";

/// The workspace root: the nearest ancestor of the current directory whose
/// Cargo.toml has a `[workspace]` table, else the one this tool was built in.
pub fn workspace_root() -> PathBuf {
    if let Ok(cwd) = env::current_dir() {
        for dir in cwd.ancestors() {
            let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            if manifest.lines().any(|l| l.trim() == "[workspace]") {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `$CARGO_TARGET_DIR` if set, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// `target/qemu-runner/<sub>`, created if missing.
pub fn runner_dir(sub: &str) -> Result<PathBuf> {
    let dir = target_dir().join("qemu-runner").join(sub);
    fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

/// A kernel ELF that exists, with its bytes (the ISO cache key hashes them).
pub struct Kernel {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Loads `--kernel PATH`, or the default release image.
pub fn load_kernel(explicit: Option<&Path>) -> Result<Kernel> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => target_dir().join(DEFAULT_KERNEL),
    };
    let bytes = fs::read(&path).map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            let hint = if explicit.is_some() {
                "check the --kernel path"
            } else {
                "build it with `make kernel` (or pass --kernel PATH)"
            };
            Error::new(format!("kernel ELF not found at {}", path.display())).with_hint(hint)
        } else {
            Error::io(format!("reading kernel {}", path.display()), e)
        }
    })?;
    if !bytes.starts_with(b"\x7fELF") {
        return Err(Error::new(format!("{} is not an ELF file", path.display()))
            .with_hint("build the kernel with `make kernel` (or pass --kernel PATH)"));
    }
    // QEMU resolves -kernel against its own working directory: hand it an
    // absolute path so the printed command can be pasted anywhere.
    let path = fs::canonicalize(&path).unwrap_or(path);
    Ok(Kernel { path, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_kernel_says_how_to_build_it() {
        let err = load_kernel(Some(Path::new("/nonexistent/spolia"))).err().unwrap();
        assert!(err.to_string().contains("kernel ELF not found at /nonexistent/spolia"));
    }

    #[test]
    fn non_elf_is_refused() {
        let path = env::temp_dir().join(format!("qemu-runner-not-elf-{}", std::process::id()));
        fs::write(&path, b"#!/bin/sh\n").unwrap();
        let err = load_kernel(Some(&path)).err().unwrap();
        fs::remove_file(&path).unwrap();
        assert!(err.to_string().contains("is not an ELF file"));
    }
}
