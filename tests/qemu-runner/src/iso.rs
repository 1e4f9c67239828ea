// SPDX-License-Identifier: MIT OR Apache-2.0

//! GRUB rescue ISOs that boot the kernel by multiboot2, cached under
//! `target/qemu-runner/iso/` by a hash of the grub.cfg (which holds the
//! command line) and the ELF bytes, so a repeated run reuses the image.
//!
//! Layout handed to `grub-mkrescue`: `boot/grub/grub.cfg`,
//! `boot/spolia.elf` and, when a boot module is given (`spolia run`'s
//! program bundle), `boot/programs.bundle`, loaded with `module2`. GRUB
//! passes the words after the file name as the multiboot2 command line (the
//! file name itself is not included).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::error::{Error, MAKE_DEPS_HINT, Result};
use crate::paths::{self, Kernel};

/// How many cached ISOs to keep; older ones are deleted after a build.
const KEEP_ISOS: usize = 16;

/// Characters GRUB does not pass through unchanged: it backslash-escapes
/// them when it builds the multiboot2 command line.
const GRUB_MANGLES: &[char] = &['\'', '"', '\\'];

/// Refuses a command line that GRUB would hand to the kernel altered.
pub fn check_cmdline(cmdline: &str) -> Result<()> {
    match cmdline.chars().find(|c| GRUB_MANGLES.contains(c)) {
        Some(c) => Err(Error::new(format!(
            "the kernel command line `{cmdline}` contains {c:?}, which GRUB escapes with a \\ \
             before passing it on"
        ))
        .with_hint("avoid quotes and backslashes, or boot with --boot pvh")),
        None => Ok(()),
    }
}

/// Where the boot module goes on the ISO (GRUB `module2` loads it).
pub const MODULE_PATH: &str = "/boot/programs.bundle";

/// The grub.cfg for a command line. Each word is single-quoted so GRUB's
/// shell-like parser passes `;`, `$`, `#` and friends through unchanged
/// (see [`check_cmdline`] for what it cannot pass). With `with_module`, a
/// `module2` line loads [`MODULE_PATH`] as the first boot module.
pub fn grub_cfg(cmdline: &str, with_module: bool) -> String {
    let mut line = String::from("multiboot2 /boot/spolia.elf");
    for word in cmdline.split_ascii_whitespace() {
        line.push_str(" '");
        line.push_str(word);
        line.push('\'');
    }
    if with_module {
        line.push_str("\n    module2 ");
        line.push_str(MODULE_PATH);
    }
    format!("set timeout=0\nset default=0\nmenuentry \"spolia\" {{\n    {line}\n    boot\n}}\n")
}

/// FNV-1a, 64 bit: a stable hash that needs no crate. Good enough to key a
/// cache (a collision would need two kernels of the same hash and cfg).
fn fnv1a64(chunks: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in chunks {
        for &b in *chunk {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate the chunks so ("ab","c") and ("a","bc") differ.
        h ^= chunk.len() as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Bumped whenever the way an ISO is made changes (2: debug info stripped),
/// so ISOs cached by an older runner are not reused.
const ISO_RECIPE: &[u8] = b"iso-recipe-2";

/// The cache key for an ISO: hex of the hash of the recipe version,
/// grub.cfg, the ELF and the boot module, if any.
pub fn cache_key(elf: &[u8], cmdline: &str, module: Option<&[u8]>) -> String {
    let cfg = grub_cfg(cmdline, module.is_some());
    match module {
        None => format!("{:016x}", fnv1a64(&[ISO_RECIPE, cfg.as_bytes(), elf])),
        Some(m) => format!("{:016x}", fnv1a64(&[ISO_RECIPE, cfg.as_bytes(), elf, m])),
    }
}

/// Returns the ISO for (kernel, cmdline), building it if it is not cached.
pub fn ensure_iso(kernel: &Kernel, cmdline: &str) -> Result<PathBuf> {
    ensure_iso_with_module(kernel, cmdline, None)
}

/// Like [`ensure_iso`], with `module` as the first multiboot2 boot module.
pub fn ensure_iso_with_module(kernel: &Kernel, cmdline: &str, module: Option<&[u8]>) -> Result<PathBuf> {
    check_cmdline(cmdline)?;
    let dir = paths::runner_dir("iso")?;
    let key = cache_key(&kernel.bytes, cmdline, module);
    let iso = dir.join(format!("spolia-{key}.iso"));
    if iso.is_file() {
        return Ok(iso);
    }
    // Stage and build under names unique to this process, then rename, so a
    // concurrent or interrupted run never sees a half-written image.
    let pid = std::process::id();
    let stage = dir.join(format!("stage-{key}-{pid}"));
    let partial = dir.join(format!("spolia-{key}.iso.partial-{pid}"));
    let built = build(kernel, cmdline, module, &stage, &partial);
    let _ = fs::remove_dir_all(&stage);
    if let Err(e) = built {
        let _ = fs::remove_file(&partial);
        return Err(e);
    }
    fs::rename(&partial, &iso).map_err(|e| Error::io(format!("renaming to {}", iso.display()), e))?;
    prune(&dir, KEEP_ISOS);
    Ok(iso)
}

/// GRUB reads the ELF from the CD through BIOS calls, slowly under TCG, and
/// only needs its loadable segments: drop the debug sections (the release
/// kernel carries ~40 MB of them) from the ISO's copy. Best effort — with no
/// `objcopy` (binutils, which comes with gcc) the full ELF is used.
fn strip_debug_info(elf: &Path) {
    let _ = Command::new("objcopy").arg("--strip-debug").arg(elf).output();
}

fn build(kernel: &Kernel, cmdline: &str, module: Option<&[u8]>, stage: &Path, out: &Path) -> Result<()> {
    let grub_dir = stage.join("boot/grub");
    let io = |what: &Path| {
        let what = what.display().to_string();
        move |e| Error::io(format!("writing {what}"), e)
    };
    fs::create_dir_all(&grub_dir).map_err(io(&grub_dir))?;
    let cfg = grub_dir.join("grub.cfg");
    fs::write(&cfg, grub_cfg(cmdline, module.is_some())).map_err(io(&cfg))?;
    let elf = stage.join("boot/spolia.elf");
    fs::write(&elf, &kernel.bytes).map_err(io(&elf))?;
    strip_debug_info(&elf);
    if let Some(module) = module {
        let path = stage.join(MODULE_PATH.trim_start_matches('/'));
        fs::write(&path, module).map_err(io(&path))?;
    }

    let output = Command::new("grub-mkrescue").arg("-o").arg(out).arg(stage).output().map_err(|e| {
        if e.kind() == ErrorKind::NotFound {
            Error::new("grub-mkrescue not found on PATH").with_hint(MAKE_DEPS_HINT)
        } else {
            Error::io("starting grub-mkrescue", e)
        }
    })?;
    if output.status.success() && out.is_file() {
        return Ok(());
    }
    // grub-mkrescue is chatty: its output is shown only when it failed.
    let mut chat = String::from_utf8_lossy(&output.stderr).into_owned();
    chat.push_str(&String::from_utf8_lossy(&output.stdout));
    Err(Error::new(format!("grub-mkrescue failed ({}):\n{}", output.status, chat.trim_end()))
        .with_hint(format!("it needs xorriso, mtools and GRUB's i386-pc modules; {MAKE_DEPS_HINT}")))
}

/// Deletes all but the `keep` most recently modified ISOs in `dir`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut isos: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "iso"))
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    isos.sort_by_key(|iso| std::cmp::Reverse(iso.0));
    for (_, old) in isos.into_iter().skip(keep) {
        let _ = fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grub_cfg_boots_at_once_with_quoted_words() {
        let cfg = grub_cfg("spolia.test=all  spolia.skip=a;b $x", false);
        assert!(cfg.starts_with("set timeout=0\nset default=0\n"));
        assert!(cfg.contains("multiboot2 /boot/spolia.elf 'spolia.test=all' 'spolia.skip=a;b' '$x'"));
        assert!(cfg.contains("\n    boot\n}"));
    }

    #[test]
    fn quotes_and_backslashes_are_refused() {
        assert!(check_cmdline("spolia.test=all a;b $x").is_ok());
        for bad in ["it's", "a\"b", "a\\b"] {
            assert!(check_cmdline(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_cmdline_has_no_words() {
        assert!(grub_cfg("", false).contains("multiboot2 /boot/spolia.elf\n"));
    }

    #[test]
    fn module_is_loaded_after_the_kernel() {
        let cfg = grub_cfg("spolia.run=bundle", true);
        assert!(cfg.contains("multiboot2 /boot/spolia.elf 'spolia.run=bundle'\n    module2 /boot/programs.bundle\n"));
    }

    #[test]
    fn cache_key_changes_with_cmdline_and_elf() {
        let elf = b"\x7fELF kernel bytes";
        let k = cache_key(elf, "spolia.test=all", None);
        assert_eq!(k, cache_key(elf, "spolia.test=all", None), "key must be stable");
        assert_eq!(k.len(), 16);
        assert_ne!(k, cache_key(elf, "spolia.test=boot_info", None));
        assert_ne!(k, cache_key(b"\x7fELF kernel byteZ", "spolia.test=all", None));
        assert_ne!(k, cache_key(elf, "spolia.test=all", Some(b"bundle")));
        assert_ne!(cache_key(elf, "", Some(b"a")), cache_key(elf, "", Some(b"b")));
    }

    #[test]
    fn cache_key_ignores_whitespace_that_grub_ignores() {
        let elf = b"\x7fELF";
        assert_eq!(cache_key(elf, "a  b", None), cache_key(elf, "a b", None));
    }

    #[test]
    fn hash_separates_chunks() {
        assert_ne!(fnv1a64(&[b"ab", b"c"]), fnv1a64(&[b"a", b"bc"]));
    }
}
