//! Handshakes per second, one at a time: as a client (full, full with classical groups only, full
//! with X25519MLKEM768 negotiated, resumed), the component vs the same engine natively; as a
//! server, the component's `ssl-server` vs a rustls/ring server, with the same rustls/ring client.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use sslsocket_host::{Session, SessionConfig};
use sslsocket_loops::load;
use sslsocket_testkit::rustls_server::{self, Resumption, TlsServer};
use sslsocket_testkit::testpki::{Authority, Identity};

use super::TIMEOUT_MS;
use super::clients::{
    guest_client, guest_close, guest_encrypt, guest_error, native_client, native_encrypt,
    native_error,
};
use super::identities::chain;
use super::report::{Row, ratio_row};
use super::samples::{Sample, Samples};

/// Client handshakes, full and resumed, against a native rustls/ring server: the component vs
/// the same engine natively.
pub(super) fn client_handshakes(
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
    let post_quantum = || Arc::new(sslsocket_crypto::provider());
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
            Arc::new(rustls_server::echo),
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
pub(super) fn server_handshakes(
    rows: &mut Vec<Row>,
    count: usize,
    ca: &Authority,
    key: &str,
    leaf: &Identity,
) -> anyhow::Result<()> {
    let client = ring_client_config(ca, false)?;
    let (port, guest_server) =
        load::spawn_echo_server(&leaf.cert_pem, &leaf.key_pem, count, SessionConfig::new())?;
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

/// A handshakes-per-second row.
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

/// The classical key exchange groups: the default list without the post-quantum hybrids. A client
/// offering the defaults pays for an ML-KEM key generation on every full handshake, even when the
/// server picks X25519 (as the rustls/ring servers do); the "classical groups" case measures the
/// same handshake without that cost. (The "X25519MLKEM768" case negotiates the hybrid, with a
/// server on sslsocket's provider.)
const CLASSICAL_GROUPS: &[&str] = &["X25519", "secp256r1", "secp384r1"];

/// One handshake by the component, then a 1-byte echo.
pub(super) fn guest_handshake(
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
    guest_close(session, socket)?;
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
    native_encrypt(&mut socket, port)?;
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

/// A rustls/ring client configuration trusting `ca`, resuming sessions (TLS 1.3 tickets, kept
/// by the configuration for all its connections) or not.
pub(super) fn ring_client_config(
    ca: &Authority,
    resumption: bool,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(ca.cert_der.clone()))?;
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    if !resumption {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Ok(Arc::new(config))
}

/// One handshake and a 1-byte echo by a rustls/ring client.
pub(super) fn ring_handshake(
    config: &Arc<rustls::ClientConfig>,
    port: u16,
) -> anyhow::Result<Sample> {
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
        .map(|g| sslsocket_crypto::group_name(g.name()));
    let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
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
        resumed,
        group,
    })
}
