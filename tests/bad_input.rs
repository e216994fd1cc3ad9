//! Bad input never traps: malformed PEM/DER, calls in the wrong state, SSL 2/3, a refused
//! connection, a denied address. After each bad call the same instance still works.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use common::*;
use sslsocket_host::{
    EncodingFormat, ErrorCode, NetworkPolicy, Protocol, Session, SessionConfig, SocketState,
};
use sslsocket_testkit as common;
use sslsocket_testkit::rustls_server::TlsServer;
use sslsocket_testkit::testpki::{Authority, Usage};

/// Proves the instance is alive: a full handshake and echo with a fresh socket.
fn still_works(session: &mut Session, server: &TlsServer, ca: &Authority) {
    let socket = socket_trusting(session, &ca.cert_pem);
    let (result, events) = handshake(session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    assert_eq!(round_trip(session, socket, b"alive\n"), b"alive\n");
    socket.drop(session).unwrap();
}

fn echo_server() -> (TlsServer, Authority) {
    let ca = Authority::new("sslsocket test CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)
        .unwrap();
    (
        TlsServer::echo(std::slice::from_ref(&leaf.cert_der), &leaf.key_der).unwrap(),
        ca,
    )
}

fn invalid_state<T>(r: &Result<T, ErrorCode>) -> bool {
    matches!(r, Err(ErrorCode::InvalidState(_)))
}

fn is_invalid_input<T: std::fmt::Debug>(r: &Result<T, ErrorCode>) -> bool {
    matches!(r, Err(ErrorCode::InvalidInput(_)))
}

#[test]
fn malformed_certificates_and_keys_are_errors() {
    let (server, ca) = echo_server();
    let mut session = session();
    let bad_inputs: Vec<(&str, Vec<u8>, EncodingFormat)> = vec![
        ("empty PEM", vec![], EncodingFormat::Pem),
        ("empty DER", vec![], EncodingFormat::Der),
        (
            "garbage PEM",
            b"hello, I am not a certificate".to_vec(),
            EncodingFormat::Pem,
        ),
        (
            "bad base64",
            b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n".to_vec(),
            EncodingFormat::Pem,
        ),
        (
            "valid base64, not DER",
            b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n".to_vec(),
            EncodingFormat::Pem,
        ),
        (
            "unterminated PEM",
            b"-----BEGIN CERTIFICATE-----\nMIIB".to_vec(),
            EncodingFormat::Pem,
        ),
        ("random DER", pattern(300, 9), EncodingFormat::Der),
        (
            "truncated DER",
            ca.cert_der[..ca.cert_der.len() / 2].to_vec(),
            EncodingFormat::Der,
        ),
        (
            "PEM given as DER",
            ca.cert_pem.as_bytes().to_vec(),
            EncodingFormat::Der,
        ),
    ];
    for (what, data, format) in &bad_inputs {
        let result = session.certificates_from_data(data, *format).unwrap();
        assert!(
            is_invalid_input(&result),
            "certificate.from-data({what}) gave {result:?}"
        );
        let result = session.private_key_from_data(data, *format).unwrap();
        assert!(
            is_invalid_input(&result),
            "key.private-from-data({what}) gave {result:?}"
        );
    }
    let result = session.certificate_from_pem("not a certificate").unwrap();
    assert!(is_invalid_input(&result), "{result:?}");
    // A certificate is not a private key.
    let result = session
        .private_key_from_data(ca.cert_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap();
    assert!(is_invalid_input(&result), "{result:?}");
    // RSA keys under 2048 bits are refused.
    let dir = TempDir::new("rsa1024");
    let weak = openssl_rsa_key_pem(&dir, 1024);
    let result = session
        .private_key_from_data(weak.as_bytes(), EncodingFormat::Pem)
        .unwrap();
    assert!(
        is_invalid_input(&result),
        "a 1024-bit RSA key gave {result:?}"
    );
    // And a good key is accepted by the same instance.
    let strong = openssl_rsa_key_pem(&dir, 2048);
    let key = session
        .private_key_from_data(strong.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    assert_eq!(key.length(&mut session).unwrap(), 2048);
    key.drop(&mut session).unwrap();
    let socket = session.new_socket().unwrap();
    let result = socket
        .add_ca_certificates_pem(&mut session, "garbage")
        .unwrap();
    assert!(is_invalid_input(&result), "{result:?}");
    socket.drop(&mut session).unwrap();
    still_works(&mut session, &server, &ca);
}

#[test]
fn calls_in_the_wrong_state_are_errors() {
    let (server, ca) = echo_server();
    let mut session = session();
    let socket = session.new_socket().unwrap();
    assert_eq!(
        socket.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    let r = socket.write(&mut session, b"too early").unwrap();
    assert!(matches!(r, Err(ErrorCode::InvalidState(_))), "write: {r:?}");
    let r = socket.put_char(&mut session, b'x').unwrap();
    assert!(invalid_state(&r), "put-char: {r:?}");
    let r = socket.read(&mut session, 10).unwrap();
    assert!(matches!(r, Err(ErrorCode::InvalidState(_))), "read: {r:?}");
    let r = socket.start_client_handshake(&mut session).unwrap();
    assert!(invalid_state(&r), "start-client-handshake: {r:?}");
    let r = socket.wait_for_encrypted(&mut session, 100).unwrap();
    assert!(
        invalid_state(&r),
        "wait-for-encrypted without a handshake: {r:?}"
    );
    let r = socket.wait_for_disconnected(&mut session, 100).unwrap();
    assert!(
        invalid_state(&r),
        "wait-for-disconnected when unconnected: {r:?}"
    );
    let r = socket.connect_to_host(&mut session, "", 443).unwrap();
    assert!(is_invalid_input(&r), "empty host: {r:?}");
    let r = socket
        .connect_to_host(&mut session, "localhost", 0)
        .unwrap();
    assert!(is_invalid_input(&r), "port 0: {r:?}");
    let r = socket
        .set_ciphers_by_name(&mut session, "NO-SUCH-CIPHER")
        .unwrap();
    assert!(is_invalid_input(&r), "unknown cipher: {r:?}");
    socket.disconnect_from_host(&mut session).unwrap();
    socket.close(&mut session).unwrap();
    socket.abort(&mut session).unwrap();
    socket.process(&mut session).unwrap();

    // Plain connected socket: wait-for-encrypted without a handshake is still an error, and a
    // second connect is refused.
    socket
        .connect_to_host(&mut session, "localhost", server.port())
        .unwrap()
        .unwrap();
    socket
        .wait_for_connected(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    let r = socket.wait_for_encrypted(&mut session, 100).unwrap();
    assert!(
        invalid_state(&r),
        "wait-for-encrypted on a plain socket: {r:?}"
    );
    let r = socket
        .connect_to_host_encrypted(&mut session, "localhost", server.port())
        .unwrap();
    assert!(invalid_state(&r), "connect while connected: {r:?}");
    socket.abort(&mut session).unwrap();
    assert_eq!(
        socket.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    let r = socket.write(&mut session, b"after abort").unwrap();
    assert!(invalid_state(&r), "write after abort: {r:?}");
    socket.drop(&mut session).unwrap();
    still_works(&mut session, &server, &ca);
}

/// Found by the `api_calls` fuzz target: an empty ALPN name made rustls assert.
#[test]
fn alpn_names_must_fit_tls() {
    let (server, ca) = echo_server();
    let mut session = session();
    let socket = socket_trusting(&mut session, &ca.cert_pem);
    let long = "x".repeat(256);
    for bad in [&["h2", ""][..], &[long.as_str()][..]] {
        let r = socket
            .set_allowed_next_protocols(&mut session, bad)
            .unwrap();
        assert!(is_invalid_input(&r), "{r:?}");
    }
    assert_eq!(
        socket.allowed_next_protocols(&mut session).unwrap(),
        Vec::<String>::new(),
        "setting unchanged"
    );
    let max = "y".repeat(255);
    let r = socket.set_allowed_next_protocols(&mut session, &[&max, "http/1.1"]);
    assert_eq!(r.unwrap(), Ok(()));
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    socket.drop(&mut session).unwrap();
    let srv = session.new_server().unwrap();
    let r = srv.set_allowed_next_protocols(&mut session, &[""]).unwrap();
    assert!(is_invalid_input(&r), "{r:?}");
    still_works(&mut session, &server, &ca);
}

#[test]
fn ssl_v2_and_v3_are_unsupported() {
    let (server, ca) = echo_server();
    let mut session = session();
    let socket = session.new_socket().unwrap();
    assert_eq!(
        socket.protocol(&mut session).unwrap(),
        Protocol::SecureProtocols
    );
    for old in [Protocol::SslV3, Protocol::SslV2] {
        let r = socket.set_protocol(&mut session, old).unwrap();
        assert!(
            matches!(r, Err(ErrorCode::UnsupportedProtocol(_))),
            "{old:?}: {r:?}"
        );
        assert_eq!(
            socket.protocol(&mut session).unwrap(),
            Protocol::SecureProtocols,
            "setting unchanged"
        );
    }
    for (setting, negotiated) in [
        (Protocol::TlsV1, Protocol::TlsV12),
        (Protocol::Compat, Protocol::TlsV13),
    ] {
        let socket = socket_trusting(&mut session, &ca.cert_pem);
        socket.set_protocol(&mut session, setting).unwrap().unwrap();
        let (result, events) = handshake(&mut session, socket, "localhost", server.port());
        assert_eq!(result, Ok(()), "{setting:?}: {:?}", event_names(&events));
        assert_eq!(
            socket.session_protocol(&mut session).unwrap(),
            Some(negotiated),
            "{setting:?}"
        );
        socket.drop(&mut session).unwrap();
    }
    socket.drop(&mut session).unwrap();
    still_works(&mut session, &server, &ca);
}

#[test]
fn connection_refused_is_an_error() {
    let (server, ca) = echo_server();
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let port = free_port();
    socket
        .connect_to_host_encrypted(&mut session, "127.0.0.1", port)
        .unwrap()
        .unwrap();
    let r = socket.wait_for_encrypted(&mut session, WAIT_MS).unwrap();
    assert_eq!(r, Err(ErrorCode::ConnectionRefused));
    let events = event_names(&socket.take_events(&mut session).unwrap());
    assert!(
        events.contains(&"error(connection-refused)".to_owned()),
        "{events:?}"
    );
    assert_eq!(
        socket.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    assert_eq!(
        socket.error(&mut session).unwrap(),
        Some(ErrorCode::ConnectionRefused)
    );
    let r = socket.write(&mut session, b"x").unwrap();
    assert!(matches!(r, Err(ErrorCode::InvalidState(_))), "{r:?}");
    // The same socket can connect again after the failure.
    socket
        .add_ca_certificates_pem(&mut session, &ca.cert_pem)
        .unwrap()
        .unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    socket.drop(&mut session).unwrap();
    still_works(&mut session, &server, &ca);
}

#[test]
fn denied_address_is_socket_access() {
    let (server, _ca) = echo_server();
    let mut session =
        Session::new(SessionConfig::new().network(NetworkPolicy::deny_all())).unwrap();
    let socket = session.new_socket().unwrap();
    socket
        .connect_to_host_encrypted(&mut session, "127.0.0.1", server.port())
        .unwrap()
        .unwrap();
    let r = socket.wait_for_encrypted(&mut session, WAIT_MS).unwrap();
    assert_eq!(r, Err(ErrorCode::SocketAccess));
    socket.drop(&mut session).unwrap();

    // Exactly one address allowed: that one works, another port does not.
    let policy = NetworkPolicy::deny_all().allow_connect(server.addr());
    let mut session = Session::new(SessionConfig::new().network(policy)).unwrap();
    let socket = session.new_socket().unwrap();
    socket.ignore_ssl_errors(&mut session).unwrap();
    socket
        .connect_to_host(&mut session, "127.0.0.1", server.port())
        .unwrap()
        .unwrap();
    assert_eq!(
        socket.wait_for_connected(&mut session, WAIT_MS).unwrap(),
        Ok(())
    );
    socket.abort(&mut session).unwrap();
    socket
        .connect_to_host(&mut session, "127.0.0.1", free_port())
        .unwrap()
        .unwrap();
    assert_eq!(
        socket.wait_for_connected(&mut session, WAIT_MS).unwrap(),
        Err(ErrorCode::SocketAccess)
    );
}
