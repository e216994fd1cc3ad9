//! The provider's unit tests (`src/tests.rs`: Wycheproof, RFC vectors, round trips) compiled for
//! `wasm32-wasip2` with the sslsocket guest's build flags and run as a WebAssembly command
//! component in wasmtime: the wasm build is what ships, so its arithmetic is checked too, not
//! only the native one.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command as WasiCommand;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

#[test]
fn known_answers_pass_inside_the_component() {
    let expected = count_unit_tests();
    assert!(expected > 0, "no #[test] found in src/");
    let wasm = build_unit_tests_for_wasm();
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let wasi = WasiCtxBuilder::new()
        .args(&["sslsocket-crypto-unit-tests", "--test-threads=1"])
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_file(&engine, &wasm).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let command = WasiCommand::instantiate(&mut store, &component, &linker).unwrap();
    let outcome = command.wasi_cli_run().call_run(&mut store);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    let err = String::from_utf8_lossy(&stderr.contents()).into_owned();
    println!("{out}");
    assert!(
        matches!(outcome, Ok(Ok(()))),
        "the unit tests failed inside the component: {outcome:?}\n{out}\n{err}"
    );
    // Every unit test ran (none ignored or filtered out) and passed.
    let summary = out
        .lines()
        .find(|l| l.starts_with("test result:"))
        .expect("no libtest summary");
    assert_eq!(
        summary.split(';').take(5).collect::<Vec<_>>(),
        [
            format!("test result: ok. {expected} passed").as_str(),
            " 0 failed",
            " 0 ignored",
            " 0 measured",
            " 0 filtered out",
        ],
        "not every one of the {expected} unit tests ran and passed: {summary}"
    );
}

/// The number of `#[test]` functions in the crate's sources: what the harness must report.
fn count_unit_tests() -> usize {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    std::fs::read_dir(&src)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|line| line.trim() == "#[test]")
                .count()
        })
        .sum()
}

/// WASI state of the command component.
struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Builds the library's unit tests for wasm32-wasip2 (with the guest's flags) in a target
/// directory of their own (under the outer build's `CARGO_TARGET_TMPDIR`), so the nested cargo
/// never waits on the outer build's lock, and returns the test harness component.
fn build_unit_tests_for_wasm() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-unit-tests");
    let output = Command::new(env!("CARGO"))
        .args([
            "test",
            "-p",
            "sslsocket-crypto",
            "--lib",
            "--target",
            "wasm32-wasip2",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        // The sslsocket guest's flags (host-examples/rust/build.rs): SIMD and 32-bit bignum words.
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            "-Ctarget-feature=+simd128\x1f--cfg\x1fcpubits=\"32\"",
        )
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "building the wasm unit tests failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["profile"]["test"] == true)
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .expect("cargo named no test executable")
}
