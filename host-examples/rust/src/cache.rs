//! The compiled component, cached on disk between processes.
//!
//! Compiling the component with Cranelift takes seconds; loading machine code that an earlier
//! process compiled (`Engine::precompile_component`'s format, via `Component::serialize`) takes
//! milliseconds. The cache key is the SHA-256 of the component and of the engine's compatibility
//! hash (wasmtime version, target, settings), so a new build or a new wasmtime never loads old code.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The compiled component: from the cache when an earlier process left it there, otherwise
/// compiled now (and cached for the next process).
///
/// # Errors
/// The component does not compile.
pub fn load(engine: &Engine, wasm: &[u8]) -> anyhow::Result<Component> {
    let Some(path) = path(engine, wasm) else {
        return compile(engine, wasm);
    };
    if path.is_file() {
        match deserialize(engine, &path) {
            Ok(component) => return Ok(component),
            // Stale or damaged: compile again and replace it.
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = compile(engine, wasm)?;
    if let (Ok(code), Some(dir)) = (component.serialize(), path.parent()) {
        // Write aside, then rename: a concurrent process never sees half a file.
        let partial = dir.join(format!(".{}.partial", std::process::id()));
        let stored = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&partial, code))
            .and_then(|()| std::fs::rename(&partial, &path));
        if stored.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        prune(dir);
    }
    Ok(component)
}

/// How many compiled components the cache keeps (the most recently written).
const KEEP: usize = 8;

/// Removes all but the [`KEEP`] newest cached components, so old builds do not pile up.
fn prune(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut cached: Vec<_> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("component-") && name.ends_with(".cwasm")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    cached.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, path) in cached.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
}

/// Times both ways to get the component ready, bypassing the cache: compiling from the
/// WebAssembly, and loading the machine code that compilation produced from a file in `dir`.
///
/// # Errors
/// The component does not compile, or the file cannot be written or loaded.
pub fn time_cold_start(
    engine: &Engine,
    wasm: &[u8],
    dir: &std::path::Path,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let component = compile(engine, wasm)?;
    let compiled = started.elapsed();
    let path = dir.join("timing.cwasm");
    std::fs::write(&path, component.serialize()?)?;
    let started = Instant::now();
    let loaded = deserialize(engine, &path);
    let load_time = started.elapsed();
    let _ = std::fs::remove_file(&path);
    loaded?;
    Ok((compiled, load_time))
}

fn compile(engine: &Engine, wasm: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the component")
}

/// Loads machine code this module wrote.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &std::path::Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime runs deserialized machine code as is, so it must come from a trusted
    // source. The file is in the user's own cache directory, written by `load` above from
    // `Component::serialize` of this same component and engine configuration (the name is a
    // hash of both), and wasmtime checks its header against the engine before using it. Anyone
    // able to replace it could equally replace this program's binary.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Where the compiled form of `wasm` for `engine` is cached; `None` when caching is off or there
/// is no cache directory.
fn path(engine: &Engine, wasm: &[u8]) -> Option<PathBuf> {
    if std::env::var_os("SSLSOCKET_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    let dir = std::env::var_os("SSLSOCKET_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("sslsocket")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sslsocket")))?;
    let mut compatibility = DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut compatibility);
    let digest = Sha256::new()
        .chain_update(wasm)
        .chain_update(compatibility.finish().to_le_bytes())
        .finalize();
    let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(dir.join(format!("component-{name}.cwasm")))
}
