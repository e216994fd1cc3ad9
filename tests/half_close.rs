//! `shutdown-write` (the TLS and TCP half-close, Node's `socket.end()`) against Python's `ssl`,
//! a peer that reads the whole request up to the client's close, then answers and closes: the
//! answer must arrive after our half-close, and the peer's close must end the socket cleanly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use common::*;
use sslsocket_host::{ErrorCode, SocketState};
use sslsocket_testkit as common;

fn half_close_against_python(version: &str) {
    let pki = TestPki::new("half-close", KeyKind::EcdsaP256);
    // Reads until the client's close_notify (or, `plain`, its FIN), answers, closes.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/answer_after_eof.py"
    );
    let mut command = Command::new("python3");
    command
        .arg("-u")
        .arg(script)
        .arg(&pki.server_cert)
        .arg(&pki.server_key)
        .arg(version);
    let peer = spawn_port_printing_peer(command);

    let mut session = session();
    let ca = std::fs::read_to_string(&pki.ca_pem).unwrap();
    let socket = socket_trusting(&mut session, &ca);
    if version == "plain" {
        socket
            .connect_to_host(&mut session, "localhost", peer.port)
            .unwrap()
            .expect("connect");
        socket
            .wait_for_connected(&mut session, WAIT_MS)
            .unwrap()
            .expect("connected");
    } else {
        let (result, _) = handshake(&mut session, socket, "localhost", peer.port);
        result.expect("handshake");
    }

    let request = pattern(300_000, 7);
    socket
        .write_all(&mut session, &request, WAIT_MS)
        .unwrap()
        .expect("write");
    socket
        .shutdown_write(&mut session)
        .unwrap()
        .expect("shutdown-write");
    assert_eq!(
        socket.shutdown_write(&mut session).unwrap(),
        Ok(()),
        "a second call does nothing"
    );
    assert!(
        matches!(
            socket.write(&mut session, b"more").unwrap(),
            Err(ErrorCode::InvalidState(_))
        ),
        "write after shutdown-write"
    );

    // Read until the peer's close has ended the connection and nothing is left (`at-end`; a
    // read there is empty, as in Qt).
    let mut answer = Vec::new();
    loop {
        match socket.read_all(&mut session).unwrap() {
            Ok(data) => answer.extend(data),
            Err(other) => panic!("reading the answer: {other:?}"),
        }
        if socket.at_end(&mut session).unwrap() {
            assert_eq!(socket.read_all(&mut session).unwrap(), Ok(Vec::new()));
            break;
        }
        match socket.wait_for_ready_read(&mut session, WAIT_MS).unwrap() {
            Ok(()) => {}
            Err(other) => assert!(
                socket.state(&mut session).unwrap() == SocketState::Unconnected,
                "waiting for the answer: {other:?}"
            ),
        }
    }

    let expected = format!("{} {}\n", request.len(), sha256_hex(&request));
    assert_eq!(String::from_utf8_lossy(&answer), expected);
    let events = socket.take_events(&mut session).unwrap();
    assert_in_order(&events, &["ready-read", "disconnected"]);
    let names = event_names(&events);
    assert!(
        !names.iter().any(|n| n.starts_with("error")),
        "a close after our half-close is no error: {names:?}"
    );
    assert_eq!(socket.error(&mut session).unwrap(), None);
}

#[test]
fn shutdown_write_then_read_the_answer_tls13() {
    half_close_against_python("TLSv1_3");
}

#[test]
fn shutdown_write_then_read_the_answer_tls12() {
    half_close_against_python("TLSv1_2");
}

#[test]
fn shutdown_write_of_a_plain_connection_sends_a_fin() {
    half_close_against_python("plain");
}

#[test]
fn shutdown_write_needs_a_finished_handshake() {
    let mut session = session();
    let socket = session.new_socket().unwrap();
    assert!(matches!(
        socket.shutdown_write(&mut session).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
}

/// SHA-256 as lowercase hex, as Python prints it.
fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
