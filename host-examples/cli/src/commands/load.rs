//! `sslsocket load`: many TLS clients in one component instance against an echo server (for
//! example `sslsocket serve --echo`), driven by one host thread. Reports the time to open them,
//! the time to echo a payload on all of them at once, and the guest memory per connection.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use sslsocket_host::{Session, SessionConfig};
use sslsocket_loops::load::{self, LoadOptions};

use crate::progress::Progress;

/// Arguments of `sslsocket load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The server's host name (verified against its certificate); loopback only.
    #[arg(long, default_value = "localhost")]
    pub host: String,
    /// The server's port.
    #[arg(long)]
    pub port: u16,
    /// Connections held open at once.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Bytes each connection sends and expects echoed.
    #[arg(long, default_value_t = 1024)]
    pub payload: usize,
    /// The most connections handshaking at the same time.
    #[arg(long, default_value_t = 64)]
    pub max_handshaking: usize,
    /// PEM file of the CA that issued the server's certificate.
    #[arg(long = "ca-file")]
    pub ca_file: PathBuf,
    /// The cap on guest memory, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub memory_mib: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub deadline_secs: u64,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the clients and prints the report.
///
/// # Errors
/// A connection failed, an echo differed, the deadline passed, or the component trapped.
pub fn run(args: &LoadArgs) -> anyhow::Result<ExitCode> {
    sslsocket_host::raise_open_file_limit();
    let ca_pem = std::fs::read_to_string(&args.ca_file)
        .with_context(|| format!("cannot read {}", args.ca_file.display()))?;
    let mut session = Session::new(SessionConfig::new().memory_limit(args.memory_mib << 20))?;
    let options = LoadOptions {
        host: args.host.clone(),
        port: args.port,
        connections: args.connections,
        payload: args.payload,
        max_handshaking: args.max_handshaking,
        ca_pem,
        deadline: Duration::from_secs(args.deadline_secs),
    };
    let bar = Progress::new("opening", options.connections as u64, args.json);
    let report = load::run_with_progress(&mut session, &options, |step| match step {
        load::Progress::Opened(n, total) => bar.set("opening", n as u64, total as u64),
        load::Progress::Echoed(n, total) => bar.set("echoing", n as u64, total as u64),
    });
    bar.finish();
    let report = report?;
    if args.json {
        let line = json!({
            "event": "load",
            "connections": report.connections,
            "open_seconds": report.open_time.as_secs_f64(),
            "echo_seconds": report.echo_time.as_secs_f64(),
            "memory_before": report.memory_before,
            "memory_open": report.memory_open,
            "memory_after_echo": report.memory_after_echo,
            "memory_per_connection": report.memory_per_connection(),
        });
        println!("{line}");
    } else {
        println!(
            "{} connections open in {:.2} s; {} B echoed on each in {:.2} s",
            report.connections,
            report.open_time.as_secs_f64(),
            args.payload,
            report.echo_time.as_secs_f64()
        );
        println!(
            "guest memory: {} KiB before, {} KiB open, {} KiB after the echo; {} B per idle connection",
            report.memory_before >> 10,
            report.memory_open >> 10,
            report.memory_after_echo >> 10,
            report.memory_per_connection()
        );
    }
    Ok(ExitCode::SUCCESS)
}
