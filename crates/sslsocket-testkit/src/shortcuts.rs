//! Shortcuts for driving the component in tests: a loopback-only session, a socket trusting a CA,
//! a handshake with its events, a round trip of data.

use sslsocket_host::{
    Certificate, EncodingFormat, ErrorCode, Key, NetworkPolicy, Session, SessionConfig,
    SocketEvent, SslSocket,
};

use crate::WAIT_MS;
use crate::testpki::Identity;

/// A fresh component instance with loopback-only network.
pub fn session() -> Session {
    Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only())).expect("instantiate")
}

/// A new socket trusting the PEM CA.
pub fn socket_trusting(session: &mut Session, ca_pem: &str) -> SslSocket {
    let socket = session.new_socket().unwrap();
    assert_eq!(
        socket.add_ca_certificates_pem(session, ca_pem).unwrap(),
        Ok(1)
    );
    socket
}

/// `connect-to-host-encrypted` + `wait-for-encrypted`; returns the wait result and every event.
pub fn handshake(
    session: &mut Session,
    socket: SslSocket,
    host: &str,
    port: u16,
) -> (Result<(), ErrorCode>, Vec<SocketEvent>) {
    socket
        .connect_to_host_encrypted(session, host, port)
        .unwrap()
        .expect("connect-to-host-encrypted starts");
    let result = socket.wait_for_encrypted(session, WAIT_MS).unwrap();
    let events = socket.take_events(session).unwrap();
    (result, events)
}

/// The events by name, e.g. `["state-changed(host-lookup)", "connected", ...]`.
pub fn event_names(events: &[SocketEvent]) -> Vec<String> {
    events
        .iter()
        .map(sslsocket_host::names::event_text)
        .collect()
}

/// Asserts that `wanted` appear in `events` in this order (other events may come between).
pub fn assert_in_order(events: &[SocketEvent], wanted: &[&str]) {
    let names = event_names(events);
    let mut it = names.iter();
    for w in wanted {
        assert!(
            it.any(|n| n == w),
            "expected {wanted:?} in order, got {names:?}"
        );
    }
}

/// Writes `data` and reads the same number of bytes back.
pub fn round_trip(session: &mut Session, socket: SslSocket, data: &[u8]) -> Vec<u8> {
    socket
        .write_all(session, data, WAIT_MS)
        .unwrap()
        .expect("write");
    socket
        .read_exact(session, data.len(), WAIT_MS)
        .unwrap()
        .expect("read back")
}

/// An identity's certificate and private key, loaded into the session.
pub fn load_identity(session: &mut Session, identity: &Identity) -> (Certificate, Key) {
    let cert = session
        .certificate_from_pem(&identity.cert_pem)
        .unwrap()
        .expect("the certificate parses");
    let key = session
        .private_key_from_data(identity.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .expect("the key parses");
    (cert, key)
}

/// Waits for a whole line and reads it.
pub fn read_line(session: &mut Session, socket: SslSocket) -> Vec<u8> {
    while !socket.can_read_line(session).unwrap() {
        socket
            .wait_for_ready_read(session, WAIT_MS)
            .unwrap()
            .expect("a line");
    }
    socket.read_line(session, 1024).unwrap().unwrap()
}
