//! `sslsocket bench`: the component (in wasmtime) side by side with native TLS, all on 127.0.0.1
//! in one run, so the ratios compare like with like on the same machine at the same moment:
//!
//! - cold start: compile, instantiate, and a new instance's first encrypted byte;
//! - throughput per TLS 1.3 suite: the component vs the same engine compiled natively vs
//!   `openssl s_client`, all sending to one native rustls/ring server;
//! - handshakes (ECDSA P-256 and, with openssl to make the key, RSA-2048): as a client, full
//!   (default groups: X25519MLKEM768 offered, X25519 negotiated with a rustls/ring server),
//!   full with classical groups only, full with X25519MLKEM768 negotiated (a rustls server on
//!   sslsocket's provider) and resumed, component vs the same engine natively; as a server, the component's `ssl-server` vs
//!   a rustls/ring server, with the same rustls/ring client;
//! - scale: N connections held open at once between two component instances (clients in a child
//!   `sslsocket load` process), with the guest memory per connection.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde_json::{Value, json};
use sslsocket::engine::{Cipher, SslSocket as NativeSocket};
use sslsocket::pki::Certificate as NativeCertificate;
use sslsocket::transport::std::StdTransport;
use sslsocket_host::load;
use sslsocket_host::server::{self, Resumption, TlsServer, TlsStream};
use sslsocket_host::testpki::{Authority, Identity, Usage};
use sslsocket_host::{NetworkPolicy, Session, SessionConfig, names};

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
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// The TLS 1.3 suites measured.
const SUITES: [&str; 2] = ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"];
/// Bytes per write call.
const CHUNK: usize = 1024 * 1024;
const MIB: usize = 1024 * 1024;
const TIMEOUT_MS: i32 = 60_000;

/// One measured row.
struct Row {
    bench: &'static str,
    case: String,
    client: &'static str,
    value: f64,
    unit: &'static str,
    note: String,
}

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
    let steps = 2 + 2 * (1 + u64::from(rsa.is_some())) + u64::from(args.connections > 0);
    let bar = Progress::new("cold start", steps, args.json);
    // Cold start first: this is the first use of the component in the process.
    cold_start(&mut rows, &ca, &ecdsa)?;
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

    if args.connections > 0 {
        bar.set("scale", steps - 1, steps);
        scale(&mut rows, args.connections, &ca, &ecdsa)?;
        bar.step("done");
    }
    bar.finish();
    print(&rows, args.json);
    Ok(ExitCode::SUCCESS)
}

/// Compile time, instantiate time, and the time from a new instance to the first byte echoed
/// over TLS.
fn cold_start(rows: &mut Vec<Row>, ca: &Authority, leaf: &Identity) -> anyhow::Result<()> {
    sslsocket_host::warm_up()?;
    let scratch = std::env::temp_dir().join(format!("sslsocket-bench-cs-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let timings = sslsocket_host::time_cold_start(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let (compile, load) = timings?;
    rows.push(Row {
        bench: "cold-start",
        case: "compile".into(),
        client: "guest",
        value: ms(compile),
        unit: "ms",
        note: "Component::new with Cranelift: the first process on a machine".into(),
    });
    rows.push(Row {
        bench: "cold-start",
        case: "load precompiled".into(),
        client: "guest",
        value: ms(load),
        unit: "ms",
        note: "Component::deserialize_file of the cached machine code: every later process".into(),
    });
    let runs = 10u32;
    let started = Instant::now();
    for _ in 0..runs {
        let session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
        drop(session);
    }
    rows.push(Row {
        bench: "cold-start",
        case: "instantiate".into(),
        client: "guest",
        value: ms(started.elapsed()) / f64::from(runs),
        unit: "ms",
        note: format!("Session::new from the compiled component, mean of {runs}"),
    });
    let echo = TlsServer::echo(&chain(ca, leaf), &leaf.key_der)?;
    let started = Instant::now();
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
    let resumed = guest_handshake(&mut session, ca, echo.port(), None)?.resumed;
    rows.push(Row {
        bench: "cold-start",
        case: "first encrypted byte".into(),
        client: "guest",
        value: ms(started.elapsed()),
        unit: "ms",
        note: format!("new instance, connect, full handshake (resumed: {resumed}), 1-byte echo"),
    });
    Ok(())
}

/// Bulk throughput per TLS 1.3 suite: the component, the engine natively, openssl.
fn throughput(
    rows: &mut Vec<Row>,
    session: &mut Session,
    mib: usize,
    ca: &Authority,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let bytes = mib * MIB;
    let sink = TlsServer::start(
        &chain(ca, leaf),
        &leaf.key_der,
        Arc::new(move |tls| sink(tls, bytes)),
    )?;
    for suite in SUITES {
        let guest = guest_send(session, ca, sink.port(), suite, bytes)?;
        let native = native_send(ca, sink.port(), suite, bytes)?;
        let guest_rate = mib_per_s(mib, guest);
        let native_rate = mib_per_s(mib, native);
        let case = format!("{suite}, {mib} MiB");
        rows.push(rate_row(
            &case,
            "guest",
            guest_rate,
            "component in wasmtime",
        ));
        rows.push(rate_row(
            &case,
            "native",
            native_rate,
            "same engine, native",
        ));
        if let Some(seconds) = openssl_send(ca, sink.port(), suite, bytes)? {
            rows.push(rate_row(
                &case,
                "openssl",
                mib_per_s(mib, seconds),
                "openssl s_client process (incl. start + handshake)",
            ));
        }
        rows.push(ratio_row("throughput", case, guest_rate / native_rate));
    }
    Ok(())
}

/// Client handshakes, full and resumed, against a native rustls/ring server: the component vs
/// the same engine natively.
fn client_handshakes(
    rows: &mut Vec<Row>,
    session: &mut Session,
    count: usize,
    ca: &Authority,
    key: &str,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let classical: Vec<String> = CLASSICAL_GROUPS.iter().map(|g| (*g).to_owned()).collect();
    let ring = || Arc::new(rustls::crypto::ring::default_provider());
    // A rustls server with sslsocket's provider natively: a peer that speaks X25519MLKEM768.
    let post_quantum = || Arc::new(sslsocket::crypto::provider());
    for (kind, resumption, groups, provider) in [
        ("full", Resumption::Disabled, None, ring()),
        (
            "full, classical groups",
            Resumption::Disabled,
            Some(classical.as_slice()),
            ring(),
        ),
        (
            "full, X25519MLKEM768",
            Resumption::Disabled,
            None,
            post_quantum(),
        ),
        ("resumed", Resumption::Allowed, None, ring()),
    ] {
        let server = TlsServer::start_with_provider(
            &chain(ca, leaf),
            &leaf.key_der,
            Arc::new(server::echo),
            resumption,
            provider,
        )?;
        let port = server.port();
        let guest = Samples::collect(count, || guest_handshake(session, ca, port, groups))?;
        let native = Samples::collect(count, || native_handshake(ca, port, groups))?;
        let case = format!("client, {key}, TLS 1.3, {kind}");
        push_handshake_rows(rows, case, (&guest, "component"), (&native, "same engine"));
    }
    Ok(())
}

/// Server handshakes: the component's `ssl-server` vs a native rustls/ring server, both full
/// handshakes from the same native rustls/ring client (resumption off).
fn server_handshakes(
    rows: &mut Vec<Row>,
    count: usize,
    ca: &Authority,
    key: &str,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let client = ring_client_config(ca)?;
    let (port, guest_server) = load::spawn_echo_server(leaf, count, SessionConfig::new())?;
    let guest = Samples::collect(count, || ring_handshake(&client, port))?;
    guest_server
        .join()
        .map_err(|_| anyhow!("the guest server panicked"))??;
    let native_server = TlsServer::echo(&chain(ca, leaf), &leaf.key_der)?;
    let native = Samples::collect(count, || ring_handshake(&client, native_server.port()))?;
    let case = format!("server, {key}, TLS 1.3, full");
    push_handshake_rows(
        rows,
        case,
        (&guest, "component ssl-server"),
        (&native, "rustls/ring server"),
    );
    Ok(())
}

/// The guest and native rows of one handshake case, each with who ran it, and their ratio.
fn push_handshake_rows(
    rows: &mut Vec<Row>,
    case: String,
    (guest, guest_who): (&Samples, &str),
    (native, native_who): (&Samples, &str),
) {
    rows.push(hs_row(&case, "guest", guest.rate(), &guest.note(guest_who)));
    rows.push(hs_row(
        &case,
        "native",
        native.rate(),
        &native.note(native_who),
    ));
    rows.push(ratio_row("handshakes", case, guest.rate() / native.rate()));
}

/// `connections` TLS connections held open at once by one component instance (the clients, in a
/// child `sslsocket load` process) to a component echo server in this process: open time, echo
/// time, and guest memory per connection on both sides.
fn scale(
    rows: &mut Vec<Row>,
    connections: usize,
    ca: &Authority,
    leaf: &Identity,
) -> anyhow::Result<()> {
    sslsocket_host::raise_open_file_limit();
    let config = SessionConfig::new().memory_limit(SCALE_MEMORY_MIB << 20);
    let (port, server) = load::spawn_echo_server(leaf, connections, config)?;
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
    let served = server
        .join()
        .map_err(|_| anyhow!("the guest server panicked"))??;
    let report: Value = serde_json::from_slice(&output.stdout).context("the load report")?;
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
    Ok(())
}

/// The guest memory cap of each instance in the scale run.
const SCALE_MEMORY_MIB: usize = 2048;

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

fn mib_per_s(mib: usize, seconds: f64) -> f64 {
    mib as f64 / seconds
}

fn rate_row(case: &str, client: &'static str, value: f64, note: &str) -> Row {
    Row {
        bench: "throughput",
        case: case.to_owned(),
        client,
        value,
        unit: "MiB/s",
        note: note.to_owned(),
    }
}

fn hs_row(case: &str, client: &'static str, value: f64, note: &str) -> Row {
    Row {
        bench: "handshakes",
        case: case.to_owned(),
        client,
        value,
        unit: "handshakes/s",
        note: note.to_owned(),
    }
}

fn print(rows: &[Row], json: bool) {
    if json {
        for row in rows {
            let line: Value = json!({
                "event": "bench",
                "bench": row.bench,
                "case": row.case,
                "client": row.client,
                "value": row.value,
                "unit": row.unit,
                "note": row.note,
            });
            println!("{line}");
        }
        return;
    }
    println!(
        "{:<12} {:<44} {:<8} {:>12} {:<14} note",
        "bench", "case", "client", "value", "unit"
    );
    for row in rows {
        println!(
            "{:<12} {:<44} {:<8} {:>12.2} {:<14} {}",
            row.bench, row.case, row.client, row.value, row.unit, row.note
        );
    }
}

/// The sink handler: reads `bytes` bytes, answers one byte `k`, then closes.
fn sink(tls: &mut TlsStream, bytes: usize) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = 0usize;
    while seen < bytes {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen += n,
        }
    }
    if tls.write_all(b"k").and_then(|()| tls.flush()).is_ok() {
        server::close(tls);
    }
}

/// The component as client: sends `bytes` bytes with `suite`, waits for the ack; seconds taken
/// after the handshake.
fn guest_send(
    session: &mut Session,
    ca: &Authority,
    port: u16,
    suite: &str,
    bytes: usize,
) -> anyhow::Result<f64> {
    let socket = guest_client(session, ca, Some(suite))?;
    guest_encrypt(session, socket, port)?;
    let chunk = vec![0x5au8; CHUNK];
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        socket
            .write_all(session, chunk.get(..n).unwrap_or_default(), TIMEOUT_MS)?
            .map_err(|e| guest_error("write", e))?;
        left -= n;
    }
    let ack = socket
        .read_exact(session, 1, TIMEOUT_MS)?
        .map_err(|e| guest_error("read", e))?;
    let seconds = started.elapsed().as_secs_f64();
    if ack != b"k" {
        bail!("guest: unexpected ack {ack:?}");
    }
    socket.abort(session)?;
    let _ = socket.take_events(session)?;
    socket.drop(session)?;
    Ok(seconds)
}

fn guest_error(what: &str, e: sslsocket_host::ErrorCode) -> anyhow::Error {
    anyhow!("guest {what}: {}", names::error_code_text(&e))
}

/// A component client socket trusting `ca`, optionally limited to one suite.
fn guest_client(
    session: &mut Session,
    ca: &Authority,
    suite: Option<&str>,
) -> anyhow::Result<sslsocket_host::SslSocket> {
    let socket = session.new_socket()?;
    socket
        .add_ca_certificates_pem(session, &ca.cert_pem)?
        .map_err(|e| guest_error("add-ca-certificates-pem", e))?;
    if let Some(suite) = suite {
        socket
            .set_ciphers_by_name(session, suite)?
            .map_err(|e| guest_error("set-ciphers-by-name", e))?;
    }
    Ok(socket)
}

/// Connects the component client to `localhost:port` and waits for the handshake.
fn guest_encrypt(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
    port: u16,
) -> anyhow::Result<()> {
    socket
        .connect_to_host_encrypted(session, "localhost", port)?
        .map_err(|e| guest_error("connect", e))?;
    socket
        .wait_for_encrypted(session, TIMEOUT_MS)?
        .map_err(|e| guest_error("handshake", e))
}

fn native_error(what: &str, e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("native {what}: {e:?}")
}

/// A native engine client trusting `ca`, optionally limited to one suite.
fn native_client(
    ca: &Authority,
    suite: Option<&str>,
) -> anyhow::Result<NativeSocket<StdTransport>> {
    let mut socket = NativeSocket::<StdTransport>::new();
    let ca_cert = NativeCertificate::from_der(&ca.cert_der).map_err(|e| native_error("CA", e))?;
    socket.config_mut().add_ca_certificates([ca_cert]);
    if let Some(suite) = suite {
        let cipher = Cipher::by_name(suite).ok_or_else(|| anyhow!("unknown suite {suite}"))?;
        socket
            .set_ciphers(vec![cipher])
            .map_err(|e| native_error("set-ciphers", e))?;
    }
    Ok(socket)
}

/// The same engine natively: like [`guest_send`].
fn native_send(ca: &Authority, port: u16, suite: &str, bytes: usize) -> anyhow::Result<f64> {
    let mut socket = native_client(ca, Some(suite))?;
    socket
        .connect_to_host_encrypted("localhost", port)
        .map_err(|e| native_error("connect", e))?;
    socket
        .wait_for_encrypted(TIMEOUT_MS)
        .map_err(|e| native_error("handshake", e))?;
    let chunk = vec![0x5au8; CHUNK];
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        socket
            .write(chunk.get(..n).unwrap_or_default())
            .map_err(|e| native_error("write", e))?;
        if socket.bytes_to_write() > 0 {
            socket
                .wait_for_bytes_written(TIMEOUT_MS)
                .map_err(|e| native_error("write", e))?;
        }
        left -= n;
    }
    while socket.bytes_available() == 0 {
        socket
            .wait_for_ready_read(TIMEOUT_MS)
            .map_err(|e| native_error("read", e))?;
    }
    let ack = socket.read(1).map_err(|e| native_error("read", e))?;
    let seconds = started.elapsed().as_secs_f64();
    if ack != b"k" {
        bail!("native: unexpected ack {ack:?}");
    }
    socket.abort();
    Ok(seconds)
}

/// `openssl s_client -quiet` piping `bytes` bytes into the same sink; `None` without `openssl`.
/// Timed from spawning the process to its exit (after the server's ack and close).
fn openssl_send(
    ca: &Authority,
    port: u16,
    suite: &str,
    bytes: usize,
) -> anyhow::Result<Option<f64>> {
    if Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| !s.success())
        .unwrap_or(true)
    {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("sslsocket-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem)?;
    let started = Instant::now();
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-tls1_3", "-ciphersuites", suite])
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "-servername",
            "localhost",
            "-verify_return_error",
            "-CAfile",
        ])
        .arg(&ca_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting openssl s_client")?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow!("no stdin for openssl"))?;
    let feeder = thread::spawn(move || {
        let chunk = vec![0x5au8; CHUNK];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(CHUNK);
            if stdin.write_all(chunk.get(..n).unwrap_or_default()).is_err() {
                break;
            }
            left -= n;
        }
        // Keep stdin open until s_client exits: `-quiet` ignores EOF anyway.
        stdin
    });
    let deadline = started + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(2));
    };
    let seconds = started.elapsed().as_secs_f64();
    let _ = feeder.join();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Some(status) if status.success() => Ok(Some(seconds)),
        Some(status) => bail!("openssl s_client failed: {status}"),
        None => bail!("openssl s_client timed out"),
    }
}

/// One connection of a handshake run.
struct Sample {
    /// From connect to the handshake done, as the client sees it.
    handshake: Duration,
    /// The 1-byte echo after it (which also takes in the server's session tickets).
    echo: Duration,
    resumed: bool,
    /// The key exchange group negotiated.
    group: Option<String>,
}

/// The samples of one handshake run.
struct Samples(Vec<Sample>);

impl Samples {
    /// Runs `one` `count` times.
    fn collect(
        count: usize,
        mut one: impl FnMut() -> anyhow::Result<Sample>,
    ) -> anyhow::Result<Self> {
        (0..count)
            .map(|_| one())
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    /// Handshakes per second (one at a time).
    fn rate(&self) -> f64 {
        let total: f64 = self.0.iter().map(|s| s.handshake.as_secs_f64()).sum();
        self.0.len() as f64 / total
    }

    fn note(&self, who: &str) -> String {
        let count = self.0.len().max(1) as f64;
        let mean = |f: fn(&Sample) -> Duration| {
            self.0.iter().map(|s| f(s).as_secs_f64()).sum::<f64>() * 1000.0 / count
        };
        let mut sorted: Vec<Duration> = self.0.iter().map(|s| s.handshake).collect();
        sorted.sort();
        let percentile = |p: usize| {
            let index = (sorted.len() * p / 100).min(sorted.len().saturating_sub(1));
            sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let mut groups: Vec<&str> = self.0.iter().filter_map(|s| s.group.as_deref()).collect();
        groups.dedup();
        format!(
            "{who}: {:.2} ms handshake (p50 {:.2}, p99 {:.2}), then {:.2} ms 1-byte echo; {}/{} resumed; {}",
            mean(|s| s.handshake),
            percentile(50),
            percentile(99),
            mean(|s| s.echo),
            self.0.iter().filter(|s| s.resumed).count(),
            self.0.len(),
            groups.join(", ")
        )
    }
}

/// One handshake by the component, then a 1-byte echo.
/// The classical key exchange groups: the default list without the post-quantum hybrids, whose
/// ML-KEM key generation a client pays for on every full handshake (the peers here have no
/// ML-KEM, so X25519 is negotiated either way).
const CLASSICAL_GROUPS: &[&str] = &["X25519", "secp256r1", "secp384r1"];

fn guest_handshake(
    session: &mut Session,
    ca: &Authority,
    port: u16,
    groups: Option<&[String]>,
) -> anyhow::Result<Sample> {
    let socket = guest_client(session, ca, None)?;
    if let Some(groups) = groups {
        socket
            .set_key_exchange_groups(session, groups)?
            .map_err(|e| guest_error("set-key-exchange-groups", e))?;
    }
    let started = Instant::now();
    guest_encrypt(session, socket, port)?;
    let handshake = started.elapsed();
    socket
        .write_all(session, b"x", TIMEOUT_MS)?
        .map_err(|e| guest_error("write", e))?;
    socket
        .read_exact(session, 1, TIMEOUT_MS)?
        .map_err(|e| guest_error("read", e))?;
    let echo = started.elapsed() - handshake;
    let resumed = socket.session_resumed(session)?;
    let group = socket.key_exchange_group(session)?;
    socket.abort(session)?;
    let _ = socket.take_events(session)?;
    socket.drop(session)?;
    Ok(Sample {
        handshake,
        echo,
        resumed,
        group,
    })
}

/// The same engine natively: like [`guest_handshake`].
fn native_handshake(
    ca: &Authority,
    port: u16,
    groups: Option<&[String]>,
) -> anyhow::Result<Sample> {
    let mut socket = native_client(ca, None)?;
    if let Some(groups) = groups {
        socket
            .config_mut()
            .set_key_exchange_groups(groups)
            .map_err(|e| native_error("set-key-exchange-groups", e))?;
    }
    let started = Instant::now();
    socket
        .connect_to_host_encrypted("localhost", port)
        .map_err(|e| native_error("connect", e))?;
    socket
        .wait_for_encrypted(TIMEOUT_MS)
        .map_err(|e| native_error("handshake", e))?;
    let handshake = started.elapsed();
    socket.write(b"x").map_err(|e| native_error("write", e))?;
    while socket.bytes_available() == 0 {
        socket
            .wait_for_ready_read(TIMEOUT_MS)
            .map_err(|e| native_error("read", e))?;
    }
    let echo = started.elapsed() - handshake;
    let resumed = socket.session_resumed();
    let group = socket.key_exchange_group();
    socket.abort();
    Ok(Sample {
        handshake,
        echo,
        resumed,
        group,
    })
}

/// A rustls/ring client configuration trusting `ca`, with resumption off.
fn ring_client_config(ca: &Authority) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(ca.cert_der.clone()))?;
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}

/// One full handshake and a 1-byte echo by a rustls/ring client.
fn ring_handshake(config: &Arc<rustls::ClientConfig>, port: u16) -> anyhow::Result<Sample> {
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let mut conn = rustls::ClientConnection::new(Arc::clone(config), name)?;
    let started = Instant::now();
    let mut tcp = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
    tcp.set_nodelay(true)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    let handshake = started.elapsed();
    let group = conn
        .negotiated_key_exchange_group()
        .map(|g| sslsocket::crypto::group_name(g.name()));
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"x")?;
    tls.flush()?;
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte)?;
    let echo = started.elapsed() - handshake;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(Sample {
        handshake,
        echo,
        resumed: false,
        group,
    })
}

/// A leaf certificate with an RSA-2048 key made by `openssl genpkey`; `None` without openssl.
fn rsa_identity(ca: &Authority) -> anyhow::Result<Option<Identity>> {
    let output = match Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .stderr(Stdio::null())
        .output()
    {
        Ok(output) if output.status.success() => output,
        _ => return Ok(None),
    };
    let pem = String::from_utf8(output.stdout).context("openssl genpkey output")?;
    let key = rcgen::KeyPair::from_pem(&pem).context("the RSA key")?;
    Ok(Some(ca.issue_with_key(
        "localhost",
        &["localhost", "127.0.0.1"],
        Usage::Server,
        key,
    )?))
}

/// The chain a server presents: the leaf, then the CA.
fn chain(ca: &Authority, leaf: &Identity) -> Vec<Vec<u8>> {
    vec![leaf.cert_der.clone(), ca.cert_der.clone()]
}

fn ratio_row(bench: &'static str, case: String, value: f64) -> Row {
    Row {
        bench,
        case,
        client: "ratio",
        value,
        unit: "guest/native",
        note: String::new(),
    }
}
