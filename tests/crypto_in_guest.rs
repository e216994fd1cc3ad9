//! The crypto provider's known-answer tests (`src/crypto/tests.rs`: Wycheproof, RFC vectors,
//! round trips) compiled for `wasm32-wasip2` with the guest's build flags and run as a
//! WebAssembly command component in wasmtime: the wasm build is what ships, so its arithmetic
//! is checked too, not only the native one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sslsocket_host::wasmtime::component::{Component, Linker, ResourceTable};
use sslsocket_host::wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command as WasiCommand;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

#[test]
fn crypto_known_answers_pass_inside_the_component() {
    let wasm = build_unit_tests_for_wasm();
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let wasi = WasiCtxBuilder::new()
        .args(&["sslsocket-unit-tests", "crypto::", "--test-threads=1"])
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
    // Every crypto test ran (the filter matched them) and passed.
    let summary = out
        .lines()
        .find(|l| l.starts_with("test result:"))
        .expect("no libtest summary");
    assert!(summary.starts_with("test result: ok."), "{summary}");
    let passed: usize = summary
        .split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(passed >= 20, "only {passed} crypto tests ran: {summary}");
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
/// directory of their own, so the nested cargo never waits on the outer build's lock, and
/// returns the test harness component.
fn build_unit_tests_for_wasm() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("guest-unit-tests");
    let output = Command::new(env!("CARGO"))
        .args([
            "test",
            "-p",
            "sslsocket",
            "--lib",
            "--target",
            "wasm32-wasip2",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        // The guest's flags (host-examples/rust/build.rs): SIMD and 32-bit bignum words.
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
