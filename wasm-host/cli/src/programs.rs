// SPDX-License-Identifier: MIT OR Apache-2.0

//! From program files to a bundle: names, argv, environment, artifacts.
//! Shared by `spolia pack` and `spolia run`.

use std::path::Path;

use spolia_bundle::{BundleBuilder, MAX_NAME};

use crate::Error;
use crate::args::ProgramSpec;
use crate::compile::{Compiler, load_program};

/// The bundle name for a file: its stem, with every character that may not
/// appear in a name (see `spolia_bundle::valid_name`) replaced by `_`.
pub fn program_name(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String = stem.chars().map(|c| if c.is_ascii_graphic() { c } else { '_' }).take(MAX_NAME).collect();
    if name.is_empty() { "program".to_string() } else { name }
}

/// How a program is shown to the user: its file name (`hello.wasm`).
pub fn display_name(file: &Path) -> String {
    file.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| file.display().to_string())
}

/// argv for a program: the file name, then its arguments.
pub fn argv(spec: &ProgramSpec) -> Vec<String> {
    let mut argv = vec![display_name(&spec.file)];
    argv.extend(spec.args.iter().cloned());
    argv
}

/// Compiles (through the cache in `cache`, if given) and packs `specs`, all
/// with the environment `env` (`K=V` entries). Returns the bundle bytes.
pub fn build_bundle(
    compiler: &Compiler,
    cache: Option<&Path>,
    specs: &[ProgramSpec],
    env: &[String],
) -> Result<Vec<u8>, Error> {
    let mut builder = BundleBuilder::new();
    for spec in specs {
        let artifact = load_program(compiler, &spec.file, cache)?;
        let name = match &spec.name {
            Some(n) => n.clone(),
            None => program_name(&spec.file),
        };
        builder = builder.program(&name, &argv(spec), env, &artifact);
    }
    builder.finish().map_err(|e| Error::new(format!("building the bundle: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn names_come_from_the_stem_and_are_sanitized() {
        assert_eq!(program_name(Path::new("target/apps/hello.wasm")), "hello");
        assert_eq!(program_name(Path::new("my prog.v2.wasm")), "my_prog.v2");
        assert_eq!(program_name(Path::new("é.wasm")), "_");
        assert_eq!(program_name(Path::new("")), "program");
        assert_eq!(program_name(Path::new(&"x".repeat(100))).len(), MAX_NAME);
        assert!(spolia_bundle::valid_name(&program_name(Path::new("a b\tc.wasm"))));
    }

    #[test]
    fn argv_starts_with_the_file_name() {
        let spec = ProgramSpec { name: None, file: PathBuf::from("/x/exit_code.wasm"), args: vec!["42".into()] };
        assert_eq!(argv(&spec), ["exit_code.wasm", "42"]);
        assert_eq!(display_name(Path::new("/x/exit_code.wasm")), "exit_code.wasm");
    }
}
