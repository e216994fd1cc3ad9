//! The clients the benchmarks drive: a component socket and the same engine natively, each
//! trusting the bench CA, and their errors.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use sslsocket::engine::{Cipher, SslSocket as NativeSocket};
use sslsocket::pki::Certificate as NativeCertificate;
use sslsocket::transport::std::StdTransport;
use sslsocket_host::{Session, SocketState, names};
use sslsocket_testkit::testpki::Authority;

use super::TIMEOUT_MS;

/// A component error as an `anyhow` error naming the call.
pub(super) fn guest_error(what: &str, e: sslsocket_host::ErrorCode) -> anyhow::Error {
    anyhow!("guest {what}: {}", names::error_code_text(&e))
}

/// A component client socket trusting `ca`, optionally limited to one suite.
pub(super) fn guest_client(
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

/// Connects the component client to `localhost:port` and drives the handshake as an event loop
/// does (`subscribe`, poll, `process`) until `encrypted`. Driven this way, the client's Finished
/// waits for the first write and leaves with it (a blocking `wait-for-encrypted` sends it alone,
/// and a first write right after it can wait for the server's delayed ACK).
pub(super) fn guest_encrypt(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
    port: u16,
) -> anyhow::Result<()> {
    socket
        .connect_to_host_encrypted(session, "localhost", port)?
        .map_err(|e| guest_error("connect", e))?;
    drive_to_encrypted(session, socket)
}

/// Like [`guest_encrypt`], over a connection the host makes and hands to the socket
/// (`adopt_tcp`, which turns Nagle's algorithm off as the native engine's transport does;
/// `wasi:sockets` cannot).
pub(super) fn guest_encrypt_adopted(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
    port: u16,
) -> anyhow::Result<()> {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    socket
        .adopt_tcp(session, stream)?
        .map_err(|e| guest_error("adopt-tcp", e))?;
    socket.set_peer_verify_name(session, "localhost")?;
    socket
        .start_client_handshake(session)?
        .map_err(|e| guest_error("start-client-handshake", e))?;
    drive_to_encrypted(session, socket)
}

/// Drives a client handshake as an event loop does (`subscribe`, poll, `process`) until
/// `encrypted`.
fn drive_to_encrypted(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_millis(TIMEOUT_MS.unsigned_abs().into());
    loop {
        socket.process(session)?;
        if socket.is_encrypted(session)? {
            return Ok(());
        }
        if socket.state(session)? == SocketState::Unconnected {
            return Err(match socket.error(session)? {
                Some(e) => guest_error("handshake", e),
                None => anyhow!("guest handshake: the connection ended"),
            });
        }
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or_else(|| anyhow!("guest handshake: timed out"))?;
        let pollable = socket.subscribe(session)?;
        session.poll(&[&pollable], Some(left))?;
        pollable.drop(session)?;
    }
}

/// Ends a component client's connection and frees the socket.
pub(super) fn guest_close(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
) -> anyhow::Result<()> {
    socket.abort(session)?;
    let _ = socket.take_events(session)?;
    socket.drop(session)?;
    Ok(())
}

/// Connects the native engine client to `localhost:port` and waits for the handshake.
pub(super) fn native_encrypt(
    socket: &mut NativeSocket<StdTransport>,
    port: u16,
) -> anyhow::Result<()> {
    socket
        .connect_to_host_encrypted("localhost", port)
        .map_err(|e| native_error("connect", e))?;
    socket
        .wait_for_encrypted(TIMEOUT_MS)
        .map_err(|e| native_error("handshake", e))
}

/// A native engine error as an `anyhow` error naming the call.
pub(super) fn native_error(what: &str, e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("native {what}: {e:?}")
}

/// A native engine client trusting `ca`, optionally limited to one suite.
pub(super) fn native_client(
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
