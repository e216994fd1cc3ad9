//! What Qt 6, Node and Python add on top of Qt 4.3, in the engine: shared configurations, the
//! keying-material exporter, key logs, alerts, tickets on/off, the verify depth, the signals
//! after 4.3 and socket options. Memory-mode pairs, so every step is deterministic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use super::tests::{Pki, pki};
use super::tests_memory::{MemorySocket, pump, started_pair_with};
use super::*;
use crate::pki::{Certificate, EncodingFormat, Key};
use crate::transport::memory::MemoryEnd;
use crate::transport::std::StdTransport;

type Pair = [(MemorySocket, MemoryEnd); 2];

/// A handshaken pair with `configure` applied to both sides.
fn encrypted_pair(pki: &Pki, configure: impl Fn(&mut SslConfiguration)) -> Pair {
    let mut pair = started_pair_with(pki, true, configure);
    pump(&mut pair);
    assert!(pair[0].0.is_encrypted() && pair[1].0.is_encrypted());
    pair
}

fn events(socket: &mut MemorySocket) -> Vec<Event> {
    socket.take_events()
}

#[test]
fn both_ends_export_the_same_keying_material() {
    let pki = pki(&["localhost"]);
    for protocol in [Protocol::TlsV12, Protocol::TlsV13] {
        let pair = encrypted_pair(&pki, |c| c.set_protocol(protocol).unwrap());
        let [(client, _), (server, _)] = &pair;
        let label = b"EXPERIMENTAL sslsocket";
        let ours = client
            .export_keying_material(label, Some(b"ctx"), 48)
            .unwrap();
        assert_eq!(ours.len(), 48);
        assert_eq!(
            ours,
            server
                .export_keying_material(label, Some(b"ctx"), 48)
                .unwrap(),
            "{protocol:?}"
        );
        let other = client.export_keying_material(b"EXPERIMENTAL other", Some(b"ctx"), 48);
        assert_ne!(ours, other.unwrap());
        let none = client.export_keying_material(label, None, 48).unwrap();
        let empty = client.export_keying_material(label, Some(b""), 48).unwrap();
        // RFC 8446 §7.5: no context is the empty context; RFC 5705: they differ.
        assert_eq!(none == empty, protocol == Protocol::TlsV13, "{protocol:?}");
        assert!(matches!(
            client.export_keying_material(label, None, 0),
            Err(SocketError::InvalidInput(_))
        ));
    }
    let pair = encrypted_pair(&pki, |c| c.set_protocol(Protocol::TlsV12).unwrap());
    assert!(matches!(
        pair[0].0.export_keying_material(b"master secret", None, 16),
        Err(SocketError::InvalidInput(_))
    ));
    assert!(matches!(
        MemorySocket::new().export_keying_material(b"EXPERIMENTAL", None, 16),
        Err(SocketError::InvalidState(_))
    ));
}

#[test]
fn key_logs_only_when_asked_and_both_ends_log_the_same_secrets() {
    let pki = pki(&["localhost"]);
    let mut quiet = encrypted_pair(&pki, |_| {});
    assert!(
        !events(&mut quiet[0].0)
            .iter()
            .any(|e| matches!(e, Event::KeyLogLine(_)))
    );
    for (protocol, labels) in [(Protocol::TlsV13, 5), (Protocol::TlsV12, 1)] {
        let mut pair = encrypted_pair(&pki, |c| {
            c.set_protocol(protocol).unwrap();
            c.set_dangerous_key_logging(true);
        });
        let lines = |socket: &mut MemorySocket| {
            let mut lines: Vec<String> = events(socket)
                .into_iter()
                .filter_map(|e| match e {
                    Event::KeyLogLine(line) => Some(line),
                    _ => None,
                })
                .collect();
            lines.sort();
            lines
        };
        let client = lines(&mut pair[0].0);
        assert_eq!(client.len(), labels, "{protocol:?}: {client:?}");
        assert_eq!(client, lines(&mut pair[1].0), "{protocol:?}");
        for line in &client {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert_eq!(fields[1].len(), 64, "the client random in hex: {line}");
        }
    }
}

#[test]
fn a_refused_handshake_reports_the_alert_on_both_sides_and_a_close_its_close_notify() {
    let pki = pki(&["localhost"]);
    let unknown_ca = Alert {
        level: AlertLevel::Fatal,
        kind: AlertType::UnknownCa,
    };
    for protocol in [Protocol::TlsV12, Protocol::TlsV13] {
        let mut pair = started_pair_with(&pki, false, |c| c.set_protocol(protocol).unwrap());
        pump(&mut pair);
        let client = events(&mut pair[0].0);
        let server = events(&mut pair[1].0);
        assert!(client.contains(&Event::AlertSent(unknown_ca)), "{client:?}");
        assert!(
            server.contains(&Event::AlertReceived(unknown_ca)),
            "{server:?}"
        );
        // One peer-verify-error per error, then ssl-errors with them all.
        let verify_errors = client
            .iter()
            .position(|e| matches!(e, Event::PeerVerifyError(_)))
            .unwrap();
        let listed = client
            .iter()
            .position(|e| matches!(e, Event::SslErrors(_)))
            .unwrap();
        assert!(verify_errors < listed);
    }
    let mut pair = encrypted_pair(&pki, |_| {});
    drop(events(&mut pair[0].0));
    drop(events(&mut pair[1].0));
    pair[0].0.disconnect_from_host();
    pump(&mut pair);
    assert!(events(&mut pair[0].0).contains(&Event::AlertSent(Alert::CLOSE_NOTIFY)));
    assert!(events(&mut pair[1].0).contains(&Event::AlertReceived(Alert::CLOSE_NOTIFY)));
}

#[test]
fn tickets_are_reported_and_can_be_turned_off() {
    let pki = pki(&["localhost"]);
    let tickets = |tickets: bool| {
        let mut pair = encrypted_pair(&pki, |c| {
            c.set_protocol(Protocol::TlsV13).unwrap();
            c.set_session_tickets(tickets);
        });
        // The server's tickets go with its first answer.
        pair[1].0.write(b"hello").unwrap();
        pump(&mut pair);
        let client = events(&mut pair[0].0);
        assert!(
            client
                .iter()
                .any(|e| matches!(e, Event::EncryptedBytesWritten(n) if *n > 0))
        );
        client
            .iter()
            .filter(|e| **e == Event::NewSessionTicketReceived)
            .count()
    };
    assert!(tickets(true) > 0);
    assert_eq!(tickets(false), 0);
}

/// Qt with OpenSSL: a server picks by its own cipher order unless
/// `SslOptionDisableServerCipherPreference` is set, in TLS 1.3 and 1.2.
#[test]
fn a_server_picks_by_its_own_cipher_order_unless_told_otherwise() {
    let pki = pki(&["localhost"]);
    for (protocol, first, second) in [
        (
            Protocol::TlsV13,
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
        ),
        (
            Protocol::TlsV12,
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
    ] {
        let server_order = [first, second].map(|name| Cipher::by_name(name).unwrap());
        let client_order = [second, first].map(|name| Cipher::by_name(name).unwrap());
        let negotiated = |server_preference: Option<bool>| {
            let configured = std::cell::Cell::new(0);
            let pair = encrypted_pair(&pki, |c| {
                // Called for the client first, then for the server.
                let is_server = configured.replace(configured.get() + 1) == 1;
                c.set_protocol(protocol).unwrap();
                let order = if is_server {
                    &server_order
                } else {
                    &client_order
                };
                c.set_ciphers(order.to_vec()).unwrap();
                if let (true, Some(enabled)) = (is_server, server_preference) {
                    c.set_server_cipher_preference(enabled);
                }
            });
            let [(client, _), (server, _)] = &pair;
            assert_eq!(client.current_cipher(), server.current_cipher());
            server.current_cipher().unwrap().name
        };
        assert_eq!(negotiated(None), server_order[0].name, "{protocol:?}");
        assert_eq!(negotiated(Some(true)), server_order[0].name, "{protocol:?}");
        assert_eq!(
            negotiated(Some(false)),
            client_order[0].name,
            "{protocol:?}"
        );
    }
    assert!(SslConfiguration::default().server_cipher_preference());
}

#[test]
fn sockets_share_one_configuration_until_one_changes_its_own() {
    let mut config = SslConfiguration::default();
    config.set_peer_verify_depth(3);
    let shared = Arc::new(config);
    let mut sockets: Vec<SslSocket<StdTransport>> = (0..1000)
        .map(|_| {
            let mut socket = SslSocket::new();
            socket.set_ssl_configuration(Arc::clone(&shared));
            socket
        })
        .collect();
    assert_eq!(Arc::strong_count(&shared), 1001, "no socket copied it");
    sockets[0].config_mut().set_peer_verify_depth(1);
    assert_eq!(
        Arc::strong_count(&shared),
        1000,
        "the one that changed copied it"
    );
    assert_eq!(sockets[1].config().peer_verify_depth(), 3);
    assert!(Arc::ptr_eq(&sockets[2].ssl_configuration(), &shared));
    // A peer verify name is the socket's own, as in Qt.
    sockets[3]
        .config_mut()
        .set_peer_verify_name("example.org".into());
    sockets[3].set_ssl_configuration(Arc::clone(&shared));
    assert_eq!(sockets[3].config().peer_verify_name(), "example.org");
    // New sockets start from the default configuration.
    assert!(Arc::ptr_eq(
        &SslSocket::<StdTransport>::new().ssl_configuration(),
        &SslConfiguration::default_configuration()
    ));
}

#[test]
fn the_verify_depth_limits_the_intermediates_as_openssl_does() {
    // root -> upper -> lower -> leaf; the server sends leaf, lower and upper.
    let ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params
    };
    let root =
        CertifiedIssuer::self_signed(ca("Depth Root"), KeyPair::generate().unwrap()).unwrap();
    let upper =
        CertifiedIssuer::signed_by(ca("Depth Upper"), KeyPair::generate().unwrap(), &root).unwrap();
    let lower = CertifiedIssuer::signed_by(ca("Depth Lower"), KeyPair::generate().unwrap(), &upper)
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &lower)
        .unwrap();
    let chain: Vec<Certificate> = [leaf.der(), lower.der(), upper.der()]
        .into_iter()
        .map(|der| Certificate::from_der(der).unwrap())
        .collect();
    let pki = Pki {
        ca: Certificate::from_der(root.der()).unwrap(),
        server_cert: chain[0].clone(),
        server_key: Key::private_from_data(
            leaf_key.serialize_pem().as_bytes(),
            EncodingFormat::Pem,
        )
        .unwrap(),
    };
    let errors = |depth: u32| {
        let mut pair = started_pair_with(&pki, true, |c| {
            c.set_peer_verify_depth(depth);
            // The server keeps these intermediates when its leaf is set.
            c.set_local_certificate_chain(chain.clone());
        });
        pump(&mut pair);
        pair[0]
            .0
            .ssl_errors()
            .into_iter()
            .map(|e| (e.error, e.certificate))
            .collect::<Vec<_>>()
    };
    assert_eq!(errors(0), [], "0: no limit of our own");
    assert_eq!(errors(2), [], "two intermediates are allowed at depth 2");
    // OpenSSL: "error 22 at 2 depth lookup: certificate chain too long", on the upper CA.
    assert_eq!(
        errors(1),
        [(SslError::UnspecifiedError, Some(chain[2].clone()))]
    );
}

#[test]
fn socket_options_are_checked_kept_for_the_connection_and_refused_where_unsupported() {
    let mut socket = SslSocket::<StdTransport>::new();
    assert_eq!(
        socket.set_socket_option(SocketOption::LowDelay, 1),
        Err(SocketError::UnsupportedSocketOperation)
    );
    assert!(matches!(
        socket.set_socket_option(SocketOption::HopLimit, 0),
        Err(SocketError::InvalidInput(_))
    ));
    assert!(matches!(
        socket.socket_option(SocketOption::HopLimit),
        Err(SocketError::InvalidState(_))
    ));
    socket
        .set_socket_option(SocketOption::HopLimit, 17)
        .unwrap();
    assert_eq!(socket.socket_option(SocketOption::HopLimit), Ok(17));
    // Applied to the connection when it is made.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    socket.connect_to_host("127.0.0.1", port).unwrap();
    socket.wait_for_connected(5000).unwrap();
    assert_eq!(socket.socket_option(SocketOption::HopLimit), Ok(17));
    // A memory connection has no TCP socket.
    let (mut memory, _end) = super::tests_memory::memory_socket();
    assert_eq!(
        memory.set_socket_option(SocketOption::KeepAlive, 1),
        Err(SocketError::UnsupportedSocketOperation)
    );
}
