//! `sslsocket component --out FILE`: writes the sslsocket component this binary embeds (the one
//! every other command runs), for other hosts: `jco transpile`, `wac plug`, a wasmtime embedding.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

/// Arguments of `sslsocket component`.
#[derive(Args, Debug)]
pub struct ComponentArgs {
    /// Where to write `sslsocket.wasm`.
    #[arg(long, short)]
    out: PathBuf,
}

/// Runs `component`: exit code 0 when the file was written.
pub fn run(args: &ComponentArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&args.out, sslsocket_host::COMPONENT)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}
