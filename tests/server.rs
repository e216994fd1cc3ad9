//! The `ssl-server` resource (QSslServer inside the component) against real clients on 127.0.0.1:
//! `openssl s_client` (TLS 1.2 and 1.3, every cipher suite, client certificates required /
//! optional / not asked), Python's `ssl`, raw TCP (silent and garbage-sending clients), and the
//! component's own `ssl-socket` (component to component: ALPN, resumption, SNI, STARTTLS).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::server::{SClient, Srv, c2c_connect, is_failed};
use common::*;
use sslsocket_host::{
    Certificate, EncodingFormat, ErrorCode, Mode, NetworkPolicy, NextProtocolNegotiationStatus,
    PeerVerifyMode, Protocol, ServerEvent, Session, SessionConfig, SocketState, SslSocket,
};
use sslsocket_testkit as common;
use sslsocket_testkit::testpki::{Authority, Usage};

const WAIT: Duration = Duration::from_millis(WAIT_MS as u64);

// ----- helpers -----

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One s_client connection with `args`: returns the server's view (protocol, cipher) and
/// s_client's output after a line from the server reached it.
fn s_client_round(srv: &mut Srv, args: &[&str]) -> (Option<Protocol>, Option<String>, String) {
    let client = SClient::start(srv.port, args);
    let socket = srv.accept();
    let session = &mut srv.session;
    let protocol = socket.session_protocol(session).unwrap();
    let cipher = socket.current_cipher(session).unwrap().map(|c| c.name);
    assert_eq!(socket.mode(session).unwrap(), Mode::SslServer);
    socket
        .write_all(session, b"hello from the component server\n", WAIT_MS)
        .unwrap()
        .unwrap();
    assert!(
        client.wait_for_output("hello from the component server"),
        "{}",
        client.output()
    );
    socket.disconnect_from_host(session).unwrap();
    let output = client.finish();
    socket.drop(session).unwrap();
    (protocol, cipher, output)
}

/// Sends `data` from `from` and reads it on `to` (different instances, driven from one thread).
fn c2c_send(fs: &mut Session, from: SslSocket, ts: &mut Session, to: SslSocket, data: &[u8]) {
    from.write(fs, data).unwrap().unwrap();
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    while got.len() < data.len() {
        from.process(fs).unwrap();
        to.process(ts).unwrap();
        got.extend(to.read_all(ts).unwrap().unwrap());
        assert!(Instant::now() < deadline, "received only {got:?}");
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(got, data);
}

/// Closes both ends and drops them.
fn c2c_close(cs: &mut Session, client: SslSocket, ss: &mut Session, server_side: SslSocket) {
    client.disconnect_from_host(cs).unwrap();
    let deadline = Instant::now() + WAIT;
    while client.state(cs).unwrap() != SocketState::Unconnected && Instant::now() < deadline {
        client.process(cs).unwrap();
        server_side.process(ss).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    server_side.disconnect_from_host(ss).unwrap();
    server_side.drop(ss).unwrap();
    client.drop(cs).unwrap();
}

fn subject_of(session: &mut Session, cert: Option<Certificate>) -> Option<String> {
    cert.map(|c| {
        let subject = c.subject(session).unwrap();
        c.drop(session).unwrap();
        subject
    })
}

// ----- openssl s_client: protocols and cipher suites -----

const TLS13_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];
const ECDSA_SUITES: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
];
const RSA_SUITES: &[&str] = &[
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

#[test]
fn s_client_tls13_every_suite() {
    let pki = TestPki::new("srv-tls13", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    for suite in TLS13_SUITES {
        let (protocol, cipher, output) = s_client_round(
            &mut srv,
            &[
                "-tls1_3",
                "-ciphersuites",
                suite,
                "-CAfile",
                path(&pki.ca_pem),
                "-verify_return_error",
                "-servername",
                "localhost",
            ],
        );
        assert_eq!(protocol, Some(Protocol::TlsV13), "{suite}");
        assert_eq!(cipher.as_deref(), Some(*suite));
        assert!(
            output.contains(&format!("New, TLSv1.3, Cipher is {suite}")),
            "{suite}: {output}"
        );
        assert!(output.contains("Verify return code: 0 (ok)"), "{output}");
    }
}

#[test]
fn s_client_tls12_every_ecdsa_suite() {
    let pki = TestPki::new("srv-tls12-ec", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    for suite in ECDSA_SUITES {
        let (protocol, cipher, output) = s_client_round(
            &mut srv,
            &["-tls1_2", "-cipher", suite, "-CAfile", path(&pki.ca_pem)],
        );
        assert_eq!(protocol, Some(Protocol::TlsV12), "{suite}");
        assert_eq!(cipher.as_deref(), Some(*suite));
        assert!(
            output.contains(&format!("New, TLSv1.2, Cipher is {suite}")),
            "{suite}: {output}"
        );
    }
}

#[test]
fn s_client_tls12_every_rsa_suite() {
    let pki = TestPki::new("srv-tls12-rsa", KeyKind::Rsa2048);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    for suite in RSA_SUITES {
        let (protocol, cipher, output) = s_client_round(
            &mut srv,
            &["-tls1_2", "-cipher", suite, "-CAfile", path(&pki.ca_pem)],
        );
        assert_eq!(protocol, Some(Protocol::TlsV12), "{suite}");
        assert_eq!(cipher.as_deref(), Some(*suite));
        assert!(
            output.contains(&format!("New, TLSv1.2, Cipher is {suite}")),
            "{suite}: {output}"
        );
    }
    // The RSA server also speaks TLS 1.3 (RSA-PSS signatures).
    let (protocol, _, output) =
        s_client_round(&mut srv, &["-tls1_3", "-CAfile", path(&pki.ca_pem)]);
    assert_eq!(protocol, Some(Protocol::TlsV13), "{output}");
}

#[test]
fn server_side_protocol_and_cipher_settings_decide() {
    let pki = TestPki::new("srv-settings", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_ciphers_by_name(
                session,
                "TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
            )
            .unwrap()
            .unwrap();
    });
    let (protocol, cipher, _) = s_client_round(&mut srv, &["-CAfile", path(&pki.ca_pem)]);
    assert_eq!(protocol, Some(Protocol::TlsV13));
    assert_eq!(cipher.as_deref(), Some("TLS_CHACHA20_POLY1305_SHA256"));
    let (protocol, cipher, _) =
        s_client_round(&mut srv, &["-tls1_2", "-CAfile", path(&pki.ca_pem)]);
    assert_eq!(protocol, Some(Protocol::TlsV12));
    assert_eq!(cipher.as_deref(), Some("ECDHE-ECDSA-AES256-GCM-SHA384"));

    let mut srv12 = Srv::with_pki(&pki, |session, server| {
        server
            .set_protocol(session, Protocol::TlsV12)
            .unwrap()
            .unwrap();
    });
    let (protocol, _, _) = s_client_round(&mut srv12, &["-CAfile", path(&pki.ca_pem)]);
    assert_eq!(protocol, Some(Protocol::TlsV12));
    // A TLS 1.3-only client is refused.
    let client = SClient::start(srv12.port, &["-tls1_3"]);
    let events = srv12.events_until(WAIT, |events, _| events.iter().any(is_failed));
    let output = client.finish();
    assert!(events.iter().any(is_failed), "{events:?}");
    assert!(output.contains("alert"), "{output}");
}

// ----- client certificates -----

#[test]
fn verify_peer_requires_a_valid_client_certificate() {
    let pki = TestPki::new("srv-verify-peer", KeyKind::EcdsaP256);
    let ca_pem = pki.ca.cert_pem.clone();
    let mut srv = Srv::with_pki(&pki, |session, server| {
        let ca = session.certificate_from_pem(&ca_pem).unwrap().unwrap();
        server.set_ca_certificates(session, &[&ca]).unwrap();
        server
            .set_peer_verify_mode(session, PeerVerifyMode::VerifyPeer)
            .unwrap();
    });

    for version in ["-tls1_3", "-tls1_2"] {
        // With the client certificate: accepted, and the accepted socket shows it.
        let client = SClient::start(
            srv.port,
            &[
                version,
                "-msg",
                "-CAfile",
                path(&pki.ca_pem),
                "-cert",
                path(&pki.client_cert),
                "-key",
                path(&pki.client_key),
            ],
        );
        let socket = srv.accept();
        let session = &mut srv.session;
        let peer = socket
            .peer_certificate(session)
            .unwrap()
            .expect("client certificate");
        assert_eq!(peer.subject(session).unwrap(), CLIENT_SUBJECT);
        assert_eq!(peer.to_der(session).unwrap(), pki.client.cert_der);
        peer.drop(session).unwrap();
        assert_eq!(
            socket.peer_chain_subjects(session).unwrap()[0],
            CLIENT_SUBJECT
        );
        assert!(socket.ssl_errors(session).unwrap().is_empty());
        socket.disconnect_from_host(session).unwrap();
        socket.drop(session).unwrap();
        let output = client.finish();
        assert!(output.contains("CertificateRequest"), "{output}");

        // Without: the handshake fails on the server, which queues handshake-failed.
        let client = SClient::start(srv.port, &[version, "-CAfile", path(&pki.ca_pem)]);
        let events = srv.events_until(WAIT, |events, _| events.iter().any(is_failed));
        let output = client.finish();
        let failure = events
            .iter()
            .find_map(|e| match e {
                ServerEvent::HandshakeFailed(f) => Some(f.clone()),
                _ => None,
            })
            .unwrap();
        assert!(
            matches!(failure.error, ErrorCode::SslHandshakeFailed(_)),
            "{failure:?}"
        );
        assert_eq!(
            failure
                .peer_address
                .as_deref()
                .map(|a| a.starts_with("127.0.0.1")),
            Some(true)
        );
        assert!(
            !srv.server
                .has_pending_connections(&mut srv.session)
                .unwrap()
        );
        assert!(output.contains("alert"), "{version}: {output}");
    }

    // A certificate from another CA is refused too, with the reason in ssl-errors.
    let other = Authority::new("some other CA").unwrap();
    let stranger = other.issue("stranger", &[], Usage::Client).unwrap();
    let cert = pki.dir.write("stranger.pem", &stranger.cert_pem);
    let key = pki.dir.write("stranger.key", &stranger.key_pem);
    let client = SClient::start(srv.port, &["-cert", path(&cert), "-key", path(&key)]);
    let events = srv.events_until(WAIT, |events, _| events.iter().any(is_failed));
    client.finish();
    let Some(ServerEvent::HandshakeFailed(failure)) = events.iter().find(|e| is_failed(e)) else {
        panic!("{events:?}");
    };
    assert!(!failure.ssl_errors.is_empty(), "{failure:?}");
}

#[test]
fn query_peer_asks_but_accepts_any_or_none() {
    let pki = TestPki::new("srv-query-peer", KeyKind::EcdsaP256);
    let ca_pem = pki.ca.cert_pem.clone();
    let mut srv = Srv::with_pki(&pki, |session, server| {
        let ca = session.certificate_from_pem(&ca_pem).unwrap().unwrap();
        server.set_ca_certificates(session, &[&ca]).unwrap();
        server
            .set_peer_verify_mode(session, PeerVerifyMode::QueryPeer)
            .unwrap();
    });

    // No certificate: accepted, none seen; the CertificateRequest was sent.
    let client = SClient::start(srv.port, &["-msg", "-CAfile", path(&pki.ca_pem)]);
    let socket = srv.accept();
    assert!(socket.peer_certificate(&mut srv.session).unwrap().is_none());
    socket.disconnect_from_host(&mut srv.session).unwrap();
    socket.drop(&mut srv.session).unwrap();
    let output = client.finish();
    assert!(output.contains("CertificateRequest"), "{output}");

    // A valid certificate: accepted and shown.
    let client = SClient::start(
        srv.port,
        &[
            "-cert",
            path(&pki.client_cert),
            "-key",
            path(&pki.client_key),
        ],
    );
    let socket = srv.accept();
    let peer = socket.peer_certificate(&mut srv.session).unwrap();
    assert_eq!(
        subject_of(&mut srv.session, peer).as_deref(),
        Some(CLIENT_SUBJECT)
    );
    assert!(socket.ssl_errors(&mut srv.session).unwrap().is_empty());
    socket.drop(&mut srv.session).unwrap();
    client.finish();

    // An unverifiable certificate: accepted, errors reported.
    let other = Authority::new("some other CA").unwrap();
    let stranger = other.issue("stranger", &[], Usage::Client).unwrap();
    let cert = pki.dir.write("stranger.pem", &stranger.cert_pem);
    let key = pki.dir.write("stranger.key", &stranger.key_pem);
    let client = SClient::start(srv.port, &["-cert", path(&cert), "-key", path(&key)]);
    let socket = srv.accept();
    let peer = socket.peer_certificate(&mut srv.session).unwrap();
    assert_eq!(
        subject_of(&mut srv.session, peer).as_deref(),
        Some("CN=stranger, O=sslsocket test")
    );
    let errors = socket.ssl_error_report(&mut srv.session).unwrap();
    assert!(!errors.is_empty(), "query-peer reports the errors");
    socket.drop(&mut srv.session).unwrap();
    client.finish();
}

#[test]
fn verify_none_sends_no_certificate_request() {
    let pki = TestPki::new("srv-verify-none", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_peer_verify_mode(session, PeerVerifyMode::VerifyNone)
            .unwrap();
    });
    let client = SClient::start(
        srv.port,
        &[
            "-msg",
            "-cert",
            path(&pki.client_cert),
            "-key",
            path(&pki.client_key),
        ],
    );
    let socket = srv.accept();
    assert!(socket.peer_certificate(&mut srv.session).unwrap().is_none());
    socket.disconnect_from_host(&mut srv.session).unwrap();
    socket.drop(&mut srv.session).unwrap();
    let output = client.finish();
    assert!(!output.contains("CertificateRequest"), "{output}");
    assert!(
        output.contains("No client certificate CA names sent"),
        "{output}"
    );
}

// ----- Python ssl -----

const PY_CLIENT: &str = r#"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["h2", "http/1.1"])
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"ping from python\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        print("VERSION", tls.version())
        print("CIPHER", tls.cipher()[0])
        print("ALPN", tls.selected_alpn_protocol())
        print("GOT", data.decode().strip())
"#;

#[test]
fn python_ssl_client() {
    let pki = TestPki::new("srv-python", KeyKind::EcdsaP256);
    let script = pki.dir.write("client.py", PY_CLIENT);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_allowed_next_protocols(session, &["http/1.1"])
            .unwrap()
            .unwrap();
    });
    let port = srv.port.to_string();
    let ca = pki.ca_pem.clone();
    let python = thread::spawn(move || {
        Command::new("python3")
            .arg(script)
            .arg(port)
            .arg(ca)
            .output()
            .expect("python3")
    });
    let socket = srv.accept();
    let session = &mut srv.session;
    assert_eq!(
        socket.next_negotiated_protocol(session).unwrap().as_deref(),
        Some("http/1.1")
    );
    assert_eq!(
        socket.next_protocol_negotiation_status(session).unwrap(),
        NextProtocolNegotiationStatus::Negotiated
    );
    while !socket.can_read_line(session).unwrap() {
        socket
            .wait_for_ready_read(session, WAIT_MS)
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        socket.read_line(session, 0).unwrap().unwrap(),
        b"ping from python\n"
    );
    socket
        .write_all(session, b"pong from the component\n", WAIT_MS)
        .unwrap()
        .unwrap();
    let output = python.join().unwrap();
    socket.disconnect_from_host(session).unwrap();
    socket.drop(session).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("VERSION TLSv1.3"), "{stdout}");
    assert!(stdout.contains("ALPN http/1.1"), "{stdout}");
    assert!(stdout.contains("GOT pong from the component"), "{stdout}");
}

// ----- component to component -----

#[test]
fn component_to_component() {
    let pki = TestPki::new("srv-c2c", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let mut cs = session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "{events:?}");
    let server_side = accepted.unwrap();
    let ss = &mut srv.session;
    assert_eq!(server_side.mode(ss).unwrap(), Mode::SslServer);
    assert_eq!(client.mode(&mut cs).unwrap(), Mode::SslClient);
    assert_eq!(
        server_side.current_cipher(ss).unwrap(),
        client.current_cipher(&mut cs).unwrap()
    );
    assert_eq!(
        server_side.session_protocol(ss).unwrap(),
        client.session_protocol(&mut cs).unwrap()
    );
    let group = server_side.key_exchange_group(ss).unwrap();
    assert!(group.is_some());
    assert_eq!(group, client.key_exchange_group(&mut cs).unwrap());
    assert_eq!(
        client.peer_chain_subjects(&mut cs).unwrap(),
        vec![SERVER_SUBJECT.to_owned(), CA_SUBJECT.to_owned()]
    );
    c2c_send(&mut cs, client, ss, server_side, b"client to server\n");
    c2c_send(ss, server_side, &mut cs, client, b"server to client\n");
    let big = pattern(300_000, 7);
    c2c_send(&mut cs, client, ss, server_side, &big);
    c2c_close(&mut cs, client, ss, server_side);
}

#[test]
fn accepted_socket_knows_its_addresses() {
    let pki = TestPki::new("srv-addresses", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let mut cs = session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    let (_, accepted, _) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    let server_side = accepted.unwrap();
    let ss = &mut srv.session;
    assert_eq!(server_side.state(ss).unwrap(), SocketState::Connected);
    assert_eq!(server_side.local_port(ss).unwrap(), srv.port);
    assert_eq!(
        server_side.local_address(ss).unwrap().as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        server_side.peer_address(ss).unwrap(),
        client.local_address(&mut cs).unwrap()
    );
    // Qt's peerPort of an accepted socket is the client's port.
    assert_eq!(
        server_side.peer_port(ss).unwrap(),
        client.local_port(&mut cs).unwrap(),
        "peer-port of the accepted socket"
    );
}

#[test]
fn alpn_agreement_and_disagreement() {
    let pki = TestPki::new("srv-alpn", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_allowed_next_protocols(session, &["http/1.1"])
            .unwrap()
            .unwrap();
    });
    let mut cs = session();

    // Agreement: the client offers h2 and http/1.1, the server takes http/1.1.
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    client
        .set_allowed_next_protocols(&mut cs, &["h2", "http/1.1"])
        .unwrap()
        .unwrap();
    assert_eq!(
        client.allowed_next_protocols(&mut cs).unwrap(),
        vec!["h2".to_owned(), "http/1.1".to_owned()]
    );
    assert_eq!(
        client.next_protocol_negotiation_status(&mut cs).unwrap(),
        NextProtocolNegotiationStatus::None
    );
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "{events:?}");
    let server_side = accepted.unwrap();
    for (session, socket) in [(&mut cs, client), (&mut srv.session, server_side)] {
        assert_eq!(
            socket.next_negotiated_protocol(session).unwrap().as_deref(),
            Some("http/1.1")
        );
        assert_eq!(
            socket.next_protocol_negotiation_status(session).unwrap(),
            NextProtocolNegotiationStatus::Negotiated
        );
    }
    c2c_close(&mut cs, client, &mut srv.session, server_side);

    // The client offers nothing: no ALPN. The client's status is none; the server, which has a
    // list, reports unsupported (the component's rule: a list was set and nothing was agreed; a
    // Qt/OpenSSL server would stay at none because its ALPN callback never runs).
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    let (encrypted, accepted, _) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted);
    let server_side = accepted.unwrap();
    assert_eq!(client.next_negotiated_protocol(&mut cs).unwrap(), None);
    assert_eq!(
        client.next_protocol_negotiation_status(&mut cs).unwrap(),
        NextProtocolNegotiationStatus::None
    );
    assert_eq!(
        server_side
            .next_negotiated_protocol(&mut srv.session)
            .unwrap(),
        None
    );
    assert_eq!(
        server_side
            .next_protocol_negotiation_status(&mut srv.session)
            .unwrap(),
        NextProtocolNegotiationStatus::Unsupported
    );
    c2c_close(&mut cs, client, &mut srv.session, server_side);

    // The client offers, a server without ALPN ignores it: encrypted, client status unsupported.
    let mut plain = Srv::with_pki(&pki, |_, _| {});
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    client
        .set_allowed_next_protocols(&mut cs, &["h2", "http/1.1"])
        .unwrap()
        .unwrap();
    let (encrypted, accepted, _) = c2c_connect(&mut cs, client, "localhost", &mut plain);
    assert!(encrypted);
    let server_side = accepted.unwrap();
    assert_eq!(client.next_negotiated_protocol(&mut cs).unwrap(), None);
    assert_eq!(
        client.next_protocol_negotiation_status(&mut cs).unwrap(),
        NextProtocolNegotiationStatus::Unsupported
    );
    assert_eq!(
        server_side
            .next_negotiated_protocol(&mut plain.session)
            .unwrap(),
        None
    );
    c2c_close(&mut cs, client, &mut plain.session, server_side);
}

#[test]
fn alpn_without_overlap_is_refused_with_no_application_protocol() {
    let pki = TestPki::new("srv-alpn-none", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_allowed_next_protocols(session, &["http/1.1"])
            .unwrap()
            .unwrap();
    });
    let mut cs = session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    client
        .set_allowed_next_protocols(&mut cs, &["h2"])
        .unwrap()
        .unwrap();
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(!encrypted);
    assert!(accepted.is_none());
    let Some(ServerEvent::HandshakeFailed(failure)) = events.iter().find(|e| is_failed(e)) else {
        panic!("no handshake-failed: {events:?}");
    };
    assert!(
        matches!(&failure.error, ErrorCode::SslHandshakeFailed(_)),
        "{failure:?}"
    );
    // The server says why: rustls sends the no_application_protocol alert (RFC 7301 §3.2).
    let error = client.error(&mut cs).unwrap();
    assert!(
        matches!(&error, Some(ErrorCode::SslHandshakeFailed(m)) if m.contains("NoApplicationProtocol") || m.to_lowercase().contains("application protocol")),
        "client error: {error:?}; server event: {failure:?}"
    );
    // The failure names the client, like every other handshake-failed event (the client's own
    // socket has forgotten its address once the connection is gone, as in Qt).
    assert!(
        failure
            .peer_address
            .as_deref()
            .is_some_and(|a| a.starts_with("127.0.0.1:") && !a.ends_with(":0")),
        "{failure:?}"
    );
    client.drop(&mut cs).unwrap();
}

fn resumption(protocol: Protocol) {
    let pki = TestPki::new("srv-resume", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let mut cs = session();
    let mut resumed = Vec::new();
    for round in 0..2 {
        let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
        client.set_protocol(&mut cs, protocol).unwrap().unwrap();
        let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
        assert!(encrypted, "round {round}: {events:?}");
        let server_side = accepted.unwrap();
        assert_eq!(
            client.session_protocol(&mut cs).unwrap(),
            Some(protocol),
            "round {round}"
        );
        resumed.push((
            client.session_resumed(&mut cs).unwrap(),
            server_side.session_resumed(&mut srv.session).unwrap(),
        ));
        // A round trip, so the client also reads the TLS 1.3 tickets sent after the handshake.
        c2c_send(
            &mut srv.session,
            server_side,
            &mut cs,
            client,
            b"tickets first\n",
        );
        c2c_send(&mut cs, client, &mut srv.session, server_side, b"thanks\n");
        c2c_close(&mut cs, client, &mut srv.session, server_side);
    }
    assert_eq!(
        resumed,
        vec![(false, false), (true, true)],
        "(client, server) session-resumed per connection"
    );
}

#[test]
fn resumption_tls13_same_session() {
    resumption(Protocol::TlsV13);
}

#[test]
fn resumption_tls12_same_session() {
    resumption(Protocol::TlsV12);
}

#[test]
fn sni_picks_the_identity() {
    let pki = TestPki::new("srv-sni", KeyKind::EcdsaP256);
    let other = pki
        .ca
        .issue("other.localhost", &["other.localhost"], Usage::Server)
        .unwrap();
    let (other_cert, other_key, ca_pem) = (
        other.cert_pem.clone(),
        other.key_pem.clone(),
        pki.ca.cert_pem.clone(),
    );
    let mut srv = Srv::with_pki(&pki, |session, server| {
        let cert = session.certificate_from_pem(&other_cert).unwrap().unwrap();
        let ca = session.certificate_from_pem(&ca_pem).unwrap().unwrap();
        let key = session
            .private_key_from_data(other_key.as_bytes(), EncodingFormat::Pem)
            .unwrap()
            .unwrap();
        server
            .add_sni_identity(session, "other.localhost", &[&cert, &ca], &key)
            .unwrap()
            .unwrap();
    });
    let mut cs = session();

    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    client
        .set_peer_verify_name(&mut cs, "other.localhost")
        .unwrap();
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "{events:?}");
    let leaf = client.peer_certificate(&mut cs).unwrap();
    assert_eq!(
        subject_of(&mut cs, leaf).as_deref(),
        Some("CN=other.localhost, O=sslsocket test")
    );
    c2c_close(&mut cs, client, &mut srv.session, accepted.unwrap());

    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "{events:?}");
    let leaf = client.peer_certificate(&mut cs).unwrap();
    assert_eq!(subject_of(&mut cs, leaf).as_deref(), Some(SERVER_SUBJECT));
    c2c_close(&mut cs, client, &mut srv.session, accepted.unwrap());

    // s_client asking for other.localhost by SNI sees that certificate too.
    let client = SClient::start(srv.port, &["-servername", "other.localhost"]);
    let socket = srv.accept();
    socket.drop(&mut srv.session).unwrap();
    let output = client.finish();
    assert!(output.contains("CN = other.localhost"), "{output}");
}

#[test]
fn add_sni_identity_refuses_bad_input() {
    let pki = TestPki::new("srv-sni-bad", KeyKind::EcdsaP256);
    let mut session = session();
    let server = session.new_server().unwrap();
    let (cert, key) = load_identity(&mut session, &pki.server);
    assert!(matches!(
        server
            .add_sni_identity(&mut session, "empty.localhost", &[], &key)
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    let public = cert.public_key(&mut session).unwrap().unwrap();
    assert!(matches!(
        server
            .add_sni_identity(&mut session, "public.localhost", &[&cert], &public)
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    // A key that does not match the certificate (WIT: invalid-input).
    let wrong = session
        .private_key_from_data(pki.client.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    let result = server
        .add_sni_identity(&mut session, "wrong.localhost", &[&cert], &wrong)
        .unwrap();
    assert!(
        matches!(result, Err(ErrorCode::InvalidInput(_))),
        "add-sni-identity with the key of another certificate: {result:?}"
    );
}

// ----- STARTTLS (deferred handshake) -----

const PY_STARTTLS_CLIENT: &str = r#"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
raw = socket.create_connection(("127.0.0.1", port))
f = raw.makefile("rb")
print("GREETING", f.readline().decode().strip(), flush=True)
raw.sendall(b"STARTTLS\r\n")
print("REPLY", f.readline().decode().strip(), flush=True)
ctx = ssl.create_default_context(cafile=ca)
tls = ctx.wrap_socket(raw, server_hostname="localhost")
print("UPGRADED", tls.version(), flush=True)
tls.sendall(b"secret\n")
data = b""
while not data.endswith(b"\n"):
    chunk = tls.recv(4096)
    if not chunk:
        break
    data += chunk
print("GOT", data.decode().strip(), flush=True)
"#;

#[test]
fn starttls_server_with_python_client() {
    let pki = TestPki::new("srv-starttls", KeyKind::EcdsaP256);
    let script = pki.dir.write("starttls_client.py", PY_STARTTLS_CLIENT);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server.set_deferred_handshake(session, true).unwrap();
    });
    let port = srv.port.to_string();
    let ca = pki.ca_pem.clone();
    let python = thread::spawn(move || {
        Command::new("python3")
            .arg(script)
            .arg(port)
            .arg(ca)
            .output()
            .expect("python3")
    });
    let socket = srv.accept();
    let s = &mut srv.session;
    assert_eq!(socket.mode(s).unwrap(), Mode::Plain);
    assert!(!socket.is_encrypted(s).unwrap());
    socket
        .write_all(s, b"220 sslsocket ESMTP ready\r\n", WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(read_line(s, socket), b"STARTTLS\r\n");
    socket
        .write_all(s, b"220 2.0.0 Ready to start TLS\r\n", WAIT_MS)
        .unwrap()
        .unwrap();
    socket.start_server_handshake(s).unwrap().unwrap();
    socket.wait_for_encrypted(s, WAIT_MS).unwrap().unwrap();
    assert_eq!(socket.mode(s).unwrap(), Mode::SslServer);
    assert_eq!(read_line(s, socket), b"secret\n");
    socket
        .write_all(s, b"encrypted reply\n", WAIT_MS)
        .unwrap()
        .unwrap();
    let output = python.join().unwrap();
    socket.disconnect_from_host(s).unwrap();
    socket.drop(s).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("GREETING 220 sslsocket ESMTP ready"),
        "{stdout}"
    );
    assert!(
        stdout.contains("REPLY 220 2.0.0 Ready to start TLS"),
        "{stdout}"
    );
    assert!(stdout.contains("UPGRADED TLSv1.3"), "{stdout}");
    assert!(stdout.contains("GOT encrypted reply"), "{stdout}");
}

#[test]
fn starttls_server_with_component_client() {
    let pki = TestPki::new("srv-starttls-c2c", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server.set_deferred_handshake(session, true).unwrap();
    });
    let mut cs = session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    client
        .connect_to_host(&mut cs, "localhost", srv.port)
        .unwrap()
        .unwrap();
    client
        .wait_for_connected(&mut cs, WAIT_MS)
        .unwrap()
        .unwrap();
    let server_side = srv.accept();
    let ss = &mut srv.session;
    c2c_send(ss, server_side, &mut cs, client, b"220 ready\r\n");
    c2c_send(&mut cs, client, ss, server_side, b"STARTTLS\r\n");
    c2c_send(ss, server_side, &mut cs, client, b"220 go ahead\r\n");
    server_side.start_server_handshake(ss).unwrap().unwrap();
    client.start_client_handshake(&mut cs).unwrap().unwrap();
    let deadline = Instant::now() + WAIT;
    while !(client.is_encrypted(&mut cs).unwrap() && server_side.is_encrypted(ss).unwrap()) {
        client.process(&mut cs).unwrap();
        server_side.process(ss).unwrap();
        assert!(Instant::now() < deadline, "STARTTLS handshake stuck");
        thread::sleep(Duration::from_millis(1));
    }
    c2c_send(&mut cs, client, ss, server_side, b"now encrypted\n");
    c2c_close(&mut cs, client, ss, server_side);
}

// ----- slow and bad clients -----

#[test]
fn handshake_timeout_drops_a_silent_client_and_serves_others() {
    let pki = TestPki::new("srv-timeout", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        assert_eq!(server.handshake_timeout(session).unwrap(), 10_000);
        server.set_handshake_timeout(session, 500).unwrap();
        assert_eq!(server.handshake_timeout(session).unwrap(), 500);
    });
    let started = Instant::now();
    let mut silent = TcpStream::connect((Ipv4Addr::LOCALHOST, srv.port)).unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    thread::sleep(Duration::from_millis(100));
    let good = SClient::start(srv.port, &["-CAfile", path(&pki.ca_pem)]);
    let events = srv.events_until(WAIT, |events, pending| {
        pending
            && events
                .iter()
                .any(|e| matches!(e, ServerEvent::HandshakeTimedOut(_)))
    });
    let elapsed = started.elapsed();
    assert!(
        events.contains(&ServerEvent::HandshakeTimedOut(Some(silent_addr.clone()))),
        "{events:?} (silent client {silent_addr})"
    );
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    let socket = srv
        .server
        .next_pending_connection(&mut srv.session)
        .unwrap()
        .unwrap();
    assert!(socket.is_encrypted(&mut srv.session).unwrap());
    socket.drop(&mut srv.session).unwrap();
    good.finish();
    // The silent client's connection was closed.
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 64];
    match silent.read(&mut buf) {
        Ok(0) | Err(_) => {}
        Ok(n) => panic!("the silent client got {n} bytes instead of a close"),
    }
}

#[test]
fn subscribe_all_covers_the_listener_each_handshake_and_the_deadline() {
    let pki = TestPki::new("srv-subscribe-all", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server.set_handshake_timeout(session, 60_000).unwrap();
    });
    let count = |srv: &mut Srv| {
        let pollables = srv.server.subscribe_all(&mut srv.session).unwrap();
        let n = pollables.len();
        for pollable in pollables {
            pollable.drop(&mut srv.session).unwrap();
        }
        n
    };
    srv.server.process(&mut srv.session).unwrap();
    assert_eq!(count(&mut srv), 1, "the listener alone");

    // Two clients that connect and say nothing: each waits in its handshake.
    let _first = TcpStream::connect((Ipv4Addr::LOCALHOST, srv.port)).unwrap();
    let _second = TcpStream::connect((Ipv4Addr::LOCALHOST, srv.port)).unwrap();
    let until = Instant::now() + WAIT;
    loop {
        srv.server.process(&mut srv.session).unwrap();
        // listener + two handshakes + the deadline timer
        if count(&mut srv) == 4 {
            break;
        }
        assert!(Instant::now() < until, "the two handshakes never started");
        thread::sleep(Duration::from_millis(10));
    }
    // Nothing is ready: the clients are silent and the deadline is a minute away.
    let pollables = srv.server.subscribe_all(&mut srv.session).unwrap();
    let refs: Vec<_> = pollables.iter().collect();
    let ready = srv
        .session
        .poll(&refs, Some(Duration::from_millis(200)))
        .unwrap();
    drop(refs);
    for pollable in pollables {
        pollable.drop(&mut srv.session).unwrap();
    }
    assert!(ready.is_empty(), "{ready:?}");
}

#[test]
fn garbage_gets_an_alert_and_the_server_keeps_serving() {
    let pki = TestPki::new("srv-garbage", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let mut junk = TcpStream::connect((Ipv4Addr::LOCALHOST, srv.port)).unwrap();
    junk.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let events = srv.events_until(WAIT, |events, _| events.iter().any(is_failed));
    assert!(events.iter().any(is_failed), "{events:?}");
    junk.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    while let Ok(n) = junk.read(&mut buf) {
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    assert!(!reply.is_empty(), "no alert came back");
    assert_eq!(reply[0], 0x15, "a TLS alert record: {reply:02x?}");
    assert_eq!(reply.get(5), Some(&2), "a fatal alert: {reply:02x?}");

    // Still serving.
    let (protocol, _, _) = s_client_round(&mut srv, &["-CAfile", path(&pki.ca_pem)]);
    assert_eq!(protocol, Some(Protocol::TlsV13));
}

// ----- listen errors and policy -----

#[test]
fn listen_errors() {
    let pki = TestPki::new("srv-listen", KeyKind::EcdsaP256);
    let mut session = session();
    let server = session.new_server().unwrap();
    assert!(!server.is_listening(&mut session).unwrap());
    assert_eq!(server.server_port(&mut session).unwrap(), 0);
    assert_eq!(server.max_pending_connections(&mut session).unwrap(), 30);
    server.set_max_pending_connections(&mut session, 0).unwrap();
    assert_eq!(server.max_pending_connections(&mut session).unwrap(), 1);
    server
        .set_max_pending_connections(&mut session, 30)
        .unwrap();
    assert_eq!(server.listen_backlog_size(&mut session).unwrap(), 50);
    server.set_listen_backlog_size(&mut session, 0).unwrap();
    assert_eq!(server.listen_backlog_size(&mut session).unwrap(), 1);
    server.set_listen_backlog_size(&mut session, 512).unwrap();
    assert_eq!(server.listen_backlog_size(&mut session).unwrap(), 512);
    assert!(matches!(
        server.wait_for_new_connection(&mut session, 10).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));

    // No certificate and key.
    assert!(matches!(
        server.listen(&mut session, "127.0.0.1", 0).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    let chain = session
        .certificates_from_pem(&pki.server.cert_pem)
        .unwrap()
        .unwrap();
    server
        .set_local_certificate(&mut session, &chain[0])
        .unwrap();
    assert!(matches!(
        server.listen(&mut session, "127.0.0.1", 0).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    let public = chain[0].public_key(&mut session).unwrap().unwrap();
    assert!(matches!(
        server.set_private_key(&mut session, &public).unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    let key = session
        .private_key_from_data(pki.server.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    server.set_private_key(&mut session, &key).unwrap().unwrap();

    // Not an address; refused by the default (loopback only) policy.
    assert!(matches!(
        server.listen(&mut session, "localhost", 0).unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    assert_eq!(
        server.listen(&mut session, "0.0.0.0", 0).unwrap(),
        Err(ErrorCode::SocketAccess)
    );
    assert_eq!(
        server.listen(&mut session, "192.0.2.1", 0).unwrap(),
        Err(ErrorCode::SocketAccess)
    );
    assert!(!server.is_listening(&mut session).unwrap());

    // Listening, then twice.
    server
        .listen(&mut session, "127.0.0.1", 0)
        .unwrap()
        .unwrap();
    assert!(server.is_listening(&mut session).unwrap());
    assert_eq!(
        server.server_address(&mut session).unwrap().as_deref(),
        Some("127.0.0.1")
    );
    let port = server.server_port(&mut session).unwrap();
    assert_ne!(port, 0);
    assert!(matches!(
        server.listen(&mut session, "127.0.0.1", 0).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    assert_eq!(
        server.wait_for_new_connection(&mut session, 50).unwrap(),
        Err(ErrorCode::SocketTimeout)
    );

    // The port is taken while we listen.
    let other = session.new_server().unwrap();
    other
        .set_local_certificate(&mut session, &chain[0])
        .unwrap();
    other.set_private_key(&mut session, &key).unwrap().unwrap();
    assert_eq!(
        other.listen(&mut session, "127.0.0.1", port).unwrap(),
        Err(ErrorCode::AddressInUse)
    );

    server.close(&mut session).unwrap();
    assert!(!server.is_listening(&mut session).unwrap());
    assert_eq!(server.server_port(&mut session).unwrap(), 0);

    // IPv6 loopback is allowed too (when the machine has it).
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        other.listen(&mut session, "::1", 0).unwrap().unwrap();
        assert_eq!(
            other.server_address(&mut session).unwrap().as_deref(),
            Some("::1")
        );
    }
}

#[test]
fn listen_needs_a_grant_from_the_policy() {
    let pki = TestPki::new("srv-policy", KeyKind::EcdsaP256);
    let setup = |policy: NetworkPolicy| {
        let mut session = Session::new(SessionConfig::new().network(policy)).unwrap();
        let server = session.new_server().unwrap();
        let (cert, key) = load_identity(&mut session, &pki.server);
        server.set_local_certificate(&mut session, &cert).unwrap();
        server.set_private_key(&mut session, &key).unwrap().unwrap();
        (session, server)
    };
    let (mut session, server) = setup(NetworkPolicy::deny_all());
    assert_eq!(
        server.listen(&mut session, "127.0.0.1", 0).unwrap(),
        Err(ErrorCode::SocketAccess)
    );

    let grant: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (mut session, server) = setup(NetworkPolicy::deny_all().allow_listen(grant));
    assert_eq!(
        server.listen(&mut session, "::1", 0).unwrap(),
        Err(ErrorCode::SocketAccess)
    );
    server
        .listen(&mut session, "127.0.0.1", 0)
        .unwrap()
        .unwrap();
    let port = server.server_port(&mut session).unwrap();
    // A client reaches it: accept is granted with the listener.
    let client = SClient::start(port, &[]);
    server
        .wait_for_new_connection(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    client.finish();
}

// ----- key exchange groups (post-quantum hybrids) -----

/// A tlslite-ng peer (PyPI `tlslite-ng` with `kyber-py`: it speaks X25519MLKEM768,
/// SecP256r1MLKEM768 and SecP384r1MLKEM1024, which OpenSSL 3.0 does not). `server GROUPS CERT KEY` prints `PORT n`,
/// then `GROUP g` after the handshake and echoes one line; `client GROUPS PORT` offers GROUPS
/// (a key share for the first), prints `GROUP g`, sends a line and prints `GOT` and the echo.
const TLSLITE_PEER_PY: &str = r#"
import socket, sys
from tlslite import TLSConnection, HandshakeSettings, X509CertChain, parsePEMKey
from tlslite.constants import GroupName
mode, groups = sys.argv[1], sys.argv[2].split(",")
settings = HandshakeSettings()
settings.minVersion = (3, 4)
settings.eccCurves = groups
settings.keyShares = groups[:1]
def read_line(tls):
    line = b""
    while not line.endswith(b"\n"):
        line += tls.read(max=1)
    return line
if mode == "server":
    chain = X509CertChain()
    chain.parsePemList(open(sys.argv[3]).read())
    key = parsePEMKey(open(sys.argv[4]).read(), private=True, implementations=["python"])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print("PORT %d" % srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    tls = TLSConnection(conn)
    tls.handshakeServer(certChain=chain, privateKey=key, settings=settings)
    print("GROUP %s" % GroupName.toStr(tls.ecdhCurve), flush=True)
    tls.write(read_line(tls))
    tls.close()
else:
    tls = TLSConnection(socket.create_connection(("127.0.0.1", int(sys.argv[3]))))
    tls.handshakeClientCert(settings=settings, serverName="localhost")
    print("GROUP %s" % GroupName.toStr(tls.ecdhCurve), flush=True)
    tls.write(b"hello from tlslite\n")
    print("GOT %s" % read_line(tls).decode().strip(), flush=True)
    tls.close()
"#;

fn tlslite(args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command.arg("-c").arg(TLSLITE_PEER_PY).args(args);
    command
}

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The group both ends of a component-to-component handshake report, after `client_groups` and
/// `server_groups` (None: the defaults).
fn c2c_group(client_groups: Option<&[&str]>, server_groups: Option<&[&str]>) -> (String, String) {
    let pki = TestPki::new("srv-kx", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        if let Some(names) = server_groups {
            let result = server.set_key_exchange_groups(session, &groups(names));
            assert_eq!(result.unwrap(), Ok(()));
        }
    });
    let mut cs = session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    if let Some(names) = client_groups {
        let result = client.set_key_exchange_groups(&mut cs, &groups(names));
        assert_eq!(result.unwrap(), Ok(()));
    }
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "{events:?}");
    let server_side = accepted.unwrap();
    let ss = &mut srv.session;
    c2c_send(
        &mut cs,
        client,
        ss,
        server_side,
        b"after the key exchange\n",
    );
    let server_group = server_side.key_exchange_group(ss).unwrap().unwrap();
    let client_group = client.key_exchange_group(&mut cs).unwrap().unwrap();
    c2c_close(&mut cs, client, ss, server_side);
    (client_group, server_group)
}

#[test]
fn component_to_component_negotiates_post_quantum_first() {
    let both = |g: &str| (g.to_owned(), g.to_owned());
    assert_eq!(c2c_group(None, None), both("X25519MLKEM768"));
    assert_eq!(
        c2c_group(Some(&["SecP256r1MLKEM768"]), None),
        both("SecP256r1MLKEM768")
    );
    assert_eq!(
        c2c_group(Some(&["SecP384r1MLKEM1024"]), None),
        both("SecP384r1MLKEM1024")
    );
    // A server that allows only SecP384r1MLKEM1024 asks the default client for it
    // (HelloRetryRequest).
    assert_eq!(
        c2c_group(None, Some(&["SecP384r1MLKEM1024"])),
        both("SecP384r1MLKEM1024")
    );
    // The pure ML-KEM groups are off by default: both ends choose them by name.
    assert_eq!(
        c2c_group(Some(&["mlkem768"]), Some(&["MLKEM768"])),
        both("MLKEM768")
    );
    assert_eq!(
        c2c_group(Some(&["MLKEM1024", "X25519"]), Some(&["MLKEM1024"])),
        both("MLKEM1024")
    );
    // A classical server answers the client's extra X25519 share: no HelloRetryRequest needed.
    assert_eq!(c2c_group(None, Some(&["x25519"])), both("X25519"));
    // A server with none of the client's shares asks again (HelloRetryRequest).
    assert_eq!(c2c_group(None, Some(&["P-384"])), both("secp384r1"));
    assert_eq!(c2c_group(Some(&["prime256v1"]), None), both("secp256r1"));
}

#[test]
fn key_exchange_group_lists_are_checked() {
    let mut cs = session();
    let supported = cs.supported_key_exchange_groups().unwrap();
    assert_eq!(
        supported,
        groups(&[
            "X25519MLKEM768",
            "X25519",
            "secp256r1",
            "secp384r1",
            "secp521r1",
            "SecP256r1MLKEM768",
            "SecP384r1MLKEM1024"
        ])
    );
    let socket = cs.new_socket().unwrap();
    assert_eq!(socket.key_exchange_groups(&mut cs).unwrap(), supported);
    for bad in [
        groups(&[]),
        groups(&["ffdhe2048"]),
        groups(&["X25519", "nope"]),
    ] {
        assert!(matches!(
            socket.set_key_exchange_groups(&mut cs, &bad).unwrap(),
            Err(ErrorCode::InvalidInput(_))
        ));
    }
    // Refused lists leave the setting as it was; names are normalised and deduplicated.
    assert_eq!(socket.key_exchange_groups(&mut cs).unwrap(), supported);
    let set = groups(&["p-256", "X25519", "secp256r1"]);
    assert_eq!(
        socket.set_key_exchange_groups(&mut cs, &set).unwrap(),
        Ok(())
    );
    assert_eq!(
        socket.key_exchange_groups(&mut cs).unwrap(),
        groups(&["secp256r1", "X25519"])
    );
    let server = cs.new_server().unwrap();
    assert!(matches!(
        server
            .set_key_exchange_groups(&mut cs, &groups(&[]))
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
}

#[test]
fn client_negotiates_post_quantum_hybrids_with_tlslite() {
    for (offered, expected) in [
        ("x25519mlkem768", "X25519MLKEM768"),
        ("secp256r1mlkem768", "SecP256r1MLKEM768"),
        ("secp384r1mlkem1024", "SecP384r1MLKEM1024"),
        ("x25519", "X25519"),
    ] {
        let pki = TestPki::new("kx-tlslite-srv", KeyKind::EcdsaP256);
        let mut command = tlslite(&["server", offered]);
        command.arg(&pki.server_cert).arg(&pki.server_key);
        let peer = spawn_port_printing_peer(command);
        let mut cs = session();
        let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
        if expected.starts_with("SecP") {
            // Offered by default, but a share is sent only for the first group.
            let list = groups(&[expected, "X25519MLKEM768"]);
            assert_eq!(
                client.set_key_exchange_groups(&mut cs, &list).unwrap(),
                Ok(())
            );
        }
        let (result, events) = handshake(&mut cs, client, "localhost", peer.port);
        assert_eq!(
            result,
            Ok(()),
            "{offered}: {:?} {:?}",
            event_names(&events),
            peer.output()
        );
        assert_eq!(
            client.key_exchange_group(&mut cs).unwrap().as_deref(),
            Some(expected)
        );
        client
            .write_all(&mut cs, b"ping\n", WAIT_MS)
            .unwrap()
            .unwrap();
        assert_eq!(read_line(&mut cs, client), b"ping\n");
        assert!(
            peer.wait_for_output(&format!("GROUP {offered}"), WAIT),
            "{:?}",
            peer.output()
        );
        client.drop(&mut cs).unwrap();
    }
}

#[test]
fn server_negotiates_post_quantum_hybrids_with_tlslite() {
    for (offered, expected) in [
        ("x25519mlkem768,x25519", "X25519MLKEM768"),
        ("secp256r1mlkem768,secp256r1", "SecP256r1MLKEM768"),
        ("secp384r1mlkem1024,secp384r1", "SecP384r1MLKEM1024"),
        ("secp384r1", "secp384r1"),
    ] {
        let pki = TestPki::new("kx-tlslite-cli", KeyKind::EcdsaP256);
        let mut srv = Srv::with_pki(&pki, |_, _| {});
        let port = srv.port.to_string();
        let client = thread::spawn(move || tlslite(&["client", offered, &port]).output().unwrap());
        let accepted = srv.accept();
        let ss = &mut srv.session;
        assert_eq!(read_line(ss, accepted), b"hello from tlslite\n");
        // Asked before answering: the client closes once it has the answer.
        assert_eq!(
            accepted.key_exchange_group(ss).unwrap().as_deref(),
            Some(expected)
        );
        accepted
            .write_all(ss, b"hello from the component\n", WAIT_MS)
            .unwrap()
            .unwrap();
        let output = client.join().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let first = offered.split(',').next().unwrap();
        assert!(stdout.contains(&format!("GROUP {first}")), "{stdout}");
        assert!(stdout.contains("GOT hello from the component"), "{stdout}");
        accepted.drop(ss).unwrap();
    }
}

#[test]
fn client_falls_back_to_a_classical_openssl_server() {
    let pki = TestPki::new("kx-openssl", KeyKind::EcdsaP256);
    // OpenSSL 3.0 knows no ML-KEM: the client's extra X25519 share is used, or, when the server
    // allows only P-384, a HelloRetryRequest asks for that.
    for (server_groups, expected) in [("X25519:P-256", "X25519"), ("P-384", "secp384r1")] {
        let peer = openssl_s_server(
            &pki.server_cert,
            &pki.server_key,
            &["-groups", server_groups, "-tls1_3"],
        );
        let mut cs = session();
        let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
        let (result, events) = handshake(&mut cs, client, "localhost", peer.port);
        assert_eq!(
            result,
            Ok(()),
            "{:?} {:?}",
            event_names(&events),
            peer.output()
        );
        assert_eq!(
            client.key_exchange_group(&mut cs).unwrap().as_deref(),
            Some(expected)
        );
        client.drop(&mut cs).unwrap();
    }
}
