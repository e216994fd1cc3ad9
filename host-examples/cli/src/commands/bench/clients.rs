//! The clients the benchmarks drive: a component socket and the same engine natively, each
//! trusting the bench CA, and their errors.

use anyhow::anyhow;
use sslsocket::engine::{Cipher, SslSocket as NativeSocket};
use sslsocket::pki::Certificate as NativeCertificate;
use sslsocket::transport::std::StdTransport;
use sslsocket_host::{Session, names};
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

/// Connects the component client to `localhost:port` and waits for the handshake.
pub(super) fn guest_encrypt(
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
