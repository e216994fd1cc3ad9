//! The component against `openssl s_server` on 127.0.0.1: TLS 1.2 and 1.3, ECDSA P-256 and
//! RSA-2048 server certificates, and a server that requires a client certificate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use common::*;
use sslsocket_host::{ErrorCode, Mode, Protocol, Session, SocketState};
use sslsocket_testkit as common;

/// What a successful handshake must show.
struct Expected {
    protocol: Protocol,
    protocol_string: &'static str,
    cipher: &'static str,
    iana: &'static str,
    authentication: &'static str,
    used_bits: u32,
}

fn connect_and_check(pki: &TestPki, server_args: &[&str], expected: &Expected) {
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, server_args);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert_eq!(
        result,
        Ok(()),
        "handshake failed; events {:?}; server said {:?}",
        event_names(&events),
        server.output()
    );
    assert_in_order(
        &events,
        &[
            "state-changed(host-lookup)",
            "state-changed(connecting)",
            "state-changed(connected)",
            "connected",
            "mode-changed(ssl-client)",
            "encrypted",
        ],
    );
    assert!(
        !event_names(&events)
            .iter()
            .any(|e| e.starts_with("error") || e.starts_with("ssl-errors")),
        "{:?}",
        event_names(&events)
    );
    check_session(&mut session, socket, server.port, expected);
    assert!(
        server.wait_for_output(
            &format!("CIPHER is {}", expected.cipher),
            Duration::from_secs(5)
        ),
        "server output: {:?}",
        server.output()
    );
    socket.disconnect_from_host(&mut session).unwrap();
    socket.drop(&mut session).unwrap();
}

fn check_session(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
    port: u16,
    expected: &Expected,
) {
    assert!(socket.is_encrypted(session).unwrap());
    assert_eq!(socket.mode(session).unwrap(), Mode::SslClient);
    assert_eq!(socket.state(session).unwrap(), SocketState::Connected);
    assert_eq!(
        socket.session_protocol(session).unwrap(),
        Some(expected.protocol)
    );
    let cipher = socket
        .current_cipher(session)
        .unwrap()
        .expect("a current cipher");
    assert_eq!(cipher.name, expected.cipher);
    assert_eq!(cipher.iana_name, expected.iana);
    assert_eq!(cipher.protocol, expected.protocol);
    assert_eq!(cipher.protocol_string, expected.protocol_string);
    assert_eq!(cipher.authentication_method, expected.authentication);
    assert_eq!(cipher.used_bits, expected.used_bits);
    let peer = socket
        .peer_certificate(session)
        .unwrap()
        .expect("peer certificate");
    assert_eq!(peer.subject(session).unwrap(), SERVER_SUBJECT);
    assert_eq!(peer.issuer(session).unwrap(), CA_SUBJECT);
    peer.drop(session).unwrap();
    assert_eq!(
        socket.peer_chain_subjects(session).unwrap(),
        vec![SERVER_SUBJECT.to_owned()]
    );
    assert_eq!(socket.ssl_error_report(session).unwrap(), vec![]);
    assert_eq!(socket.peer_port(session).unwrap(), port);
    assert_eq!(
        socket.peer_address(session).unwrap().as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(socket.peer_name(session).unwrap(), "localhost");
}

const TLS13_AES256: Expected = Expected {
    protocol: Protocol::TlsV13,
    protocol_string: "TLSv1.3",
    cipher: "TLS_AES_256_GCM_SHA384",
    iana: "TLS_AES_256_GCM_SHA384",
    authentication: "any",
    used_bits: 256,
};

const TLS13_CHACHA: Expected = Expected {
    protocol: Protocol::TlsV13,
    protocol_string: "TLSv1.3",
    cipher: "TLS_CHACHA20_POLY1305_SHA256",
    iana: "TLS_CHACHA20_POLY1305_SHA256",
    authentication: "any",
    used_bits: 256,
};

#[test]
fn tls13_ecdsa_p256() {
    let pki = TestPki::new("tls13-ecdsa", KeyKind::EcdsaP256);
    connect_and_check(
        &pki,
        &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
        &TLS13_AES256,
    );
}

#[test]
fn tls13_rsa_2048() {
    let pki = TestPki::new("tls13-rsa", KeyKind::Rsa2048);
    connect_and_check(
        &pki,
        &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
        &TLS13_CHACHA,
    );
}

#[test]
fn tls12_ecdsa_p256() {
    let pki = TestPki::new("tls12-ecdsa", KeyKind::EcdsaP256);
    connect_and_check(
        &pki,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        &Expected {
            protocol: Protocol::TlsV12,
            protocol_string: "TLSv1.2",
            cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
            iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            authentication: "ECDSA",
            used_bits: 128,
        },
    );
}

#[test]
fn tls12_rsa_2048() {
    let pki = TestPki::new("tls12-rsa", KeyKind::Rsa2048);
    connect_and_check(
        &pki,
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
        &Expected {
            protocol: Protocol::TlsV12,
            protocol_string: "TLSv1.2",
            cipher: "ECDHE-RSA-AES256-GCM-SHA384",
            iana: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            authentication: "RSA",
            used_bits: 256,
        },
    );
}

#[test]
fn protocol_setting_is_honoured() {
    // The server offers both versions; the socket asks for TLS 1.2 only.
    let pki = TestPki::new("proto-pin", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &[]);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    socket
        .set_protocol(&mut session, Protocol::TlsV12)
        .unwrap()
        .unwrap();
    assert_eq!(socket.protocol(&mut session).unwrap(), Protocol::TlsV12);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    assert_eq!(
        socket.session_protocol(&mut session).unwrap(),
        Some(Protocol::TlsV12)
    );
}

fn client_cert_server(pki: &TestPki, version: &str) -> Peer {
    let ca = pki.ca_pem.to_str().unwrap();
    openssl_s_server(
        &pki.server_cert,
        &pki.server_key,
        &[version, "-Verify", "1", "-CAfile", ca],
    )
}

fn present_client_cert(session: &mut Session, socket: sslsocket_host::SslSocket, pki: &TestPki) {
    let certs = session
        .certificates_from_data(
            pki.client.cert_pem.as_bytes(),
            sslsocket_host::EncodingFormat::Pem,
        )
        .unwrap()
        .unwrap();
    assert_eq!(certs.len(), 1);
    socket.set_local_certificate(session, &certs[0]).unwrap();
    let key = session
        .private_key_from_data(&pki.client.key_der, sslsocket_host::EncodingFormat::Der)
        .unwrap()
        .unwrap();
    socket.set_private_key(session, &key).unwrap().unwrap();
}

#[test]
fn client_certificate_accepted_tls13() {
    client_certificate_accepted("-tls1_3");
}

#[test]
fn client_certificate_accepted_tls12() {
    client_certificate_accepted("-tls1_2");
}

fn client_certificate_accepted(version: &str) {
    let pki = TestPki::new("client-cert", KeyKind::EcdsaP256);
    let server = client_cert_server(&pki, version);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    present_client_cert(&mut session, socket, &pki);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert_eq!(
        result,
        Ok(()),
        "{:?} / {:?}",
        event_names(&events),
        server.output()
    );
    // Data flows, so the server accepted the certificate (TLS 1.3 checks it after the client's
    // handshake is complete).
    socket
        .write_all(&mut session, b"hello with a client certificate\n", WAIT_MS)
        .unwrap()
        .unwrap();
    assert!(
        server.wait_for_output("hello with a client certificate", Duration::from_secs(5)),
        "server output: {:?}",
        server.output()
    );
    assert!(
        server
            .output()
            .iter()
            .any(|l| l.contains("subject=") && l.contains("sslsocket client")),
        "server did not log the client certificate: {:?}",
        server.output()
    );
}

#[test]
fn client_certificate_missing_fails_tls12() {
    let pki = TestPki::new("no-client-cert12", KeyKind::EcdsaP256);
    let server = client_cert_server(&pki, "-tls1_2");
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "expected ssl-handshake-failed, got {result:?}; events {:?}",
        event_names(&events)
    );
    assert!(
        event_names(&events)
            .iter()
            .any(|e| e.starts_with("error(ssl-handshake-failed")),
        "{:?}",
        event_names(&events)
    );
    assert!(!event_names(&events).contains(&"encrypted".to_owned()));
    assert!(!socket.is_encrypted(&mut session).unwrap());
}

#[test]
fn client_certificate_missing_fails_tls13() {
    // In TLS 1.3 the client finishes its handshake before the server checks the client's
    // certificate, so the failure may only show on the next read.
    let pki = TestPki::new("no-client-cert13", KeyKind::EcdsaP256);
    let server = client_cert_server(&pki, "-tls1_3");
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    if result.is_ok() {
        let _ = socket.write(&mut session, b"ping\n").unwrap();
        let read = socket.wait_for_ready_read(&mut session, WAIT_MS).unwrap();
        assert!(
            matches!(
                read,
                Err(ErrorCode::SslHandshakeFailed(_)
                    | ErrorCode::SslInternal(_)
                    | ErrorCode::RemoteHostClosed
                    | ErrorCode::Network)
            ),
            "expected the server's certificate-required alert, got {read:?}; events {:?}",
            event_names(&socket.take_events(&mut session).unwrap())
        );
        assert_eq!(socket.bytes_available(&mut session).unwrap(), 0);
    } else {
        assert!(
            matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
            "{result:?} {:?}",
            event_names(&events)
        );
    }
    assert!(
        !server.output().iter().any(|l| l.contains("ping")),
        "{:?}",
        server.output()
    );
}
