//! STARTTLS against Python's `ssl` module: plain greeting, `STARTTLS`, then `start-client-handshake`
//! on the same connection, then encrypted echo.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use common::*;
use sslsocket_host::{ErrorCode, Mode, SocketState};
use sslsocket_testkit as common;

#[test]
fn starttls_with_python_ssl_server() {
    let pki = TestPki::new("starttls", KeyKind::EcdsaP256);
    let server = python_starttls_server(&pki.dir, &pki.server_cert, &pki.server_key);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.ca.cert_pem);

    // A handshake cannot start before the connection exists.
    assert!(matches!(
        socket.start_client_handshake(&mut session).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));

    socket
        .connect_to_host(&mut session, "localhost", server.port)
        .unwrap()
        .unwrap();
    socket
        .wait_for_connected(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(socket.state(&mut session).unwrap(), SocketState::Connected);
    assert_eq!(socket.mode(&mut session).unwrap(), Mode::Plain);
    assert!(!socket.is_encrypted(&mut session).unwrap());
    let events = socket.take_events(&mut session).unwrap();
    assert_in_order(
        &events,
        &[
            "state-changed(host-lookup)",
            "state-changed(connecting)",
            "state-changed(connected)",
            "connected",
        ],
    );
    assert!(
        !event_names(&events)
            .iter()
            .any(|e| e.starts_with("mode-changed")),
        "{:?}",
        event_names(&events)
    );

    assert_eq!(
        read_line(&mut session, socket),
        b"220 sslsocket-test ESMTP ready\r\n"
    );
    socket
        .write_all(&mut session, b"STARTTLS\r\n", WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(
        read_line(&mut session, socket),
        b"220 2.0.0 Ready to start TLS\r\n"
    );
    assert_eq!(socket.bytes_available(&mut session).unwrap(), 0);
    socket.take_events(&mut session).unwrap();

    socket
        .start_client_handshake(&mut session)
        .unwrap()
        .unwrap();
    socket
        .wait_for_encrypted(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    let events = socket.take_events(&mut session).unwrap();
    assert_in_order(&events, &["mode-changed(ssl-client)", "encrypted"]);
    assert_eq!(socket.mode(&mut session).unwrap(), Mode::SslClient);
    assert!(socket.is_encrypted(&mut session).unwrap());
    assert_eq!(
        socket.peer_chain_subjects(&mut session).unwrap(),
        vec![SERVER_SUBJECT.to_owned()]
    );
    assert!(
        server.wait_for_output("UPGRADED TLSv1.3", Duration::from_secs(5)),
        "{:?}",
        server.output()
    );

    // A second handshake on an encrypted socket is refused without harm.
    assert!(matches!(
        socket.start_client_handshake(&mut session).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));

    let data = pattern(100_000, 7);
    assert_eq!(round_trip(&mut session, socket, &data), data);
    socket.disconnect_from_host(&mut session).unwrap();
    if socket.state(&mut session).unwrap() != SocketState::Unconnected {
        socket
            .wait_for_disconnected(&mut session, WAIT_MS)
            .unwrap()
            .unwrap();
    }
    assert!(
        event_names(&socket.take_events(&mut session).unwrap())
            .contains(&"disconnected".to_owned())
    );
    assert!(
        !server.output().iter().any(|l| l.starts_with("ERROR")),
        "{:?}",
        server.output()
    );
}
