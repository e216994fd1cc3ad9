//! Certificate verification: a self-signed server and a wrong host name fail with a non-empty
//! `ssl-errors` list, and `ignore-ssl-errors` lets them through. Peers are native rustls servers in
//! this process, on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use common::*;
use sslsocket_host::{ErrorCode, SocketEvent, SslError};
use sslsocket_testkit as common;
use sslsocket_testkit::rustls_server::TlsServer;
use sslsocket_testkit::testpki::{self, Authority, Usage};

fn ssl_errors_event(events: &[SocketEvent]) -> Vec<SslError> {
    events
        .iter()
        .find_map(|e| match e {
            SocketEvent::SslErrors(list) => Some(list.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ssl-errors event in {:?}", event_names(events)))
}

#[test]
fn self_signed_server_is_rejected_then_ignored() {
    let rogue = testpki::self_signed("rogue.localhost", &["localhost", "127.0.0.1"]).unwrap();
    let server = TlsServer::echo(std::slice::from_ref(&rogue.cert_der), &rogue.key_der).unwrap();
    let mut session = session();

    let socket = session.new_socket().unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{result:?}"
    );
    assert_eq!(
        ssl_errors_event(&events),
        vec![SslError::SelfSignedCertificate]
    );
    assert_in_order(&events, &["connected", "mode-changed(ssl-client)"]);
    assert!(
        event_names(&events)
            .iter()
            .any(|e| e.starts_with("error(ssl-handshake-failed"))
    );
    assert!(!event_names(&events).contains(&"encrypted".to_owned()));
    let report = socket.ssl_error_report(&mut session).unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0].error, SslError::SelfSignedCertificate);
    assert_eq!(
        report[0].certificate.as_deref(),
        Some("CN=rogue.localhost, O=sslsocket test")
    );
    assert!(!socket.is_encrypted(&mut session).unwrap());
    socket.drop(&mut session).unwrap();

    let socket = session.new_socket().unwrap();
    socket.ignore_ssl_errors(&mut session).unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    assert_in_order(
        &events,
        &["connected", "mode-changed(ssl-client)", "encrypted"],
    );
    let report = socket.ssl_error_report(&mut session).unwrap();
    assert_eq!(
        report.iter().map(|r| r.error).collect::<Vec<_>>(),
        vec![SslError::SelfSignedCertificate]
    );
    assert_eq!(
        round_trip(&mut session, socket, b"still encrypted\n"),
        b"still encrypted\n"
    );
}

#[test]
fn wrong_peer_verify_name_is_rejected_then_ignored() {
    let ca = Authority::new("sslsocket test CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)
        .unwrap();
    let server = TlsServer::echo(std::slice::from_ref(&leaf.cert_der), &leaf.key_der).unwrap();
    let mut session = session();

    let socket = socket_trusting(&mut session, &ca.cert_pem);
    socket
        .set_peer_verify_name(&mut session, "wrong.example")
        .unwrap();
    assert_eq!(
        socket.peer_verify_name(&mut session).unwrap(),
        "wrong.example"
    );
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{result:?}"
    );
    assert_eq!(ssl_errors_event(&events), vec![SslError::HostNameMismatch]);
    let report = socket.ssl_error_report(&mut session).unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].error, SslError::HostNameMismatch);
    assert_eq!(report[0].certificate.as_deref(), Some(SERVER_SUBJECT));
    socket.drop(&mut session).unwrap();

    let socket = socket_trusting(&mut session, &ca.cert_pem);
    socket
        .set_peer_verify_name(&mut session, "wrong.example")
        .unwrap();
    socket.ignore_ssl_errors(&mut session).unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    assert_eq!(round_trip(&mut session, socket, b"ok\n"), b"ok\n");
}

#[test]
fn host_not_in_certificate_is_rejected_then_ignored() {
    // The certificate names only `localhost`; connecting by IP address must not match it.
    let ca = Authority::new("sslsocket test CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost"], Usage::Server)
        .unwrap();
    let server = TlsServer::echo(std::slice::from_ref(&leaf.cert_der), &leaf.key_der).unwrap();
    let mut session = session();

    let socket = socket_trusting(&mut session, &ca.cert_pem);
    let (result, events) = handshake(&mut session, socket, "127.0.0.1", server.port());
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{result:?}"
    );
    assert_eq!(ssl_errors_event(&events), vec![SslError::HostNameMismatch]);
    socket.drop(&mut session).unwrap();

    let socket = socket_trusting(&mut session, &ca.cert_pem);
    let (result, _) = handshake(&mut session, socket, "localhost", server.port());
    assert_eq!(result, Ok(()), "the right name must still work");
    socket.drop(&mut session).unwrap();

    let socket = socket_trusting(&mut session, &ca.cert_pem);
    socket.ignore_ssl_errors(&mut session).unwrap();
    let (result, events) = handshake(&mut session, socket, "127.0.0.1", server.port());
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    assert_eq!(round_trip(&mut session, socket, b"ok\n"), b"ok\n");
}

#[test]
fn untrusted_ca_is_rejected() {
    // A chain from a CA the socket does not trust (only the Mozilla roots are trusted by default).
    let ca = Authority::new("sslsocket test CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost"], Usage::Server)
        .unwrap();
    let server =
        TlsServer::echo(&[leaf.cert_der.clone(), ca.cert_der.clone()], &leaf.key_der).unwrap();
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let (result, events) = handshake(&mut session, socket, "localhost", server.port());
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{result:?}"
    );
    assert!(!ssl_errors_event(&events).is_empty());
}

#[test]
fn a_session_accepted_by_ignoring_errors_is_never_resumed() {
    // The server sends TLS 1.3 session tickets. A socket that ignores the certificate errors gets
    // through and receives tickets; a later socket with the same settings that ignores nothing
    // must verify the certificate again (and fail), not resume the session.
    let rogue = testpki::self_signed("rogue.localhost", &["localhost", "127.0.0.1"]).unwrap();
    let server = TlsServer::echo(std::slice::from_ref(&rogue.cert_der), &rogue.key_der).unwrap();
    let mut session = session();
    for _ in 0..2 {
        let lenient = session.new_socket().unwrap();
        lenient.ignore_ssl_errors(&mut session).unwrap();
        let (result, _) = handshake(&mut session, lenient, "localhost", server.port());
        assert_eq!(result, Ok(()));
        // The echo makes sure the tickets, sent right after the handshake, were taken in.
        assert_eq!(round_trip(&mut session, lenient, b"ping\n"), b"ping\n");
        lenient.abort(&mut session).unwrap();
        lenient.drop(&mut session).unwrap();
    }
    let strict = session.new_socket().unwrap();
    let (result, events) = handshake(&mut session, strict, "localhost", server.port());
    assert!(
        matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{result:?} {:?}",
        event_names(&events)
    );
    assert_eq!(
        ssl_errors_event(&events),
        vec![SslError::SelfSignedCertificate]
    );
    assert!(!strict.session_resumed(&mut session).unwrap());
}

#[test]
fn a_cleanly_verified_session_is_resumed() {
    let ca = Authority::new("sslsocket resumption CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)
        .unwrap();
    let server =
        TlsServer::echo(&[leaf.cert_der.clone(), ca.cert_der.clone()], &leaf.key_der).unwrap();
    let mut session = session();
    let mut resumed = Vec::new();
    for _ in 0..2 {
        let socket = socket_trusting(&mut session, &ca.cert_pem);
        let (result, _) = handshake(&mut session, socket, "localhost", server.port());
        assert_eq!(result, Ok(()));
        assert_eq!(round_trip(&mut session, socket, b"ping\n"), b"ping\n");
        resumed.push(socket.session_resumed(&mut session).unwrap());
        assert!(socket.ssl_errors(&mut session).unwrap().is_empty());
        socket.abort(&mut session).unwrap();
        socket.drop(&mut session).unwrap();
    }
    assert_eq!(resumed, [false, true]);
}
