//! `sslsocket bench`: the component (in wasmtime) side by side with native TLS, all on 127.0.0.1
//! in one run, so the ratios compare like with like on the same machine at the same moment:
//!
//! - cold start: compile, instantiate, and a new instance's first encrypted byte;
//! - primitives: the crypto provider's AEADs, key exchanges and signatures on their own, in the
//!   guest (the provider's `primitives` example as a WASI command in wasmtime) and natively, so
//!   the cipher's share of the TLS rows below can be told apart;
//! - throughput per TLS 1.3 suite: the component vs the same engine compiled natively vs
//!   `openssl s_client`, all sending to one native rustls/ring server;
//! - handshakes (ECDSA P-256 and, with openssl to make the key, RSA-2048): as a client, full
//!   (default groups: X25519MLKEM768 offered, X25519 negotiated with a rustls/ring server),
//!   full with classical groups only, full with X25519MLKEM768 negotiated (a rustls server on
//!   sslsocket's provider) and resumed, component vs the same engine natively; as a server, the
//!   component's `ssl-server` vs a rustls/ring server, with the same rustls/ring client;
//! - workers: server full handshakes/s from a pool of instances behind one host listener, with 1
//!   worker and with one per CPU, many native clients at once; resumed handshakes across workers;
//! - scale: N connections held open at once between two component instances (clients in a child
//!   `sslsocket load` process), with the guest memory per connection, and the same opened
//!   against a pool with a worker per CPU.
//!
//! One module per kind of benchmark (`cold_start`, `primitives`, `throughput`, `handshakes`,
//! `workers`, `scale`), beside the clients they drive, the servers' identities, the handshake samples and
//! the report.

mod clients;
mod cold_start;
mod handshakes;
mod identities;
mod primitives;
mod report;
mod samples;
mod scale;
mod throughput;
mod workers;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use sslsocket_host::{NetworkPolicy, Session, SessionConfig};
use sslsocket_testkit::testpki::{Authority, Usage};

use cold_start::cold_start;
use handshakes::{client_handshakes, server_handshakes};
use identities::rsa_identity;
use primitives::primitives;
use report::print;
use scale::scale;
use throughput::throughput;
use workers::worker_handshakes;

use crate::progress::Progress;

/// Arguments of `sslsocket bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// MiB sent one way per throughput run.
    #[arg(long, default_value_t = 64)]
    mib: usize,
    /// Handshakes per client and case in the handshake runs.
    #[arg(long, default_value_t = 50)]
    handshakes: usize,
    /// TLS connections held open at once in the scale run (0 skips it).
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Milliseconds each crypto primitive is measured for, in the guest and natively (0 skips
    /// the primitives group).
    #[arg(long, default_value_t = 300)]
    primitives_ms: u64,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// One mebibyte.
const MIB: usize = 1024 * 1024;
/// The longest wait of any single call (connect, handshake, write, read).
const TIMEOUT_MS: i32 = 60_000;

/// Runs the benchmarks and prints the table (or JSON lines).
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    if args.mib == 0 || args.handshakes == 0 {
        bail!("--mib and --handshakes must be at least 1");
    }
    let ca = Authority::new("sslsocket bench CA")?;
    let ecdsa = ca.issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)?;
    let mut rows = Vec::new();

    let mut identities = vec![("ECDSA P-256", ecdsa.clone())];
    let rsa = rsa_identity(&ca)?;
    let steps = 3
        + 2 * (1 + u64::from(rsa.is_some()))
        + u64::from(args.connections > 0)
        + u64::from(args.primitives_ms > 0);
    let bar = Progress::new("cold start", steps, args.json);
    // Cold start first: this is the first use of the component in the process.
    cold_start(&mut rows, &ca, &ecdsa)?;
    if args.primitives_ms > 0 {
        bar.step("primitives");
        primitives(&mut rows, Duration::from_millis(args.primitives_ms))?;
    }
    bar.step("throughput");
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
    throughput(&mut rows, &mut session, args.mib, &ca, &ecdsa)?;
    bar.step("handshakes");

    match rsa {
        Some(rsa) => identities.push(("RSA-2048", rsa)),
        None => eprintln!("sslsocket bench: openssl not found, RSA-2048 rows skipped"),
    }
    for (key, leaf) in &identities {
        client_handshakes(&mut rows, &mut session, args.handshakes, &ca, key, leaf)?;
        bar.step("handshakes");
        server_handshakes(&mut rows, args.handshakes, &ca, key, leaf)?;
        bar.step("handshakes");
    }
    drop(session);
    bar.step("workers");
    worker_handshakes(&mut rows, args.handshakes, &ca, "ECDSA P-256", &ecdsa)?;

    if args.connections > 0 {
        bar.set("scale", steps - 1, steps);
        scale(&mut rows, args.connections, &ca, &ecdsa)?;
        bar.step("done");
    }
    bar.finish();
    print(&rows, args.json);
    Ok(ExitCode::SUCCESS)
}
