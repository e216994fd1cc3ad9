//! The per-process wasmtime engine and the pre-linked component: compiled once (with an on-disk
//! cache of the machine code), shared by every session.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use crate::*;

/// The per-process engine and the pre-linked component.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) pre: bindings::SslsocketPre<HostState>,
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// Compiles the embedded component now (it is otherwise compiled by the first [`Session::new`]).
///
/// Compilation happens once per process and takes a few seconds; the machine code is then kept in
/// `$SSLSOCKET_CACHE_DIR`, else `$XDG_CACHE_HOME/sslsocket`, else `~/.cache/sslsocket`, so the
/// next process loads it in milliseconds (`SSLSOCKET_CACHE=off` turns this off). Set
/// `SSLSOCKET_COMPONENT_PATH` to run another build of the component than the embedded one.
pub fn warm_up() -> anyhow::Result<()> {
    runtime().map(|_| ())
}

/// How long the component takes to get ready without the on-disk cache: compiling it (what the
/// first process does) and loading the compiled machine code (what every later process does).
///
/// # Errors
/// The runtime cannot be set up, or `scratch_dir` is not writable.
pub fn time_cold_start(scratch_dir: &std::path::Path) -> anyhow::Result<(Duration, Duration)> {
    let runtime = runtime()?;
    cache::time_cold_start(&runtime.engine, COMPONENT, scratch_dir)
}

/// Raises this process's soft limit on open files to its hard limit (each TCP connection is a
/// file descriptor on the host; many systems start processes at 1,024). Returns the limit now in
/// force; `None` when it is unlimited or cannot be read.
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    // The soft limit is never above the hard one (`None` is unlimited), so differing means lower.
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return limit.maximum;
        }
    }
    limit.current
}

pub(crate) fn runtime() -> anyhow::Result<&'static Runtime> {
    RUNTIME
        .get_or_init(|| build_runtime().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| anyhow!("cannot load the sslsocket component: {e}"))
}

fn build_runtime() -> anyhow::Result<Runtime> {
    let wasm = match std::env::var_os("SSLSOCKET_COMPONENT_PATH") {
        Some(path) => std::fs::read(&path)
            .with_context(|| format!("cannot read {}", PathBuf::from(path).display()))?,
        None => COMPONENT.to_vec(),
    };
    if wasm.is_empty() {
        return Err(anyhow!(
            "the component is empty (SSLSOCKET_COMPONENT or SSLSOCKET_COMPONENT_PATH names an empty file)"
        ));
    }
    let mut config = Config::new();
    config.wasm_component_model(true);
    // For components of other builds (`SSLSOCKET_COMPONENT_PATH`) that use the proposal; ours
    // does not yet (sslsocket_guest_build::MISCOMPILED_FEATURES).
    config.wasm_wide_arithmetic(true);
    let engine = Engine::new(&config)?;
    let component = cache::load(&engine, &wasm)?;
    let mut linker = Linker::<HostState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let pre = bindings::SslsocketPre::new(linker.instantiate_pre(&component)?)?;
    Ok(Runtime { engine, pre })
}
