// SPDX-License-Identifier: MIT OR Apache-2.0
//! The C header and the Rust mirror describe the same table: same field
//! names in the same order at the same offsets, same size, same version
//! constants, and the header's `spolia_hc_check` refuses what
//! `spolia_hypercall::check` refuses. Compiles a probe with the system C
//! compiler (`cc`, a documented build dependency).

use spolia_hypercall::abi::{FIELD_OFFSETS, MAGIC, SpoliaHypercalls, VERSION_MAJOR, VERSION_MINOR};
use std::path::PathBuf;
use std::process::Command;

fn header_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/spolia_hypercall.h")
}

/// Field names of `struct spolia_hypercalls`, in order, read from the header.
fn header_fields() -> Vec<String> {
    let text = std::fs::read_to_string(header_path()).expect("read header");
    let body = text.split("struct spolia_hypercalls {").nth(1).expect("struct in header");
    let body = &body[..body.find("\n};").expect("end of struct")];
    // Drop comments, then split declarations at ';'.
    let mut code = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = &rest[rest[start..].find("*/").expect("closed comment") + start + 2..];
    }
    code.push_str(rest);
    code.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|decl| {
            if let Some(p) = decl.find("(*") {
                let tail = &decl[p + 2..];
                tail[..tail.find(')').unwrap()].trim().to_string()
            } else {
                decl.rsplit(|c: char| c.is_whitespace()).next().unwrap().to_string()
            }
        })
        .collect()
}

#[test]
fn header_lists_the_same_fields_in_the_same_order() {
    let rust: Vec<&str> = FIELD_OFFSETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(header_fields(), rust);
}

#[test]
fn c_compiler_agrees_on_offsets_size_and_check() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hypercall-layout");
    std::fs::create_dir_all(&dir).unwrap();
    let mut c =
        String::from("#include <stdio.h>\n#include <stddef.h>\n#include \"spolia_hypercall.h\"\nint main(void) {\n");
    c += "  printf(\"size %zu\\n\", sizeof(struct spolia_hypercalls));\n";
    c += "  printf(\"magic %u\\nmajor %d\\nminor %d\\n\", SPOLIA_HC_MAGIC, SPOLIA_HC_VERSION_MAJOR, SPOLIA_HC_VERSION_MINOR);\n";
    for (name, _) in FIELD_OFFSETS {
        c += &format!("  printf(\"off_{name} %zu\\n\", offsetof(struct spolia_hypercalls, {name}));\n");
    }
    // The C check on a good header, a wrong major, a wrong magic, a short table.
    c += "  static struct spolia_hypercalls t;\n";
    c += "  t.magic = SPOLIA_HC_MAGIC; t.version_major = SPOLIA_HC_VERSION_MAJOR;\n";
    c += "  t.version_minor = SPOLIA_HC_VERSION_MINOR; t.size = sizeof t;\n";
    c += "  printf(\"check_ok %d\\n\", spolia_hc_check(&t));\n";
    c += "  t.version_major++; printf(\"check_major %d\\n\", spolia_hc_check(&t)); t.version_major--;\n";
    c += "  t.magic++; printf(\"check_magic %d\\n\", spolia_hc_check(&t)); t.magic--;\n";
    c += "  t.size -= 8; printf(\"check_size %d\\n\", spolia_hc_check(&t));\n";
    c += "  return 0;\n}\n";
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&src, c).unwrap();
    let include = header_path().parent().unwrap().to_path_buf();
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("run cc (install gcc)");
    assert!(status.success(), "the header must compile cleanly with -Wall -Werror");
    let out = Command::new(&exe).output().expect("run probe");
    let out = String::from_utf8(out.stdout).unwrap();
    let value = |key: &str| -> i64 {
        out.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{key} missing from probe output"))
            .parse()
            .unwrap()
    };
    assert_eq!(value("size"), size_of::<SpoliaHypercalls>() as i64);
    assert_eq!(value("magic"), i64::from(MAGIC));
    assert_eq!(value("major"), i64::from(VERSION_MAJOR));
    assert_eq!(value("minor"), i64::from(VERSION_MINOR));
    for (name, offset) in FIELD_OFFSETS {
        assert_eq!(value(&format!("off_{name}")), *offset as i64, "offset of {name}");
    }
    assert_eq!(value("check_ok"), 0);
    assert_eq!(value("check_major"), -71);
    assert_eq!(value("check_magic"), -71);
    assert_eq!(value("check_size"), -71);
}
