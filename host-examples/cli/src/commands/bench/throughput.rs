//! Bulk throughput per TLS 1.3 suite, all sending to one native rustls/ring sink: the component,
//! the same engine natively, and `openssl s_client`; then receiving from a native rustls/ring
//! source: the component and the same engine natively.

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use sslsocket_host::Session;
use sslsocket_testkit::rustls_server::{self, TlsServer, TlsStream};
use sslsocket_testkit::testpki::{Authority, Identity};

use super::clients::{
    guest_client, guest_close, guest_encrypt, guest_encrypt_adopted, guest_error, native_client,
    native_encrypt, native_error,
};
use super::identities::chain;
use super::report::{Row, ratio_row};
use super::{MIB, TIMEOUT_MS};

/// The TLS 1.3 suites measured.
const SUITES: [&str; 2] = ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"];
/// Bytes per write call.
const CHUNK: usize = 1024 * 1024;

/// Bulk throughput per TLS 1.3 suite: the component, the engine natively, openssl.
pub(super) fn throughput(
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
        let guest = guest_send(session, ca, sink.port(), suite, bytes, Connection::Guest)?;
        let adopted = guest_send(session, ca, sink.port(), suite, bytes, Connection::Host)?;
        let native = native_send(ca, sink.port(), suite, bytes)?;
        let guest_rate = mib_per_s(mib, guest);
        let native_rate = mib_per_s(mib, native);
        let case = format!("{suite}, {mib} MiB");
        rows.extend(guest_and_native_rows(&case, guest_rate, native_rate));
        if let Some(seconds) = openssl_send(ca, sink.port(), suite, bytes)? {
            rows.push(rate_row(
                &case,
                "openssl",
                mib_per_s(mib, seconds),
                "openssl s_client process (incl. start + handshake)",
            ));
        }
        rows.push(ratio_row("throughput", case, guest_rate / native_rate));
        // The same upload over a connection the host made (TCP_NODELAY, as natively): the
        // data path without the last segment's wait for a delayed ACK (README, "Nagle").
        let case = format!("{suite}, {mib} MiB, host connection");
        let adopted_rate = mib_per_s(mib, adopted);
        rows.push(rate_row(
            &case,
            "guest",
            adopted_rate,
            "component in wasmtime, the host's TCP connection (adopt-tcp)",
        ));
        rows.push(ratio_row("throughput", case, adopted_rate / native_rate));
    }
    // The other direction: the server sends, the client receives.
    let source = TlsServer::start(
        &chain(ca, leaf),
        &leaf.key_der,
        Arc::new(move |tls| source(tls, bytes)),
    )?;
    for suite in SUITES {
        let guest = guest_receive(session, ca, source.port(), suite, bytes)?;
        let native = native_receive(ca, source.port(), suite, bytes)?;
        let (guest_rate, native_rate) = (mib_per_s(mib, guest), mib_per_s(mib, native));
        let case = format!("{suite}, {mib} MiB received");
        rows.extend(guest_and_native_rows(&case, guest_rate, native_rate));
        rows.push(ratio_row("throughput", case, guest_rate / native_rate));
    }
    Ok(())
}

/// The source handler: waits for one byte, sends `bytes` bytes, then closes.
fn source(tls: &mut TlsStream, bytes: usize) {
    let mut go = [0u8; 1];
    if tls.read_exact(&mut go).is_err() {
        return;
    }
    let chunk = vec![0xa5u8; CHUNK];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(CHUNK);
        if tls.write_all(chunk.get(..n).unwrap_or_default()).is_err() {
            return;
        }
        left -= n;
    }
    if tls.flush().is_ok() {
        rustls_server::close(tls);
    }
}

/// The component as client: asks for `bytes` bytes with `suite` and reads them all; seconds
/// taken after the handshake.
fn guest_receive(
    session: &mut Session,
    ca: &Authority,
    port: u16,
    suite: &str,
    bytes: usize,
) -> anyhow::Result<f64> {
    let socket = guest_client(session, ca, Some(suite))?;
    guest_encrypt(session, socket, port)?;
    let started = Instant::now();
    socket
        .write_all(session, b"g", TIMEOUT_MS)?
        .map_err(|e| guest_error("write", e))?;
    let mut seen = 0usize;
    while seen < bytes {
        if socket.bytes_available(session)? == 0 {
            socket
                .wait_for_ready_read(session, TIMEOUT_MS)?
                .map_err(|e| guest_error("read", e))?;
        }
        let data = socket
            .read(session, 1 << 20)?
            .map_err(|e| guest_error("read", e))?;
        seen += data.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    guest_close(session, socket)?;
    Ok(seconds)
}

/// The same engine natively: like [`guest_receive`].
fn native_receive(ca: &Authority, port: u16, suite: &str, bytes: usize) -> anyhow::Result<f64> {
    let mut socket = native_client(ca, Some(suite))?;
    native_encrypt(&mut socket, port)?;
    let started = Instant::now();
    socket.write(b"g").map_err(|e| native_error("write", e))?;
    let mut seen = 0usize;
    while seen < bytes {
        if socket.bytes_available() == 0 {
            socket
                .wait_for_ready_read(TIMEOUT_MS)
                .map_err(|e| native_error("read", e))?;
        }
        seen += socket
            .read(1 << 20)
            .map_err(|e| native_error("read", e))?
            .len();
    }
    let seconds = started.elapsed().as_secs_f64();
    socket.abort();
    Ok(seconds)
}

/// MiB per second.
fn mib_per_s(mib: usize, seconds: f64) -> f64 {
    mib as f64 / seconds
}

/// The guest's and the native engine's rows of one case.
fn guest_and_native_rows(case: &str, guest: f64, native: f64) -> [Row; 2] {
    [
        rate_row(case, "guest", guest, "component in wasmtime"),
        rate_row(case, "native", native, "same engine, native"),
    ]
}

/// A throughput row.
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
        rustls_server::close(tls);
    }
}

/// Who makes a guest client's TCP connection.
#[derive(Clone, Copy)]
enum Connection {
    /// The guest, through `wasi:sockets` (`connect-to-host`).
    Guest,
    /// The host, handed to the socket (`adopt_tcp`).
    Host,
}

/// The component as client: sends `bytes` bytes with `suite`, waits for the ack; seconds taken
/// after the handshake.
fn guest_send(
    session: &mut Session,
    ca: &Authority,
    port: u16,
    suite: &str,
    bytes: usize,
    connection: Connection,
) -> anyhow::Result<f64> {
    let socket = guest_client(session, ca, Some(suite))?;
    match connection {
        Connection::Guest => guest_encrypt(session, socket, port)?,
        Connection::Host => guest_encrypt_adopted(session, socket, port)?,
    }
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
    guest_close(session, socket)?;
    Ok(seconds)
}

/// The same engine natively: like [`guest_send`].
fn native_send(ca: &Authority, port: u16, suite: &str, bytes: usize) -> anyhow::Result<f64> {
    let mut socket = native_client(ca, Some(suite))?;
    native_encrypt(&mut socket, port)?;
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
