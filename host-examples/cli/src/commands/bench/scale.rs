//! Scale: N connections held open at once between two component instances (the clients in a
//! child `sslsocket load` process), with the guest memory per connection; then the same clients
//! against a pool with a server worker per CPU.

use std::net::TcpListener;
use std::process::{Command, Stdio};

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value;
use sslsocket_host::SessionConfig;
use sslsocket_loops::load;
use sslsocket_loops::pool::{PoolEvent, PoolOptions, ServerPool};
use sslsocket_loops::serve::{Behaviour, Event, ServeOptions};
use sslsocket_testkit::testpki::{Authority, Identity};

use super::MIB;
use super::report::Row;

/// `connections` TLS connections held open at once by one component instance (the clients, in a
/// child `sslsocket load` process) to a component echo server in this process: open time, echo
/// time, and guest memory per connection on both sides.
pub(super) fn scale(
    rows: &mut Vec<Row>,
    connections: usize,
    ca: &Authority,
    leaf: &Identity,
) -> anyhow::Result<()> {
    sslsocket_host::raise_open_file_limit();
    let config = SessionConfig::new().memory_limit(SCALE_MEMORY_MIB << 20);
    let (port, server) =
        load::spawn_echo_server(&leaf.cert_pem, &leaf.key_pem, connections, config)?;
    let report = run_load(port, connections, ca)?;
    let served = server
        .join()
        .map_err(|_| anyhow!("the guest server panicked"))??;
    let number = |key: &str| report.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let case = format!("{connections} connections, one instance each side");
    let mut row = |client: &'static str, value: f64, unit: &'static str, note: &str| {
        rows.push(Row {
            bench: "scale",
            case: case.clone(),
            client,
            value,
            unit,
            note: note.to_owned(),
        });
    };
    row(
        "guest",
        number("open_seconds"),
        "s to open",
        "clients: connect + handshake, 64 at a time",
    );
    row(
        "guest",
        number("echo_seconds"),
        "s to echo",
        "1 KiB on every connection at once",
    );
    row(
        "guest",
        number("memory_per_connection"),
        "B/conn",
        "client instance, idle after handshake",
    );
    row(
        "guest",
        served.memory_per_connection() as f64,
        "B/conn",
        "server instance, idle after handshake",
    );
    row(
        "guest",
        number("memory_open") / MIB as f64,
        "MiB",
        "client instance linear memory, all open",
    );
    row(
        "guest",
        served.memory_at_peak as f64 / MIB as f64,
        "MiB",
        "server instance linear memory, all open",
    );
    if served.accepted != connections || !served.failures.is_empty() {
        bail!(
            "the server accepted {} of {connections}: {:?}",
            served.accepted,
            served.failures
        );
    }
    scale_workers(rows, connections, ca, leaf)
}

/// The same clients against a pool with a worker per CPU (at least 2) behind one host listener.
fn scale_workers(
    rows: &mut Vec<Row>,
    connections: usize,
    ca: &Authority,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let mut serve = ServeOptions::new(Behaviour::Echo);
    serve.max_connections = Some(connections as u64);
    let session = SessionConfig::new().memory_limit(SCALE_MEMORY_MIB << 20);
    let options = PoolOptions::new(workers, session, serve);
    let (cert, key) = (leaf.cert_pem.clone(), leaf.key_pem.clone());
    let pool = ServerPool::start(listener, options, move |_, session, server| {
        load::set_identity(session, server, &cert, &key)
    })?;
    let server = std::thread::spawn(move || {
        let mut accepted = 0usize;
        pool.run(|event| {
            if let PoolEvent::Serve {
                event: Event::Accepted(_),
                ..
            } = event
            {
                accepted += 1;
            }
        })
        .map(|()| accepted)
    });
    let report = run_load(port, connections, ca)?;
    let accepted = server
        .join()
        .map_err(|_| anyhow!("the pool thread panicked"))??;
    if accepted != connections {
        bail!("the pool accepted {accepted} of {connections}");
    }
    let number = |key: &str| report.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let case = format!("{connections} connections, {workers} server workers");
    for (value, unit, note) in [
        (
            number("open_seconds"),
            "s to open",
            "clients: one instance, connect + handshake, 64 at a time",
        ),
        (
            number("echo_seconds"),
            "s to echo",
            "1 KiB on every connection at once",
        ),
    ] {
        rows.push(Row {
            bench: "scale",
            case: case.clone(),
            client: "guest",
            value,
            unit,
            note: note.to_owned(),
        });
    }
    Ok(())
}

/// Runs `sslsocket load` (one client instance in a child process) against `port`; its report.
fn run_load(port: u16, connections: usize, ca: &Authority) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!("sslsocket-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem)?;
    let output = Command::new(std::env::current_exe()?)
        .args(["load", "--json", "--payload", "1024", "--memory-mib"])
        .arg(SCALE_MEMORY_MIB.to_string())
        .arg("--port")
        .arg(port.to_string())
        .arg("--connections")
        .arg(connections.to_string())
        .arg("--ca-file")
        .arg(&ca_file)
        .stderr(Stdio::inherit())
        .output()
        .context("running `sslsocket load`")?;
    let _ = std::fs::remove_dir_all(&dir);
    if !output.status.success() {
        bail!("`sslsocket load` failed: {}", output.status);
    }
    serde_json::from_slice(&output.stdout).context("the load report")
}

/// The guest memory cap of each instance in the scale run.
const SCALE_MEMORY_MIB: usize = 2048;
