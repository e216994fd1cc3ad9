//! `sslsocket bench`: the component (in wasmtime) side by side with the same TLS engine compiled
//! natively, and with `openssl s_client` when it is on PATH, all on 127.0.0.1 in one run.
//!
//! Every client talks to the same native server ([`sslsocket_host::server::TlsServer`], rustls
//! with ring), so the ratios compare the clients only.

use std::io::{Read as _, Write as _};
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
use sslsocket_host::server::{self, TlsServer, TlsStream};
use sslsocket_host::testpki::{Authority, Usage};
use sslsocket_host::{NetworkPolicy, Session, SessionConfig, names};

/// Arguments of `sslsocket bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// MiB sent one way per throughput run.
    #[arg(long, default_value_t = 64)]
    mib: usize,
    /// Full handshakes per client in the handshake run.
    #[arg(long, default_value_t = 50)]
    handshakes: usize,
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
    let leaf = ca.issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)?;
    let chain = vec![leaf.cert_der.clone(), ca.cert_der.clone()];
    let mut rows = Vec::new();

    // 3. Cold start first: this is the first use of the component in the process.
    let started = Instant::now();
    sslsocket_host::warm_up()?;
    rows.push(Row {
        bench: "cold-start",
        case: "compile".into(),
        client: "guest",
        value: ms(started.elapsed()),
        unit: "ms",
        note: "Component::new + linker.instantiate_pre, once per process".into(),
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

    // 1. Bulk throughput.
    let bytes = args.mib * MIB;
    let sink = TlsServer::start(&chain, &leaf.key_der, Arc::new(move |tls| sink(tls, bytes)))?;
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
    for suite in SUITES {
        let guest = guest_send(&mut session, &ca, sink.port(), suite, bytes)?;
        let native = native_send(&ca, sink.port(), suite, bytes)?;
        let guest_rate = mib_per_s(args.mib, guest);
        let native_rate = mib_per_s(args.mib, native);
        let case = format!("{suite}, {} MiB", args.mib);
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
        if let Some(seconds) = openssl_send(&ca, sink.port(), suite, bytes)? {
            rows.push(rate_row(
                &case,
                "openssl",
                mib_per_s(args.mib, seconds),
                "openssl s_client process (incl. start + handshake)",
            ));
        }
        rows.push(Row {
            bench: "throughput",
            case,
            client: "ratio",
            value: guest_rate / native_rate,
            unit: "guest/native",
            note: String::new(),
        });
    }
    drop(sink);

    // 2. Full handshakes per second.
    let echo = TlsServer::echo(&chain, &leaf.key_der)?;
    let guest = guest_handshakes(&mut session, &ca, echo.port(), args.handshakes)?;
    let native = native_handshakes(&ca, echo.port(), args.handshakes)?;
    let case = format!("ECDSA P-256, TLS 1.3, {} handshakes", args.handshakes);
    let count = args.handshakes as f64;
    let guest_rate = count / guest;
    let native_rate = count / native;
    let note = "connect + wait-for-encrypted + abort";
    rows.push(hs_row(&case, "guest", guest_rate, note));
    rows.push(hs_row(&case, "native", native_rate, note));
    rows.push(Row {
        bench: "handshakes",
        case,
        client: "ratio",
        value: guest_rate / native_rate,
        unit: "guest/native",
        note: String::new(),
    });
    drop(echo);

    print(&rows, args.json);
    Ok(ExitCode::SUCCESS)
}

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
    let socket = session.new_socket()?;
    let wit = |what: &str, e: sslsocket_host::ErrorCode| {
        anyhow!("guest {what}: {}", names::error_code_text(&e))
    };
    socket
        .add_ca_certificates_pem(session, &ca.cert_pem)?
        .map_err(|e| wit("add-ca-certificates-pem", e))?;
    socket
        .set_ciphers_by_name(session, suite)?
        .map_err(|e| wit("set-ciphers-by-name", e))?;
    socket
        .connect_to_host_encrypted(session, "localhost", port)?
        .map_err(|e| wit("connect", e))?;
    socket
        .wait_for_encrypted(session, TIMEOUT_MS)?
        .map_err(|e| wit("handshake", e))?;
    let chunk = vec![0x5au8; CHUNK];
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        socket
            .write_all(session, chunk.get(..n).unwrap_or_default(), TIMEOUT_MS)?
            .map_err(|e| wit("write", e))?;
        left -= n;
    }
    let ack = socket
        .read_exact(session, 1, TIMEOUT_MS)?
        .map_err(|e| wit("read", e))?;
    let seconds = started.elapsed().as_secs_f64();
    if ack != b"k" {
        bail!("guest: unexpected ack {ack:?}");
    }
    socket.abort(session)?;
    let _ = socket.take_events(session)?;
    socket.drop(session)?;
    Ok(seconds)
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

/// Full handshakes by the component: seconds for `count` of them.
fn guest_handshakes(
    session: &mut Session,
    ca: &Authority,
    port: u16,
    count: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    for _ in 0..count {
        let socket = session.new_socket()?;
        socket
            .add_ca_certificates_pem(session, &ca.cert_pem)?
            .map_err(|e| anyhow!("guest CA: {}", names::error_code_text(&e)))?;
        socket
            .connect_to_host_encrypted(session, "localhost", port)?
            .map_err(|e| anyhow!("guest connect: {}", names::error_code_text(&e)))?;
        socket
            .wait_for_encrypted(session, TIMEOUT_MS)?
            .map_err(|e| anyhow!("guest handshake: {}", names::error_code_text(&e)))?;
        socket.abort(session)?;
        let _ = socket.take_events(session)?;
        socket.drop(session)?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Full handshakes by the native engine: seconds for `count` of them.
fn native_handshakes(ca: &Authority, port: u16, count: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for _ in 0..count {
        let mut socket = native_client(ca, None)?;
        socket
            .connect_to_host_encrypted("localhost", port)
            .map_err(|e| native_error("connect", e))?;
        socket
            .wait_for_encrypted(TIMEOUT_MS)
            .map_err(|e| native_error("handshake", e))?;
        socket.abort();
    }
    Ok(started.elapsed().as_secs_f64())
}
