//! The engine natively, client against server, over loopback TCP with `std::net`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

use super::*;
use crate::pki::{Certificate, EncodingFormat, Key};
use crate::transport::std::{StdListener, StdTransport};
use crate::transport::{ConnectProgress, Interest, Listener, Transport, TransportError};

type Socket = SslSocket<StdTransport>;

pub(super) struct Pki {
    pub(super) ca: Certificate,
    pub(super) server_cert: Certificate,
    pub(super) server_key: Key,
}

pub(super) fn pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Engine Test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    let cert = params.signed_by(&key, &ca).unwrap();
    Pki {
        ca: Certificate::from_der(ca.der()).unwrap(),
        server_cert: Certificate::from_der(cert.der()).unwrap(),
        server_key: Key::private_from_data(key.serialize_pem().as_bytes(), EncodingFormat::Pem)
            .unwrap(),
    }
}

/// Runs one of our sockets as a TLS echo server on a thread; returns its port.
fn echo_server(
    pki: &Pki,
    protocol: Protocol,
    starttls: bool,
) -> (u16, thread::JoinHandle<Vec<Event>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut server = serving(stream, cert, key);
        server.set_protocol(protocol).unwrap();
        if starttls {
            server.write(b"220 ready\r\n").unwrap();
            while !server.can_read_line() {
                if server.wait_for_ready_read(5000).is_err() {
                    return server.take_events();
                }
            }
            assert_eq!(server.read_line(0).unwrap(), b"STARTTLS\r\n");
            server.write(b"220 go ahead\r\n").unwrap();
            server.wait_for_bytes_written(5000).unwrap();
        }
        server.start_server_handshake().unwrap();
        if server.wait_for_encrypted(5000).is_err() {
            return server.take_events();
        }
        while server.wait_for_ready_read(5000).is_ok() {
            let data = server.read_all().unwrap();
            server.write(&data).unwrap();
        }
        server.take_events()
    });
    (port, handle)
}

/// A socket over an accepted connection, with a server identity.
fn serving(stream: std::net::TcpStream, cert: Certificate, key: Key) -> Socket {
    let mut server = Socket::from_transport(StdTransport::from_stream(stream).unwrap());
    server.config_mut().set_local_certificate(cert);
    server.set_private_key(key).unwrap();
    server
}

fn trusting(pki: &Pki) -> Socket {
    let mut client = Socket::new();
    client
        .config_mut()
        .set_ca_certificates(vec![pki.ca.clone()]);
    client
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client trusting `ca` that connects to `port`, sends `hi\n` and waits until a line comes
/// back (unread).
pub(super) fn line_client(ca: Certificate, port: u16) -> Socket {
    let mut client = Socket::new();
    client.config_mut().set_ca_certificates(vec![ca]);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    client.write(b"hi\n").unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    client
}

#[test]
fn client_and_server_handshake_and_echo() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let (port, server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert_eq!(client.session_protocol(), Some(Protocol::TlsV13));
    assert_eq!(
        client.current_cipher().map(|c| c.name),
        Some("TLS_AES_128_GCM_SHA256")
    );
    assert_eq!(client.peer_certificate(), Some(pki.server_cert.clone()));
    assert!(client.ssl_errors().is_empty());

    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    client.write(b"hello\nworld\n").unwrap();
    client.write(&big).unwrap();
    client.wait_for_bytes_written(5000).unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"hello\n");
    let mut echoed = client.read_line(0).unwrap();
    while echoed.len() < 6 + big.len() {
        client.wait_for_ready_read(5000).unwrap();
        echoed.extend(client.read_all().unwrap());
    }
    assert_eq!(&echoed[..6], b"world\n");
    assert_eq!(&echoed[6..], &big[..]);

    client.disconnect_from_host();
    if client.state() != SocketState::Unconnected {
        client.wait_for_disconnected(5000).unwrap();
    }
    let events = client.take_events();
    for expected in [
        Event::StateChanged(SocketState::HostLookup),
        Event::ModeChanged(Mode::SslClient),
        Event::Encrypted,
        Event::ReadyRead,
        Event::Disconnected,
    ] {
        assert!(
            events.contains(&expected),
            "{expected:?} missing from {events:?}"
        );
    }
    // `connected` keeps the peer it connected to, though the connection is gone now.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Connected(Some(peer)) if peer.port() == port)),
        "{events:?}"
    );
    assert_eq!(client.peer_address(), None);
    let server_events = server.join().unwrap();
    assert!(server_events.contains(&Event::ModeChanged(Mode::SslServer)));
    assert!(server_events.contains(&Event::Encrypted));
}

#[test]
fn shutdown_write_half_closes_and_the_peers_close_is_no_error() {
    let pki = pki(&["localhost"]);
    let (port, server) = echo_server(&pki, Protocol::TlsV13, false);
    let mut client = trusting(&pki);
    assert!(matches!(
        client.shutdown_write(),
        Err(SocketError::InvalidState(_))
    ));
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    client.write(b"ping").unwrap();
    let mut echoed = Vec::new();
    while echoed.len() < 4 {
        client.wait_for_ready_read(5000).unwrap();
        echoed.extend(client.read_all().unwrap());
    }
    assert_eq!(echoed, b"ping");

    client.shutdown_write().unwrap();
    client.shutdown_write().unwrap();
    assert!(matches!(
        client.write(b"late"),
        Err(SocketError::InvalidState(_))
    ));
    // Our echo server is Qt-like: our close_notify ends its connection, which ends ours.
    if client.state() != SocketState::Unconnected {
        client.wait_for_disconnected(5000).unwrap();
    }
    let events = client.take_events();
    assert!(events.contains(&Event::Disconnected), "{events:?}");
    assert!(
        !events.iter().any(|e| matches!(e, Event::Error(_))),
        "{events:?}"
    );
    assert!(client.error().is_none());
    let server_events = server.join().unwrap();
    assert!(
        server_events.contains(&Event::Error(SocketError::RemoteHostClosed)),
        "the server saw our close_notify: {server_events:?}"
    );
}

#[test]
fn tls12_is_negotiated_when_asked() {
    let pki = pki(&["localhost"]);
    let (port, _server) = echo_server(&pki, Protocol::TlsV12, false);
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert_eq!(client.session_protocol(), Some(Protocol::TlsV12));
    assert_eq!(
        client.current_cipher().map(|c| c.name),
        Some("ECDHE-ECDSA-AES128-GCM-SHA256")
    );
}

#[test]
fn wrong_host_and_untrusted_ca_fail_with_errors_unless_ignored() {
    let pki = pki(&["localhost"]);
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = trusting(&pki);
    client
        .config_mut()
        .set_peer_verify_name("wrong.example".into());
    client.connect_to_host_encrypted("localhost", port).unwrap();
    let err = client.wait_for_encrypted(5000).unwrap_err();
    assert!(matches!(err, SocketError::SslHandshakeFailed(_)), "{err:?}");
    let errors: Vec<SslError> = client.ssl_errors().iter().map(|e| e.error).collect();
    assert_eq!(errors, vec![SslError::HostNameMismatch]);
    assert!(
        client
            .take_events()
            .contains(&Event::SslErrors(vec![SslError::HostNameMismatch]))
    );

    // Untrusted: the default (Mozilla) roots do not know the test CA.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert!(client.wait_for_encrypted(5000).is_err());
    let errors: Vec<SslError> = client.ssl_errors().iter().map(|e| e.error).collect();
    assert_eq!(
        errors,
        vec![
            SslError::UnableToGetLocalIssuerCertificate,
            SslError::UnableToVerifyFirstCertificate
        ]
    );

    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client.ignore_ssl_errors();
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert_eq!(client.ssl_errors().len(), 2);
    // As in Qt, the signal is emitted even though the errors are ignored, before `encrypted`.
    let events = client.take_events();
    let errors_at = events
        .iter()
        .position(|e| matches!(e, Event::SslErrors(list) if list.len() == 2));
    let encrypted_at = events.iter().position(|e| *e == Event::Encrypted);
    assert!(
        errors_at.is_some() && errors_at < encrypted_at,
        "{events:?}"
    );
}

#[test]
fn self_signed_server_is_reported_as_self_signed() {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pki = Pki {
        ca: Certificate::from_der(cert.der()).unwrap(),
        server_cert: Certificate::from_der(cert.der()).unwrap(),
        server_key: Key::private_from_data(key.serialize_pem().as_bytes(), EncodingFormat::Pem)
            .unwrap(),
    };
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client
        .config_mut()
        .set_peer_verify_name("other.example".into());
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert!(client.wait_for_encrypted(5000).is_err());
    let errors: Vec<SslError> = client.ssl_errors().iter().map(|e| e.error).collect();
    // Qt checks the host name itself before it translates OpenSSL's errors.
    assert_eq!(
        errors,
        vec![SslError::HostNameMismatch, SslError::SelfSignedCertificate]
    );

    // Trusted on purpose: a self-signed leaf in the CA list is accepted.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
}

#[test]
fn starttls_upgrades_a_plain_connection() {
    let pki = pki(&["localhost"]);
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, true);
    let mut client = trusting(&pki);
    client.connect_to_host("localhost", port).unwrap();
    client.wait_for_connected(5000).unwrap();
    assert!(matches!(
        client.wait_for_encrypted(100),
        Err(SocketError::InvalidState(_))
    ));
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"220 ready\r\n");
    client.write(b"STARTTLS\r\n").unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"220 go ahead\r\n");
    assert_eq!(client.mode(), Mode::Plain);
    client.start_client_handshake().unwrap();
    assert!(matches!(
        client.start_client_handshake(),
        Err(SocketError::InvalidState(_))
    ));
    client.wait_for_encrypted(5000).unwrap();
    assert_eq!(client.mode(), Mode::SslClient);
    client.write(b"ping\n").unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"ping\n");
}

#[test]
fn wrong_state_and_bad_input_are_errors() {
    let mut socket = Socket::new();
    assert!(matches!(socket.read(10), Err(SocketError::InvalidState(_))));
    assert!(matches!(
        socket.write(b"x"),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.start_client_handshake(),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.start_server_handshake(),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.wait_for_encrypted(10),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.wait_for_disconnected(10),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.wait_for_bytes_written(10),
        Err(SocketError::InvalidState(_))
    ));
    assert!(matches!(
        socket.connect_to_host("", 1),
        Err(SocketError::InvalidInput(_))
    ));
    assert!(matches!(
        socket.connect_to_host("localhost", 0),
        Err(SocketError::InvalidInput(_))
    ));
    assert!(matches!(
        socket.set_protocol(Protocol::SslV3),
        Err(SocketError::UnsupportedProtocol(_))
    ));
    assert_eq!(socket.config().protocol(), Protocol::SecureProtocols);

    // A closed port: connection refused, reported and queued.
    let result = socket
        .connect_to_host("127.0.0.1", closed_port())
        .and_then(|()| socket.wait_for_connected(2000));
    assert_eq!(result, Err(SocketError::ConnectionRefused));
    assert_eq!(socket.state(), SocketState::Unconnected);
    assert!(
        socket
            .take_events()
            .contains(&Event::Error(SocketError::ConnectionRefused))
    );
}

#[test]
fn garbage_from_the_peer_fails_the_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nthis is not TLS at all")
            .unwrap();
        thread::sleep(std::time::Duration::from_millis(200));
    });
    let mut client = Socket::new();
    client.connect_to_host_encrypted("127.0.0.1", port).unwrap();
    let err = client.wait_for_encrypted(5000).unwrap_err();
    assert!(matches!(err, SocketError::SslHandshakeFailed(_)), "{err:?}");
    assert_eq!(client.state(), SocketState::Unconnected);
    peer.join().unwrap();
}

#[test]
fn a_self_signed_ca_certificate_in_the_ca_list_is_trusted_as_a_leaf() {
    // What `openssl req -x509` makes: self-signed with CA:TRUE.
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let cert = Certificate::from_der(cert.der()).unwrap();
    let pki = Pki {
        ca: cert.clone(),
        server_cert: cert,
        server_key: Key::private_from_data(key.serialize_pem().as_bytes(), EncodingFormat::Pem)
            .unwrap(),
    };
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert!(client.ssl_errors().is_empty());

    // Trusted, but still checked against the name.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = trusting(&pki);
    client
        .config_mut()
        .set_peer_verify_name("other.example".into());
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert!(client.wait_for_encrypted(5000).is_err());
    let errors: Vec<SslError> = client.ssl_errors().iter().map(|e| e.error).collect();
    assert_eq!(errors, vec![SslError::HostNameMismatch]);
}

#[test]
fn ignore_list_must_cover_every_error_with_its_certificate() {
    let pki = pki(&["localhost"]);
    let expected = |client: &Socket| -> Vec<SslError> {
        client.ssl_errors().iter().map(|e| e.error).collect()
    };

    // Exactly the errors, with the leaf: accepted.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client.ignore_ssl_errors_list(vec![
        (
            SslError::UnableToGetLocalIssuerCertificate,
            Some(pki.server_cert.clone()),
        ),
        (SslError::UnableToVerifyFirstCertificate, None),
    ]);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();

    // One missing: refused with the full list.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client.ignore_ssl_errors_list(vec![(SslError::UnableToGetLocalIssuerCertificate, None)]);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert!(client.wait_for_encrypted(5000).is_err());
    assert_eq!(
        expected(&client),
        vec![
            SslError::UnableToGetLocalIssuerCertificate,
            SslError::UnableToVerifyFirstCertificate
        ]
    );

    // The right errors for another certificate: refused.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client.ignore_ssl_errors_list(vec![
        (
            SslError::UnableToGetLocalIssuerCertificate,
            Some(pki.ca.clone()),
        ),
        (
            SslError::UnableToVerifyFirstCertificate,
            Some(pki.ca.clone()),
        ),
    ]);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert!(client.wait_for_encrypted(5000).is_err());
}

#[test]
fn interrupted_handshake_waits_for_a_decision() {
    let pki = pki(&["localhost"]);

    // Continue after ignoring: encrypted, and data written meanwhile goes through.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client
        .config_mut()
        .set_handshake_must_interrupt_on_error(true);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert_eq!(
        client.wait_for_encrypted(300),
        Err(SocketError::SocketTimeout)
    );
    assert!(client.is_handshake_interrupted());
    assert_eq!(client.state(), SocketState::Connected);
    let events = client.take_events();
    let tail: Vec<&Event> = events.iter().rev().take(2).collect();
    assert_eq!(tail[0], &Event::HandshakeInterruptedOnError);
    assert!(matches!(tail[1], Event::SslErrors(_)));
    client.write(b"held\n").unwrap();
    assert_eq!(client.bytes_to_write(), 5);
    assert!(matches!(
        client.wait_for_ready_read(-1),
        Err(SocketError::InvalidState(_))
    ));
    client.ignore_ssl_errors();
    client.continue_interrupted_handshake().unwrap();
    client.wait_for_encrypted(5000).unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"held\n");

    // Continue without ignoring: the handshake fails.
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client
        .config_mut()
        .set_handshake_must_interrupt_on_error(true);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    assert_eq!(
        client.wait_for_encrypted(300),
        Err(SocketError::SocketTimeout)
    );
    assert!(matches!(
        client.continue_interrupted_handshake(),
        Err(SocketError::SslHandshakeFailed(_))
    ));
    assert_eq!(client.state(), SocketState::Unconnected);
    assert!(matches!(
        client.continue_interrupted_handshake(),
        Err(SocketError::InvalidState(_))
    ));
}

#[test]
fn verify_none_and_query_peer() {
    let pki = pki(&["localhost"]);
    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client
        .config_mut()
        .set_peer_verify_mode(PeerVerifyMode::VerifyNone);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert!(client.ssl_errors().is_empty());
    assert_eq!(client.peer_certificate(), Some(pki.server_cert.clone()));

    let (port, _server) = echo_server(&pki, Protocol::SecureProtocols, false);
    let mut client = Socket::new();
    client
        .config_mut()
        .set_peer_verify_mode(PeerVerifyMode::QueryPeer);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    assert_eq!(client.ssl_errors().len(), 2);
    assert!(
        client
            .take_events()
            .iter()
            .any(|e| matches!(e, Event::SslErrors(_)))
    );
}

pub(super) fn server(pki: &Pki) -> SslServer<StdTransport> {
    identity_server(pki)
}

/// A server of any transport with `pki`'s identity, not listening.
pub(super) fn identity_server<T: Transport>(pki: &Pki) -> SslServer<T> {
    let mut server = SslServer::new();
    server
        .config_mut()
        .set_local_certificate(pki.server_cert.clone());
    server
        .config_mut()
        .set_private_key(pki.server_key.clone())
        .unwrap();
    server
}

#[test]
fn server_accepts_times_out_silent_peers_and_resumes_sessions() {
    let pki = pki(&["localhost"]);
    let mut server = server(&pki);
    assert!(matches!(
        SslServer::<StdTransport>::new().listen("127.0.0.1", 0),
        Err(SocketError::InvalidState(_))
    ));
    server
        .config_mut()
        .set_allowed_next_protocols(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
        .unwrap();
    server.set_handshake_timeout(std::time::Duration::from_millis(300));
    server.listen("127.0.0.1", 0).unwrap();
    let port = server.server_address().unwrap().port();

    // A silent peer: connects and says nothing.
    let _silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let clients = thread::spawn({
        let ca = pki.ca.clone();
        move || {
            let mut results = Vec::new();
            for _ in 0..2 {
                let mut client = Socket::new();
                client.config_mut().set_ca_certificates(vec![ca.clone()]);
                client
                    .config_mut()
                    .set_allowed_next_protocols(vec![b"http/1.1".to_vec()])
                    .unwrap();
                client.connect_to_host_encrypted("localhost", port).unwrap();
                client.wait_for_encrypted(5000).unwrap();
                client.write(b"hi\n").unwrap();
                while !client.can_read_line() {
                    client.wait_for_ready_read(5000).unwrap();
                }
                results.push((
                    client.read_line(0).unwrap(),
                    client.next_negotiated_protocol(),
                    client.session_resumed(),
                ));
                client.disconnect_from_host();
            }
            results
        }
    });
    let mut accepted = Vec::new();
    for _ in 0..2 {
        server.wait_for_new_connection(5000).unwrap();
        let mut socket = server.next_pending_connection().unwrap();
        assert_eq!(socket.mode(), Mode::SslServer);
        assert_eq!(
            socket.next_negotiated_protocol(),
            Some(b"http/1.1".to_vec())
        );
        assert!(socket.key_exchange_group().is_some());
        while !socket.can_read_line() {
            socket.wait_for_ready_read(5000).unwrap();
        }
        let line = socket.read_line(0).unwrap();
        socket.write(&line).unwrap();
        socket.wait_for_bytes_written(5000).unwrap();
        accepted.push(socket);
    }
    let results = clients.join().unwrap();
    assert_eq!(
        results[0],
        (b"hi\n".to_vec(), Some(b"http/1.1".to_vec()), false)
    );
    assert_eq!(
        results[1],
        (b"hi\n".to_vec(), Some(b"http/1.1".to_vec()), true)
    );

    // The silent peer is dropped once its deadline passes.
    thread::sleep(std::time::Duration::from_millis(400));
    server.process();
    let events = server.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::HandshakeTimedOut { .. })),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == ServerEvent::PendingConnectionAvailable)
            .count(),
        2
    );
}

#[test]
fn a_server_that_does_not_listen_serves_connections_the_caller_accepted() {
    // The caller accepts (as a host sharing one listener between instances does) and hands
    // each connection over: handshake, deadline and pending queue work as for the server's own.
    let pki = pki(&["localhost"]);
    let mut server = server(&pki);
    server.set_handshake_timeout(std::time::Duration::from_millis(300));
    assert!(matches!(
        server.wait_for_new_connection(0),
        Err(SocketError::InvalidState(_))
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = thread::spawn({
        let ca = pki.ca.clone();
        move || line_client(ca, port).read_line(0).unwrap()
    });
    let (stream, peer) = listener.accept().unwrap();
    server.incoming_connection(StdTransport::from_stream(stream).unwrap());
    let _silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (silent, _) = listener.accept().unwrap();
    server.incoming_connection(StdTransport::from_stream(silent).unwrap());

    server.wait_for_new_connection(5000).unwrap();
    let mut socket = server.next_pending_connection().unwrap();
    assert!(!server.is_listening());
    assert_eq!(socket.mode(), Mode::SslServer);
    assert_eq!(socket.peer_address(), Some(peer));
    while !socket.can_read_line() {
        socket.wait_for_ready_read(5000).unwrap();
    }
    let line = socket.read_line(0).unwrap();
    socket.write(&line).unwrap();
    socket.wait_for_bytes_written(5000).unwrap();
    assert_eq!(client.join().unwrap(), b"hi\n");
    // The silent one times out like any other.
    assert_eq!(
        server.wait_for_new_connection(2000),
        Err(SocketError::InvalidState(
            "the server is not listening".into()
        ))
    );
    let events = server.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::HandshakeTimedOut { .. })),
        "{events:?}"
    );
}

#[test]
fn server_requires_and_reports_client_certificates() {
    let pki = pki(&["localhost"]);
    let mut server = server(&pki);
    server
        .config_mut()
        .set_peer_verify_mode(PeerVerifyMode::VerifyPeer);
    server
        .config_mut()
        .set_ca_certificates(vec![pki.ca.clone()]);
    server.listen("127.0.0.1", 0).unwrap();
    let port = server.server_address().unwrap().port();
    let client_cert = pki.server_cert.clone();
    let client_key = pki.server_key.clone();
    let ca = pki.ca.clone();
    let clients = thread::spawn(move || {
        // Without a certificate: refused.
        let mut anonymous = Socket::new();
        anonymous.config_mut().set_ca_certificates(vec![ca.clone()]);
        anonymous
            .connect_to_host_encrypted("localhost", port)
            .unwrap();
        let _ = anonymous.wait_for_encrypted(5000);
        let _ = anonymous.wait_for_ready_read(2000);
        // With one (the test leaf has no clientAuth EKU restriction from rcgen: none set).
        let mut client = Socket::new();
        client.config_mut().set_ca_certificates(vec![ca]);
        client.config_mut().set_local_certificate(client_cert);
        client.config_mut().set_private_key(client_key).unwrap();
        client.connect_to_host_encrypted("localhost", port).unwrap();
        client.wait_for_encrypted(5000).unwrap();
        client.write(b"x").unwrap();
        client.wait_for_bytes_written(5000).unwrap();
        thread::sleep(std::time::Duration::from_millis(200));
    });
    server.wait_for_new_connection(5000).unwrap();
    let socket = server.next_pending_connection().unwrap();
    assert_eq!(socket.peer_certificate(), Some(pki.server_cert.clone()));
    let events = server.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::HandshakeFailed { .. })),
        "{events:?}"
    );
    clients.join().unwrap();
}

#[test]
fn client_sockets_with_the_same_leaf_present_their_own_intermediates() {
    // The client configuration cache was once keyed by a digest that left out the
    // intermediates: the second socket presented the first one's chain.
    let pki = pki(&["localhost"]);
    let extras = [self::pki(&["a"]).ca, self::pki(&["b"]).ca];
    let mut server = server(&pki);
    server
        .config_mut()
        .set_peer_verify_mode(PeerVerifyMode::QueryPeer);
    server.listen("127.0.0.1", 0).unwrap();
    let port = server.server_address().unwrap().port();
    let (leaf, key, ca) = (
        pki.server_cert.clone(),
        pki.server_key.clone(),
        pki.ca.clone(),
    );
    let chains: Vec<Vec<Certificate>> = extras
        .iter()
        .map(|extra| vec![leaf.clone(), extra.clone()])
        .collect();
    let sent = chains.clone();
    let clients = thread::spawn(move || {
        let mut open = Vec::new();
        for chain in sent {
            let mut client = Socket::new();
            client.config_mut().set_ca_certificates(vec![ca.clone()]);
            client.config_mut().set_local_certificate_chain(chain);
            client.set_private_key(key.clone()).unwrap();
            client.connect_to_host_encrypted("localhost", port).unwrap();
            client.wait_for_encrypted(5000).unwrap();
            open.push(client);
        }
        thread::sleep(Duration::from_millis(500));
    });
    for chain in chains {
        server.wait_for_new_connection(5000).unwrap();
        let socket = server.next_pending_connection().unwrap();
        assert_eq!(socket.peer_certificate_chain(), chain);
    }
    clients.join().unwrap();
}

#[test]
fn servers_with_the_same_leaf_present_their_own_intermediates() {
    let pki = pki(&["localhost"]);
    for extra in [self::pki(&["a"]).ca, self::pki(&["b"]).ca] {
        let chain = vec![pki.server_cert.clone(), extra];
        let mut server = server(&pki);
        server
            .config_mut()
            .set_local_certificate_chain(chain.clone());
        server.listen("127.0.0.1", 0).unwrap();
        let port = server.server_address().unwrap().port();
        let ca = pki.ca.clone();
        let client = thread::spawn(move || {
            let mut client = Socket::new();
            client.config_mut().set_ca_certificates(vec![ca]);
            client.connect_to_host_encrypted("localhost", port).unwrap();
            client.wait_for_encrypted(5000).unwrap();
            // Open until the server has finished its side of the handshake.
            thread::sleep(Duration::from_millis(500));
            client.peer_certificate_chain()
        });
        server.wait_for_new_connection(5000).unwrap();
        let received = client.join().unwrap();
        assert_eq!(received, chain);
    }
}

#[test]
fn identities_with_a_key_of_another_certificate_are_refused() {
    let pki = pki(&["localhost"]);
    let other = self::pki(&["localhost"]);
    let chain = [pki.server_cert.clone()];
    assert!(tls_config::certified_key(&chain, &pki.server_key).is_ok());
    assert!(matches!(
        tls_config::certified_key(&chain, &other.server_key),
        Err(SocketError::InvalidInput(_))
    ));
}

#[test]
fn alpn_without_overlap_sends_no_application_protocol() {
    let pki = pki(&["localhost"]);
    let mut server = server(&pki);
    server
        .config_mut()
        .set_allowed_next_protocols(vec![b"http/1.1".to_vec()])
        .unwrap();
    server.listen("127.0.0.1", 0).unwrap();
    let port = server.server_address().unwrap().port();
    let client = thread::spawn({
        let ca = pki.ca.clone();
        move || {
            let mut client = Socket::new();
            client.config_mut().set_ca_certificates(vec![ca]);
            client
                .config_mut()
                .set_allowed_next_protocols(vec![b"h2".to_vec()])
                .unwrap();
            client.connect_to_host_encrypted("localhost", port).unwrap();
            client.wait_for_encrypted(5000).unwrap_err()
        }
    });
    assert_eq!(
        server.wait_for_new_connection(1000),
        Err(SocketError::SocketTimeout)
    );
    let error = client.join().unwrap();
    assert!(
        matches!(&error, SocketError::SslHandshakeFailed(m) if m.contains("NoApplicationProtocol")),
        "{error:?}"
    );
}

/// A `StdTransport` that records the size of every write, to see what leaves together.
struct Recording {
    inner: StdTransport,
    writes: Arc<Mutex<Vec<usize>>>,
}

impl Transport for Recording {
    type Listener = RecordingListener;
    type Pollable = ();

    fn connect(host: &str, port: u16) -> Result<Self, TransportError> {
        StdTransport::connect(host, port).map(|inner| Self {
            inner,
            writes: Arc::default(),
        })
    }

    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        self.inner.poll_connect()
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }

    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.writes.lock().unwrap().push(n);
        Ok(n)
    }

    fn wait(&mut self, interest: Interest, timeout: Option<Duration>) {
        self.inner.wait(interest, timeout);
    }

    fn pollable(&self, interest: Interest) -> Option<()> {
        self.inner.pollable(interest)
    }

    fn wait_any(pollables: &[()], timeout: Option<Duration>) {
        StdTransport::wait_any(pollables, timeout);
    }

    fn shutdown(&mut self, timeout: Duration) {
        self.inner.shutdown(timeout);
    }

    fn shutdown_write(&mut self) -> std::io::Result<bool> {
        self.inner.shutdown_write()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr()
    }
}

struct RecordingListener(StdListener);

impl Listener for RecordingListener {
    type Transport = Recording;

    fn listen(address: &str, port: u16, backlog: u32) -> Result<Self, TransportError> {
        StdListener::listen(address, port, backlog).map(Self)
    }

    fn accept(&mut self) -> Result<Option<Recording>, TransportError> {
        Ok(self.0.accept()?.map(|inner| Recording {
            inner,
            writes: Arc::default(),
        }))
    }

    fn pollable(&self) -> Option<()> {
        self.0.pollable()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.0.local_addr()
    }
}

/// A server socket over an accepted connection whose writes are recorded (their sizes).
fn recording_server(
    stream: std::net::TcpStream,
    cert: Certificate,
    key: Key,
) -> (SslSocket<Recording>, Arc<Mutex<Vec<usize>>>) {
    let writes = Arc::default();
    let transport = Recording {
        inner: StdTransport::from_stream(stream).unwrap(),
        writes: Arc::clone(&writes),
    };
    let mut server = SslSocket::from_transport(transport);
    server.config_mut().set_local_certificate(cert);
    server.set_private_key(key).unwrap();
    (server, writes)
}

#[test]
fn tls13_server_sends_its_tickets_with_its_first_answer() {
    // The client queues its request before the handshake ends, so it leaves with the client's
    // Finished. The server's session tickets then wait for its answer and both leave in one
    // write: two writes in a row would let Nagle's algorithm hold the answer back. The hold only
    // applies when the request arrives in the same read as the Finished, which a loaded machine
    // can split; so up to three tries, each of which shows the pattern unless the hold is broken.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (before, writes) = ticket_exchange();
        let after = writes.get(before..).unwrap_or_default();
        // The answer's record is 7 + 22 bytes; two session tickets come with it.
        if before == 1 && after.len() == 1 && after[0] > 7 + 22 + 100 {
            return;
        }
        seen.push(writes);
    }
    panic!("the server's flight, then tickets and answer in one write each; writes: {seen:?}");
}

/// One handshake plus request and answer; returns how many writes the server made before the
/// answer, and the size of every write.
fn ticket_exchange() -> (usize, Vec<usize>) {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (mut server, writes) = recording_server(stream, cert, key);
        server.start_server_handshake().unwrap();
        server.wait_for_encrypted(5000).unwrap();
        while !server.can_read_line() {
            server.wait_for_ready_read(5000).unwrap();
        }
        assert_eq!(server.read_line(0).unwrap(), b"GET /\n");
        let before = writes.lock().unwrap().len();
        server.write(b"200 ok\n").unwrap();
        server.wait_for_bytes_written(5000).unwrap();
        let writes = writes.lock().unwrap().clone();
        // Stay connected until the client has read the answer: closing at once could reach the
        // client before its `wait_for_encrypted` returns.
        let _ = server.wait_for_disconnected(5000);
        (before, writes)
    });
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.write(b"GET /\n").unwrap();
    client.wait_for_encrypted(5000).unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"200 ok\n");
    client.abort();
    server.join().unwrap()
}

#[test]
fn a_tls13_server_that_half_closes_without_answering_lets_its_held_tickets_go() {
    // The client's request arrives with its Finished, so the server holds its session tickets
    // for its answer; a half-close instead of an answer must not wait behind them.
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut server = serving(stream, cert, key);
        server.start_server_handshake().unwrap();
        server.wait_for_encrypted(5000).unwrap();
        while !server.can_read_line() {
            server.wait_for_ready_read(5000).unwrap();
        }
        assert_eq!(server.read_line(0).unwrap(), b"GET /\n");
        server.shutdown_write().unwrap();
        // The client answers our close_notify by closing: a clean end for a half-closed socket.
        let ended = server.wait_for_disconnected(5000);
        (ended, server.error().cloned())
    });
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.write(b"GET /\n").unwrap();
    client.wait_for_encrypted(5000).unwrap();
    let started = Instant::now();
    // The close_notify may have come in the wait that finished the handshake, or before it.
    if client.state() != SocketState::Unconnected {
        client.wait_for_disconnected(5000).unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the server's close_notify waited {:?}",
        started.elapsed()
    );
    assert_eq!(client.error(), Some(&SocketError::RemoteHostClosed));
    let (ended, error) = server.join().unwrap();
    assert_eq!(ended, Ok(()));
    assert_eq!(error, None);
}

#[test]
fn a_handshake_that_ends_in_the_same_read_as_the_connection_still_reports_encrypted() {
    // A rustls server sends its whole flight and its close_notify in one write, so the
    // client's wait reads the end of the handshake and of the connection at once.
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = SslConfiguration::default();
    settings.set_local_certificate(pki.server_cert.clone());
    settings.set_private_key(pki.server_key.clone()).unwrap();
    let config = Arc::new(tls_config::server_config(&settings, None).unwrap());
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        while conn.is_handshaking() && !conn.wants_write() {
            conn.read_tls(&mut stream).unwrap();
            conn.process_new_packets().unwrap();
        }
        conn.send_close_notify();
        let mut flight = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut flight).unwrap();
        }
        std::io::Write::write_all(&mut stream, &flight).unwrap();
        // Hold the TCP connection until the client has gone.
        let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
    });
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    // (The whole exchange may even happen within the connect call's own step.)
    assert_eq!(client.wait_for_encrypted(5000), Ok(()));
    assert_eq!(client.state(), SocketState::Unconnected);
    assert_eq!(client.error(), Some(&SocketError::RemoteHostClosed));
    let events = client.take_events();
    let encrypted = events.iter().position(|e| matches!(e, Event::Encrypted));
    let disconnected = events.iter().position(|e| matches!(e, Event::Disconnected));
    assert!(
        encrypted < disconnected && encrypted.is_some(),
        "{events:?}"
    );
    // It stays so until the next connection.
    assert_eq!(client.wait_for_encrypted(0), Ok(()));
    let result = client
        .connect_to_host_encrypted("127.0.0.1", closed_port())
        .and_then(|()| client.wait_for_encrypted(5000));
    assert_eq!(result, Err(SocketError::ConnectionRefused));
    server.join().unwrap();
}

/// Driven by `process` (as an event loop does), a client's Finished (TLS 1.3) waits for its
/// first write and both leave in one transport write: sent alone, the Finished would make the
/// first bytes wait behind Nagle's algorithm for the server's delayed ACK (up to 40 ms) when
/// the server has nothing to send. A blocking wait, though, never returns holding the Finished
/// (the caller may make no other call for a while, and the server needs it). Over TLS 1.2 the
/// client's Finished goes before the server's, so nothing is held.
#[test]
fn a_client_sends_its_finished_with_its_first_write() {
    for (protocol, blocking) in [
        (Protocol::TlsV13, false),
        (Protocol::TlsV13, true),
        (Protocol::TlsV12, false),
    ] {
        let what = format!("{protocol:?}, blocking: {blocking}");
        let pki = pki(&["localhost"]);
        let (port, server) = echo_server(&pki, protocol, false);
        let mut client = SslSocket::<Recording>::new();
        client
            .config_mut()
            .set_ca_certificates(vec![pki.ca.clone()]);
        client.connect_to_host_encrypted("localhost", port).unwrap();
        if blocking {
            client.wait_for_encrypted(5000).unwrap();
        } else {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !client.is_encrypted() {
                assert!(Instant::now() < deadline, "{what}: no handshake");
                thread::sleep(Duration::from_millis(1));
                client.process();
            }
        }
        let writes =
            |c: &SslSocket<Recording>| c.transport().unwrap().writes.lock().unwrap().clone();
        let before = writes(&client);
        client.write(b"ping\n").unwrap();
        let after = writes(&client);
        assert_eq!(after.len(), before.len() + 1, "{what}: {after:?}");
        if protocol == Protocol::TlsV13 && blocking {
            assert_eq!(before.len(), 2, "{what}: ClientHello, then the Finished");
        } else if protocol == Protocol::TlsV13 {
            assert_eq!(
                before.len(),
                1,
                "{what}: only the ClientHello before the first write"
            );
            // Finished (5 + 4 + 32 + 1 + 16 bytes), then "ping\n" (5 + 5 + 1 + 16).
            assert!(
                after[1] >= 58 + 27,
                "{what}: Finished and data in one write: {after:?}"
            );
        }
        while !client.can_read_line() {
            client.wait_for_ready_read(5000).unwrap();
        }
        assert_eq!(client.read_line(0).unwrap(), b"ping\n");
        client.abort();
        server.join().unwrap();
    }
}

/// No hold withholds a flight: a client that waits for the server to speak first (as in SMTP
/// or IMAP) lets its held Finished go when it waits, so the server's handshake finishes.
#[test]
fn a_client_waiting_for_the_server_to_speak_first_lets_its_finished_go() {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut server = serving(stream, cert, key);
        server.start_server_handshake().unwrap();
        server.wait_for_encrypted(5000).unwrap();
        server.write(b"220 ready\n").unwrap();
        let _ = server.wait_for_disconnected(5000);
    });
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.wait_for_encrypted(5000).unwrap();
    while !client.can_read_line() {
        client.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(client.read_line(0).unwrap(), b"220 ready\n");
    client.abort();
    server.join().unwrap();
}

/// No hold withholds a flight: a TLS 1.3 server holding its session tickets for an answer
/// (the client's first bytes came with its Finished) lets them go at the end of the turn when
/// it has no answer yet (it waits for the rest of a request); the client gets its tickets
/// without sending more. The hold applies only when the request arrives in the same read as
/// the Finished, which a loaded machine can split, so up to three tries.
#[test]
fn a_tls13_server_lets_held_tickets_go_when_it_waits_instead_of_answering() {
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (before, after) = partial_request();
        if before == 1 {
            assert!(
                after > before,
                "the tickets stayed held while the server waited"
            );
            return;
        }
        seen.push((before, after));
    }
    panic!("the request never came with the Finished: {seen:?}");
}

/// The client sends half a request with its Finished; the server reads it and waits for the
/// rest. Returns how many writes the server made before and after that wait.
fn partial_request() -> (usize, usize) {
    let pki = pki(&["localhost"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (mut server, writes) = recording_server(stream, cert, key);
        server.start_server_handshake().unwrap();
        server.wait_for_encrypted(5000).unwrap();
        while server.bytes_available() == 0 {
            server.wait_for_ready_read(5000).unwrap();
        }
        assert_eq!(server.read_all().unwrap(), b"GET ");
        let before = writes.lock().unwrap().len();
        assert_eq!(
            server.wait_for_ready_read(300),
            Err(SocketError::SocketTimeout)
        );
        let after = writes.lock().unwrap().len();
        server.abort();
        (before, after)
    });
    let mut client = trusting(&pki);
    client.connect_to_host_encrypted("localhost", port).unwrap();
    client.write(b"GET ").unwrap();
    client.wait_for_encrypted(5000).unwrap();
    let result = server.join().unwrap();
    client.abort();
    result
}

/// A socket handed over by an `SslServer` (its handshake finished in the server's `process`,
/// the request with the client's Finished) keeps its held tickets while the request is unread:
/// the application's `process` before it reads does not end its turn, and the tickets leave
/// with the answer in one write. Up to three tries, as the request can come in a read of its
/// own on a loaded machine (then nothing is held).
#[test]
fn a_server_socket_keeps_its_tickets_for_the_answer_while_the_request_is_unread() {
    let mut seen = Vec::new();
    // Whether the request rides with the client's Finished is up to the scheduler of a busy
    // machine: try until it does.
    for _ in 0..10 {
        let writes = served_request();
        if writes.len() == 2 {
            // The server's flight, then tickets and answer (7 + 22 bytes) together.
            assert!(writes[1] > 29 + 100, "the tickets left alone: {writes:?}");
            return;
        }
        seen.push(writes);
    }
    panic!("the request never came with the Finished: {seen:?}");
}

/// One request to an `SslServer`'s connection; returns the size of every write it made.
fn served_request() -> Vec<usize> {
    let pki = pki(&["localhost"]);
    let mut server = SslServer::<Recording>::new();
    server
        .config_mut()
        .set_local_certificate(pki.server_cert.clone());
    server
        .config_mut()
        .set_private_key(pki.server_key.clone())
        .unwrap();
    server.listen("127.0.0.1", 0).unwrap();
    let port = server.server_address().unwrap().port();
    let ca = pki.ca.clone();
    let client = thread::spawn(move || {
        let mut client = Socket::new();
        client.config_mut().set_ca_certificates(vec![ca]);
        client.connect_to_host_encrypted("localhost", port).unwrap();
        client.write(b"GET /\n").unwrap();
        client.wait_for_encrypted(5000).unwrap();
        while !client.can_read_line() {
            client.wait_for_ready_read(5000).unwrap();
        }
        assert_eq!(client.read_line(0).unwrap(), b"200 ok\n");
        client.abort();
    });
    server.wait_for_new_connection(5000).unwrap();
    let mut socket = server.next_pending_connection().unwrap();
    // Kept from the start: the client's abort may close the socket, which then drops its
    // transport, before the writes are read.
    let writes = Arc::clone(&socket.transport().unwrap().writes);
    socket.process();
    while !socket.can_read_line() {
        socket.wait_for_ready_read(5000).unwrap();
    }
    assert_eq!(socket.read_line(0).unwrap(), b"GET /\n");
    socket.write(b"200 ok\n").unwrap();
    socket.wait_for_bytes_written(5000).unwrap();
    client.join().unwrap();
    writes.lock().unwrap().clone()
}
