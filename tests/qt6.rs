//! What Qt 6, Node and Python add on top of Qt 4.3, through wasmtime against real peers:
//! configuration objects, keying-material export and key logs checked against
//! `openssl s_client`, alerts both ways, socket options, the signals after 4.3 and
//! `implemented-features`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use common::*;
use sslsocket_host::{
    AlertLevel, AlertType, ErrorCode, PeerVerifyMode, Protocol, ServerEvent, SocketEvent,
    SocketOption, SupportedFeature,
};
use sslsocket_testkit as common;
use sslsocket_testkit::server::{SClient, Srv};
use sslsocket_testkit::{KeyKind, TestPki, openssl_s_server};

/// The hex after `Keying material: ` in `openssl s_client -keymatexport` output, lower case.
fn openssl_keying_material(output: &str) -> String {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("Keying material: "))
        .unwrap_or_else(|| panic!("no keying material in {output}"))
        .to_ascii_lowercase()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn keying_material_matches_openssl_s_client_under_tls12_and_tls13() {
    let pki = TestPki::new("qt6-exporter", KeyKind::EcdsaP256);
    let ca = pki.ca_pem.to_str().unwrap();
    for version in ["-tls1_2", "-tls1_3"] {
        let mut srv = Srv::with_pki(&pki, |_, _| {});
        let client = SClient::start(
            srv.port,
            &[
                "-CAfile",
                ca,
                version,
                "-keymatexport",
                "EXPERIMENTAL-sslsocket",
                "-keymatexportlen",
                "40",
            ],
        );
        let socket = srv.accept();
        let ours = socket
            .export_keying_material(&mut srv.session, "EXPERIMENTAL-sslsocket", None, 40)
            .unwrap()
            .unwrap();
        assert!(client.wait_for_output("Keying material: "));
        let theirs = openssl_keying_material(&client.finish());
        assert_eq!(hex(&ours), theirs, "{version}");
    }
}

#[test]
fn component_client_and_server_export_the_same_bytes_and_refuse_what_they_must() {
    let pki = TestPki::new("qt6-exporter-c2c", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let mut session = session();
    let client = socket_trusting(&mut session, &pki.ca.cert_pem);
    assert!(matches!(
        client
            .export_keying_material(&mut session, "EXPERIMENTAL", None, 16)
            .unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    let (encrypted, accepted, _) =
        sslsocket_testkit::server::c2c_connect(&mut session, client, "localhost", &mut srv);
    assert!(encrypted);
    let accepted = accepted.unwrap();
    let context = Some(&b"context"[..]);
    let ours = client
        .export_keying_material(&mut session, "EXPERIMENTAL", context, 64)
        .unwrap()
        .unwrap();
    let theirs = accepted
        .export_keying_material(&mut srv.session, "EXPERIMENTAL", context, 64)
        .unwrap()
        .unwrap();
    assert_eq!(ours, theirs);
    assert!(matches!(
        client
            .export_keying_material(&mut session, "EXPERIMENTAL", None, 0)
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
}

#[test]
fn the_key_log_holds_the_secrets_openssl_logs_for_the_same_connection() {
    let pki = TestPki::new("qt6-keylog", KeyKind::EcdsaP256);
    let ca = pki.ca_pem.to_str().unwrap();
    for version in ["-tls1_2", "-tls1_3"] {
        let mut srv = Srv::with_pki(&pki, |session, server| {
            server.set_dangerous_key_logging(session, true).unwrap();
        });
        let file = pki.dir.path().join(format!("keylog{version}.txt"));
        let client = SClient::start(
            srv.port,
            &[
                "-CAfile",
                ca,
                version,
                "-keylogfile",
                file.to_str().unwrap(),
            ],
        );
        let socket = srv.accept();
        let ours: BTreeSet<String> = socket
            .take_events(&mut srv.session)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                SocketEvent::KeyLogLine(line) => Some(line.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        assert!(client.wait_for_output("Verify return code"));
        client.finish();
        let theirs = key_log_lines(&std::fs::read_to_string(&file).unwrap());
        assert!(!ours.is_empty(), "{version}");
        assert_eq!(ours, theirs, "{version}");
    }
    // Off by default: no lines.
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let client = SClient::start(srv.port, &["-CAfile", ca]);
    let socket = srv.accept();
    let events = socket.take_events(&mut srv.session).unwrap();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SocketEvent::KeyLogLine(_)))
    );
    client.finish();
}

#[test]
fn alerts_are_reported_both_ways_against_openssl() {
    let pki = TestPki::new("qt6-alerts", KeyKind::EcdsaP256);
    // Our client refuses a server it does not trust: it sends unknown_ca.
    let peer = openssl_s_server(&pki.server_cert, &pki.server_key, &["-tls1_2"]);
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", peer.port);
    assert!(result.is_err());
    let sent = events.iter().find_map(|e| match e {
        SocketEvent::AlertSent(alert) => Some(alert.clone()),
        _ => None,
    });
    let sent = sent.unwrap_or_else(|| panic!("{:?}", event_names(&events)));
    assert_eq!(
        (sent.level, sent.kind),
        (AlertLevel::Fatal, AlertType::UnknownCa)
    );
    assert_eq!(sent.description, "unknown_ca");
    assert!(
        peer.wait_for_output("unknown ca", std::time::Duration::from_secs(10)),
        "{:?}",
        peer.output()
    );
    // openssl s_client refuses our server the same way: we receive its alert.
    let other = TestPki::new("qt6-alerts-other", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let client = SClient::start(
        srv.port,
        &[
            "-CAfile",
            other.ca_pem.to_str().unwrap(),
            "-verify_return_error",
        ],
    );
    let events = srv.events_until(std::time::Duration::from_secs(10), |events, _| {
        events.iter().any(sslsocket_testkit::server::is_failed)
    });
    client.finish();
    let received = events.iter().find_map(|e| match e {
        ServerEvent::HandshakeFailed(failure) => failure.alert_received.clone(),
        _ => None,
    });
    let received = received.unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(
        (received.level, received.kind),
        (AlertLevel::Fatal, AlertType::UnknownCa)
    );
}

#[test]
fn a_shared_configuration_sets_up_many_sockets_and_the_default_one_new_sockets() {
    let pki = TestPki::new("qt6-config", KeyKind::EcdsaP256);
    let peer = openssl_s_server(&pki.server_cert, &pki.server_key, &["-tls1_3"]);
    let mut session = session();
    let config = session.new_ssl_configuration().unwrap();
    assert_eq!(
        config
            .add_ca_certificates_pem(&mut session, &pki.ca.cert_pem)
            .unwrap(),
        Ok(1)
    );
    config
        .set_protocol(&mut session, Protocol::TlsV13)
        .unwrap()
        .unwrap();
    config
        .set_allowed_next_protocols(&mut session, &["h2".to_owned()])
        .unwrap()
        .unwrap();
    config.set_peer_verify_depth(&mut session, 4).unwrap();
    let sockets: Vec<_> = (0..3)
        .map(|_| {
            let socket = session.new_socket().unwrap();
            socket.set_ssl_configuration(&mut session, &config).unwrap();
            socket
        })
        .collect();
    // Changing the configuration afterwards does not reach the sockets that took it.
    config
        .set_peer_verify_mode(&mut session, PeerVerifyMode::VerifyNone)
        .unwrap();
    for socket in &sockets {
        let (result, events) = handshake(&mut session, *socket, "localhost", peer.port);
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert_eq!(
            socket.peer_verify_mode(&mut session).unwrap(),
            PeerVerifyMode::AutoVerifyPeer
        );
        let theirs = socket.ssl_configuration(&mut session).unwrap();
        assert_eq!(theirs.peer_verify_depth(&mut session).unwrap(), 4);
        assert_eq!(theirs.allowed_next_protocols(&mut session).unwrap(), ["h2"]);
        theirs.drop(&mut session).unwrap();
        // openssl s_server serves one connection at a time.
        socket.abort(&mut session).unwrap();
    }
    // The default configuration: new sockets start from it, older ones keep theirs.
    let fresh = session.new_socket().unwrap();
    let default = session.new_ssl_configuration().unwrap();
    default
        .add_ca_certificates_pem(&mut session, &pki.ca.cert_pem)
        .unwrap()
        .unwrap();
    session.set_default_configuration(&default).unwrap();
    let after = session.new_socket().unwrap();
    let (result, _) = handshake(&mut session, after, "localhost", peer.port);
    assert_eq!(result, Ok(()));
    after.abort(&mut session).unwrap();
    let (result, _) = handshake(&mut session, fresh, "localhost", peer.port);
    assert!(result.is_err(), "made before: the global CA database only");
    let copy = config.copy(&mut session).unwrap();
    copy.set_session_tickets(&mut session, false).unwrap();
    assert!(config.session_tickets(&mut session).unwrap());
    assert!(!copy.session_tickets(&mut session).unwrap());
    copy.set_server_cipher_preference(&mut session, false)
        .unwrap();
    assert!(config.server_cipher_preference(&mut session).unwrap());
    assert!(!copy.server_cipher_preference(&mut session).unwrap());
}

#[test]
fn signals_after_qt_4_3_come_from_a_real_handshake() {
    let pki = TestPki::new("qt6-signals", KeyKind::EcdsaP256);
    let peer = openssl_s_server(&pki.server_cert, &pki.server_key, &["-tls1_3"]);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    let (result, _) = handshake(&mut session, socket, "localhost", peer.port);
    assert_eq!(result, Ok(()));
    socket.write(&mut session, b"ping\n").unwrap().unwrap();
    socket
        .wait_for_ready_read(&mut session, WAIT_MS)
        .unwrap()
        .ok();
    let events = socket.take_events(&mut session).unwrap();
    let names = event_names(&events);
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("encrypted-bytes-written(")),
        "{names:?}"
    );
    assert!(
        names.contains(&"new-session-ticket-received".to_owned()),
        "{names:?}"
    );
    // openssl s_server serves one connection at a time.
    socket.abort(&mut session).unwrap();
    // peer-verify-error per error before ssl-errors, with the certificate.
    let socket = session.new_socket().unwrap();
    socket
        .set_peer_verify_name(&mut session, "wrong.example")
        .unwrap();
    socket
        .add_ca_certificates_pem(&mut session, &pki.ca.cert_pem)
        .unwrap()
        .unwrap();
    let (_, events) = handshake(&mut session, socket, "127.0.0.1", peer.port);
    let names = event_names(&events);
    let verify = names
        .iter()
        .position(|n| n == "peer-verify-error(host-name-mismatch)");
    let listed = names.iter().position(|n| n.starts_with("ssl-errors("));
    assert!(verify.is_some() && verify < listed, "{names:?}");
    assert_eq!(
        session.implemented_features().unwrap(),
        [
            SupportedFeature::CertificateVerification,
            SupportedFeature::ClientSideAlpn,
            SupportedFeature::ServerSideAlpn,
            SupportedFeature::Ocsp,
            SupportedFeature::SessionTicket,
            SupportedFeature::Alerts,
        ]
    );
}

#[test]
fn socket_options_reach_the_tcp_socket_through_wasi_sockets() {
    let pki = TestPki::new("qt6-options", KeyKind::EcdsaP256);
    let peer = openssl_s_server(&pki.server_cert, &pki.server_key, &[]);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
    assert_eq!(
        socket
            .set_socket_option(&mut session, SocketOption::LowDelay, 1)
            .unwrap(),
        Err(ErrorCode::UnsupportedSocketOperation)
    );
    // Set before connecting: applied to the connection.
    socket
        .set_socket_option(&mut session, SocketOption::KeepAlive, 1)
        .unwrap()
        .unwrap();
    let (result, _) = handshake(&mut session, socket, "localhost", peer.port);
    assert_eq!(result, Ok(()));
    let option = |session: &mut sslsocket_host::Session, which| {
        socket.socket_option(session, which).unwrap().unwrap()
    };
    assert_eq!(option(&mut session, SocketOption::KeepAlive), 1);
    for (which, value) in [
        (SocketOption::KeepAliveIdleTime, 30_000),
        (SocketOption::KeepAliveInterval, 5_000),
        (SocketOption::KeepAliveCount, 4),
        (SocketOption::HopLimit, 9),
    ] {
        socket
            .set_socket_option(&mut session, which, value)
            .unwrap()
            .unwrap();
        assert_eq!(option(&mut session, which), value, "{which:?}");
    }
    socket
        .set_socket_option(&mut session, SocketOption::ReceiveBufferSize, 64 * 1024)
        .unwrap()
        .unwrap();
    assert!(option(&mut session, SocketOption::ReceiveBufferSize) >= 64 * 1024);
    assert!(matches!(
        socket
            .set_socket_option(&mut session, SocketOption::KeepAliveCount, 0)
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    assert_eq!(
        socket
            .socket_option(&mut session, SocketOption::TypeOfService)
            .unwrap(),
        Err(ErrorCode::UnsupportedSocketOperation)
    );
}

#[test]
fn a_configuration_set_on_many_sockets_costs_them_no_memory() {
    const SOCKETS: usize = 2000;
    let pki = TestPki::new("qt6-config-memory", KeyKind::EcdsaP256);
    // Guest memory taken by SOCKETS new sockets in a fresh instance, each given the
    // configuration `shared` makes (once), if any.
    let growth = |shared: bool| {
        let mut session = session();
        let config = shared.then(|| {
            let config = session.new_ssl_configuration().unwrap();
            config
                .add_ca_certificates_pem(&mut session, &pki.ca.cert_pem)
                .unwrap()
                .unwrap();
            config
                .set_allowed_next_protocols(&mut session, &["h2".to_owned()])
                .unwrap()
                .unwrap();
            config
        });
        let before = session.guest_memory();
        for _ in 0..SOCKETS {
            let socket = session.new_socket().unwrap();
            if let Some(config) = &config {
                socket.set_ssl_configuration(&mut session, config).unwrap();
            }
        }
        session.guest_memory() - before
    };
    let (plain, shared) = (growth(false), growth(true));
    // Wasm memory grows by 64 KiB pages: one page of slack.
    assert!(
        shared <= plain + 65536,
        "{SOCKETS} sockets: {plain} bytes with the default configuration, {shared} bytes sharing one"
    );
}
