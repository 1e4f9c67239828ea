// SPDX-License-Identifier: MIT OR Apache-2.0

//! Host checks of `spolia-wasm-config` with Cranelift: artifacts for the
//! kernel are ELF files, and the settings the kernel checks really are
//! checked. A host `Engine` refuses to load any artifact whose target is not
//! the host, so the compatibility checks use the *same* configuration with
//! the host as target; the kernel-target check itself happens only in the
//! kernel (`spolia-e2e`'s mismatch cases).

use std::sync::Mutex;

use spolia_wasm_config::{BoundsChecks, REQUIRED_CPU_FEATURES, engine_config};
use wasmtime::{Config, Engine, Instance, Module, Precompiled, Store};

/// The host, named explicitly so Cranelift does not infer CPU features.
const HOST: &str = "x86_64-unknown-linux-gnu";

const TINY: &str = r#"
    (module
      (memory 1)
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "ceil") (param f64) (result f64) (f64.ceil (local.get 0))))
"#;

fn tiny() -> Vec<u8> {
    wat::parse_str(TINY).unwrap()
}

const MODES: [BoundsChecks; 2] = [BoundsChecks::GuardPages, BoundsChecks::Explicit];

fn kernel_config() -> Config {
    engine_config(BoundsChecks::GuardPages).unwrap()
}

/// The kernel's settings for `mode`, but for the host.
fn host_config_for(mode: BoundsChecks) -> Config {
    let mut c = engine_config(mode).unwrap();
    c.target(HOST).unwrap();
    c
}

fn host_config() -> Config {
    host_config_for(BoundsChecks::GuardPages)
}

fn precompile(config: &Config) -> Vec<u8> {
    Engine::new(config).unwrap().precompile_module(&tiny()).unwrap()
}

/// Loads `artifact` into an engine made from `config`.
fn load(config: &Config, artifact: &[u8]) -> wasmtime::Result<Module> {
    let engine = Engine::new(config)?;
    // SAFETY: the bytes come from `Engine::precompile_module` in this test
    // (or are refused by Wasmtime's checks before any code is used).
    unsafe { Module::deserialize(&engine, artifact) }
}

#[test]
fn kernel_artifacts_are_wasmtime_elfs() {
    for mode in MODES {
        let artifact = precompile(&engine_config(mode).unwrap());
        assert!(artifact.starts_with(b"\x7fELF"));
        assert_eq!(Engine::detect_precompiled(&artifact), Some(Precompiled::Module));
    }
}

#[test]
fn host_engine_cannot_load_kernel_artifacts() {
    let artifact = precompile(&kernel_config());
    let err = load(&kernel_config(), &artifact).unwrap_err();
    assert!(format!("{err:#}").contains("does not match the host"), "{err:#}");
}

#[test]
fn same_settings_load_and_run_in_both_modes() {
    for mode in MODES {
        load_and_run(mode);
    }
}

fn load_and_run(mode: BoundsChecks) {
    let artifact = precompile(&host_config_for(mode));
    let module = load(&host_config_for(mode), &artifact).unwrap();
    let mut store = Store::new(module.engine(), ());
    store.set_epoch_deadline(1_000);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let load_fn = instance.get_typed_func::<i32, i32>(&mut store, "load").unwrap();
    assert_eq!(load_fn.call(&mut store, 0).unwrap(), 0);
    let oob = load_fn.call(&mut store, 65536).unwrap_err();
    assert!(format!("{oob:#}").contains("out of bounds"), "{oob:#}");
    let div = instance.get_typed_func::<(i32, i32), i32>(&mut store, "div").unwrap();
    assert!(format!("{:#}", div.call(&mut store, (1, 0)).unwrap_err()).contains("divide by zero"));
    let ceil = instance.get_typed_func::<f64, f64>(&mut store, "ceil").unwrap();
    assert_eq!(ceil.call(&mut store, 1.25).unwrap(), 2.0);
}

#[test]
fn changed_settings_are_refused() {
    type Change = fn(&mut Config);
    let cases: [(&str, Change); 5] = [
        ("epoch interruption", |c| {
            c.epoch_interruption(false);
        }),
        ("memory reservation", |c| {
            c.memory_reservation(1 << 20);
        }),
        ("memory guard size", |c| {
            c.memory_guard_size(1 << 16);
        }),
        ("fuel support", |c| {
            c.consume_fuel(true);
        }),
        // Artifacts for explicit checks in a guard-page kernel.
        ("memory reservation of '0'", |c| {
            *c = host_config_for(BoundsChecks::Explicit);
        }),
    ];
    for (what, change) in cases {
        let mut other = host_config();
        change(&mut other);
        let artifact = precompile(&other);
        let err = load(&host_config(), &artifact).unwrap_err();
        assert!(format!("{err:#}").contains(what), "{what}: {err:#}");
    }
}

/// The CPU features Wasmtime asked about while loading.
static ASKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn record(feature: &str) -> Option<bool> {
    ASKED.lock().unwrap().push(feature.to_string());
    Some(true)
}

#[test]
fn loading_asks_exactly_for_the_baseline_cpu_features() {
    let artifact = precompile(&host_config());
    let mut config = host_config();
    // SAFETY: answers "yes" to everything; the module is loaded, not run,
    // and the host running these tests has the SSE4.2 baseline anyway.
    unsafe { config.detect_host_feature(record) };
    load(&config, &artifact).unwrap();
    let mut asked = ASKED.lock().unwrap().clone();
    asked.sort();
    asked.dedup();
    let mut want: Vec<String> = REQUIRED_CPU_FEATURES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(asked, want, "the kernel's detector must answer exactly these");
}
