//! `sslsocket run COMMAND.wasm [ARGS]...`: runs a WASI command component, such as a plugin
//! composed with `sslsocket plug`, like `wasmtime run` with this host's network policy
//! (loopback only unless `--allow-network` widens it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use sslsocket_host::{NetworkPolicy, SessionConfig, run_command};

/// Arguments of `sslsocket run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The command component (it exports `wasi:cli/run` and imports only WASI).
    component: PathBuf,
    /// Arguments passed to the command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
    /// Makes the host directory DIR readable by the command as DIR (read only).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Lets the command connect to and listen on any address, not only loopback (dangerous: the
    /// command then reaches every network this machine reaches).
    #[arg(long)]
    allow_any_address: bool,
}

/// Runs `run`: the command's exit status.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let wasm = std::fs::read(&args.component)
        .with_context(|| format!("cannot read {}", args.component.display()))?;
    let network = if args.allow_any_address {
        NetworkPolicy::allow_all()
    } else {
        NetworkPolicy::loopback_only()
    };
    let mut config = SessionConfig::new().network(network);
    if let Some(dir) = &args.dir {
        config = config.preopen_read_only(dir, &dir.to_string_lossy());
    }
    let mut argv = vec![args.component.display().to_string()];
    argv.extend(args.args.iter().cloned());
    let status = run_command(&wasm, &argv, &config)?;
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}
