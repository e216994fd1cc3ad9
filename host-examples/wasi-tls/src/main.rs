//! `wasi-tls-run`: runs the test command (or a component given) against `127.0.0.1:PORT`, with
//! the host's `wasi:tls` or composed with sslsocket's in-guest one, and prints what it printed.
//!
//! ```text
//! wasi-tls-run host  PORT NAME [CA.pem] [COMMAND.wasm]    wasmtime's host wasi:tls
//! wasi-tls-run guest PORT NAME [CA.pem] [COMMAND.wasm]    composed with sslsocket's provider
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use sslsocket_wasi_tls_host::{PROVIDER, RunOptions, TEST_CLIENT, plug, run_command};

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(port), Some(name)) = (args.first(), args.get(1), args.get(2)) else {
        bail!("usage: wasi-tls-run host|guest PORT NAME [CA.pem] [COMMAND.wasm]");
    };
    let command = match args.get(4) {
        Some(path) => std::fs::read(path).with_context(|| format!("cannot read {path}"))?,
        None => TEST_CLIENT.to_vec(),
    };
    let (component, host_tls) = match mode.as_str() {
        "host" => (command, true),
        "guest" => (plug(&command, PROVIDER)?, false),
        other => bail!("`{other}`: the mode is `host` or `guest`"),
    };
    let options = RunOptions {
        host_tls,
        ca_file: args.get(3).map(PathBuf::from),
        env: vec![
            ("TLS_PORT".into(), port.clone()),
            ("TLS_NAME".into(), name.clone()),
        ],
    };
    let outcome = run_command(&component, &options)?;
    print!("{}", outcome.stdout);
    eprint!("{}", outcome.stderr);
    Ok(if outcome.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
