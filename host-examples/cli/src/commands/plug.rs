//! `sslsocket plug PLUGIN.wasm --out FILE`: composes a plugin component that imports
//! `sslsocket:tls` interfaces with the embedded sslsocket component (what `wac plug --plug
//! sslsocket.wasm PLUGIN.wasm` does, through the same library, `wac-graph`), leaving one component
//! that imports only WASI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// Arguments of `sslsocket plug`.
#[derive(Args, Debug)]
pub struct PlugArgs {
    /// The plugin: a component whose world imports `sslsocket:tls/socket@0.1.0` (and `pki`).
    plugin: PathBuf,
    /// Where to write the composed component.
    #[arg(long, short)]
    out: PathBuf,
}

/// Runs `plug`: exit code 0 when the composed component was written.
pub fn run(args: &PlugArgs) -> anyhow::Result<ExitCode> {
    let plugin = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read {}", args.plugin.display()))?;
    let composed = compose(&plugin, sslsocket_host::COMPONENT)
        .with_context(|| format!("cannot compose {}", args.plugin.display()))?;
    std::fs::write(&args.out, &composed)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "{}: {} bytes, imports {}",
        args.out.display(),
        composed.len(),
        imports(&composed)?.join(" ")
    );
    Ok(ExitCode::SUCCESS)
}

/// Plugs `sslsocket`'s exports into `plugin`'s imports of the same names and returns the encoded
/// (validated) composition, which exports what `plugin` exports.
///
/// # Errors
/// Either input is not a component; the plugin imports no `sslsocket:tls` interface, or one
/// whose type the component does not export (another version of the WIT); the composition still
/// imports an `sslsocket:` interface.
pub fn compose(plugin: &[u8], sslsocket: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let provider = Package::from_bytes("sslsocket:tls", None, sslsocket, graph.types_mut())?;
    let provider = graph.register_package(provider)?;
    let plugin = Package::from_bytes("plugin", None, plugin, graph.types_mut())?;
    let plugin = graph.register_package(plugin)?;
    wac_graph::plug(&mut graph, vec![provider], plugin)?;
    let composed = graph.encode(EncodeOptions::default())?;
    let left: Vec<String> = imports(&composed)?
        .into_iter()
        .filter(|name| name.starts_with("sslsocket:"))
        .collect();
    if !left.is_empty() {
        bail!(
            "the plugin imports {} which this sslsocket component does not export",
            left.join(", ")
        );
    }
    Ok(composed)
}

/// The names a component imports.
fn imports(component: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes("composed", None, component, graph.types_mut())?;
    let world = &graph.types()[package.ty()];
    Ok(world.imports.keys().cloned().collect())
}
