//! The engine in memory mode: two sockets whose only connection is the test carrying bytes
//! between their memory ends (as a host carries them for `open-memory`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::tests::{Pki, identity_server, pki};
use super::*;
use crate::transport::Carrier;
use crate::transport::memory::{MemoryEnd, memory_pair};
use crate::transport::std::StdTransport;

pub(super) type MemorySocket = SslSocket<Carrier<StdTransport>>;

/// A socket in memory mode and the caller's end of its connection.
pub(super) fn memory_socket() -> (MemorySocket, MemoryEnd) {
    let (transport, end) = memory_pair();
    let mut socket = MemorySocket::new();
    socket.adopt(Carrier::Memory(transport)).unwrap();
    (socket, end)
}

/// A client (trusting `pki`'s CA, or nothing) and a server with `pki`'s identity, both in memory
/// mode, with their handshakes started.
fn started_pair(pki: &Pki, trusting: bool) -> [(MemorySocket, MemoryEnd); 2] {
    started_pair_with(pki, trusting, |_| {})
}

/// [`started_pair`] with `configure` applied to both sockets' settings first.
pub(super) fn started_pair_with(
    pki: &Pki,
    trusting: bool,
    configure: impl Fn(&mut SslConfiguration),
) -> [(MemorySocket, MemoryEnd); 2] {
    let (mut client, client_end) = memory_socket();
    configure(client.config_mut());
    let roots = if trusting {
        vec![pki.ca.clone()]
    } else {
        Vec::new()
    };
    client.config_mut().set_ca_certificates(roots);
    client.config_mut().set_peer_verify_name("localhost".into());
    client.start_client_handshake().unwrap();
    let (mut server, server_end) = memory_socket();
    configure(server.config_mut());
    server
        .config_mut()
        .set_local_certificate(pki.server_cert.clone());
    server.set_private_key(pki.server_key.clone()).unwrap();
    server.start_server_handshake().unwrap();
    [(client, client_end), (server, server_end)]
}

/// Carries bytes (and ends of stream) both ways until neither side has anything to send.
pub(super) fn pump(pair: &mut [(MemorySocket, MemoryEnd); 2]) {
    let [(a, a_end), (b, b_end)] = pair;
    let mut ended = [false; 2];
    loop {
        a.process();
        b.process();
        let moved = carry(a_end, b_end, &mut ended[0]) + carry(b_end, a_end, &mut ended[1]);
        if moved == 0 {
            return;
        }
    }
}

/// Moves what `from`'s socket wrote into `to`'s socket, in pieces `to` takes whole, then its end
/// of stream once (`ended`); returns how much moved, the end counting as one.
fn carry(from: &MemoryEnd, to: &MemoryEnd, ended: &mut bool) -> usize {
    let data = from.take(16 * 1024);
    if !data.is_empty() {
        assert_eq!(
            to.feed(&data).unwrap(),
            data.len(),
            "the peer took a piece whole"
        );
        return data.len();
    }
    if from.at_end() && !*ended {
        to.end_incoming();
        *ended = true;
        return 1;
    }
    0
}

#[test]
fn memory_sockets_handshake_echo_and_half_close_each_other() {
    let pki = pki(&["localhost"]);
    let mut pair = started_pair(&pki, true);
    pump(&mut pair);
    {
        let [(client, _), (server, _)] = &mut pair;
        assert!(
            client.is_encrypted() && server.is_encrypted(),
            "{:?} {:?} / {:?} {:?}",
            client.take_events(),
            client.error(),
            server.take_events(),
            server.error()
        );
        assert_eq!(client.peer_certificate(), Some(pki.server_cert.clone()));
        assert!(client.ssl_errors().is_empty());
        assert_eq!(
            (client.peer_address(), client.local_address()),
            (None, None)
        );

        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        client.write(&big).unwrap();
        let mut received = Vec::new();
        for _ in 0..100 {
            pump(&mut pair);
            let [(_, _), (server, _)] = &mut pair;
            received.extend(server.read_all().unwrap());
            if received.len() == big.len() {
                break;
            }
        }
        assert_eq!(received, big);
    }

    // The server answers, then the client half-closes (close_notify). As over TCP, the server is
    // Qt-like: the close_notify ends its connection with remote-host-closed, which ends ours
    // without an error.
    let [_, (server, _)] = &mut pair;
    server.write(b"pong").unwrap();
    pump(&mut pair);
    let [(client, _), server] = &mut pair;
    assert_eq!(client.read_all().unwrap(), b"pong");
    // Idle, neither holds buffers for TLS records or decrypted data (rustls' buffered API kept
    // 4 KiB for the connection's life).
    assert_eq!(client.tls_buffer_capacity(), Some(0));
    assert_eq!(server.0.tls_buffer_capacity(), Some(0));
    let [(client, _), _] = &mut pair;
    client.shutdown_write().unwrap();
    assert!(matches!(
        client.write(b"late"),
        Err(SocketError::InvalidState(_))
    ));
    pump(&mut pair);
    let [(client, client_end), (server, server_end)] = &mut pair;
    assert_eq!(client.state(), SocketState::Unconnected);
    assert_eq!(client.error(), None);
    assert_eq!(server.error(), Some(&SocketError::RemoteHostClosed));
    // The end of the stream reads as empty, as in Qt (not an error).
    assert!(server.at_end());
    assert_eq!(server.read_all(), Ok(Vec::new()));
    assert_eq!(server.read_line(0), Ok(Vec::new()));
    assert!(client_end.at_end() && server_end.at_end());
}

#[test]
fn a_memory_client_without_the_ca_fails_and_so_does_its_server() {
    let pki = pki(&["localhost"]);
    let mut pair = started_pair(&pki, false);
    pump(&mut pair);
    let [(client, _), (server, _)] = &mut pair;
    assert!(!client.is_encrypted() && !server.is_encrypted());
    assert!(matches!(
        client.error(),
        Some(SocketError::SslHandshakeFailed(_))
    ));
    assert!(
        client
            .ssl_errors()
            .iter()
            .any(|e| e.error == SslError::UnableToGetLocalIssuerCertificate),
        "{:?}",
        client.ssl_errors()
    );
    assert!(
        server.error().is_some(),
        "the client's alert reached the server"
    );
}

#[test]
fn memory_mode_waits_return_at_once_and_calls_in_the_wrong_state_fail() {
    let pki = pki(&["localhost"]);
    let mut pair = started_pair(&pki, true);
    let [(client, _), _] = &mut pair;
    // Nothing can arrive while it blocks: a minute-long wait fails at once, not by time-out.
    assert!(matches!(
        client.wait_for_encrypted(60_000),
        Err(SocketError::InvalidState(_))
    ));
    let (again, _) = memory_pair();
    assert!(matches!(
        client.adopt(Carrier::Memory(again)),
        Err(SocketError::InvalidState(_))
    ));

    let (mut nameless, _end) = memory_socket();
    assert!(matches!(
        nameless.start_client_handshake(),
        Err(SocketError::InvalidInput(message)) if message.contains("peer verify name")
    ));

    pump(&mut pair);
    let [(client, _), _] = &mut pair;
    client.write(b"x").unwrap();
    // Written bytes go to the memory pipe at once: nothing to wait for.
    client.wait_for_bytes_written(60_000).unwrap();
}

/// A server's identity and `ticket_key`, without its listener: it only configures connection
/// sockets.
fn configuring_server(pki: &Pki, ticket_key: [u8; 48]) -> SslServer<Carrier<StdTransport>> {
    let mut server = identity_server(pki);
    server.set_ticket_key(&ticket_key).unwrap();
    server
}

/// One memory-mode client (trusting `pki`'s CA) against a connection socket of `server`,
/// carried by the test; returns whether it resumed. Clients with the same settings share their
/// session cache.
fn connect_to_connection_socket(pki: &Pki, server: &mut SslServer<Carrier<StdTransport>>) -> bool {
    let (transport, end) = memory_pair();
    let mut socket = server.connection_socket();
    socket.adopt(Carrier::Memory(transport)).unwrap();
    socket.start_server_handshake().unwrap();
    let (mut client, client_end) = memory_socket();
    client
        .config_mut()
        .set_ca_certificates(vec![pki.ca.clone()]);
    client.config_mut().set_peer_verify_name("localhost".into());
    client.start_client_handshake().unwrap();
    let mut pair = [(client, client_end), (socket, end)];
    pump(&mut pair);
    let [(client, _), (socket, _)] = &mut pair;
    assert!(
        client.is_encrypted() && socket.is_encrypted(),
        "{:?} / {:?}",
        client.error(),
        socket.error()
    );
    assert_eq!(client.peer_certificate(), Some(pki.server_cert.clone()));
    client.session_resumed()
}

#[test]
fn a_servers_connection_socket_serves_its_identity_and_ticket_key() {
    let pki = pki(&["localhost"]);
    let key = [9u8; 48];
    let (mut a, mut b) = (configuring_server(&pki, key), configuring_server(&pki, key));
    assert!(
        !connect_to_connection_socket(&pki, &mut a),
        "the first connection is a full handshake"
    );
    assert!(
        connect_to_connection_socket(&pki, &mut b),
        "B's connection socket opens the ticket A's sealed: both carry the servers' key"
    );
    let mut other = configuring_server(&pki, [1u8; 48]);
    assert!(
        !connect_to_connection_socket(&pki, &mut other),
        "a server with another key cannot open it"
    );
}

/// What a carrier that only calls `exchange` saw of one socket.
#[derive(Default)]
struct Carried {
    /// Bytes the peer sent that this socket has not taken yet.
    pending: Vec<u8>,
    data: Vec<u8>,
    events: Vec<Event>,
    at_end: bool,
    outgoing_ended: bool,
}

/// Carries bytes both ways with one `exchange` per socket per round (in small pieces, so that
/// feeding in part and reading in slices happen), until a round moves nothing.
fn exchange_until_quiet(pair: &mut [(MemorySocket, MemoryEnd); 2], seen: &mut [Carried; 2]) {
    for _ in 0..10_000 {
        let mut moved = 0;
        for i in 0..2 {
            let (socket, end) = &mut pair[i];
            let piece = seen[i].pending.len().min(5_000);
            let turn = socket
                .exchange(end, &seen[i].pending[..piece], 7_000, 6_000)
                .unwrap();
            seen[i].pending.drain(..turn.fed);
            moved += turn.fed + turn.data.len() + turn.outgoing.len() + turn.events.len();
            seen[i].data.extend(&turn.data);
            seen[i].events.extend(turn.events);
            seen[i].at_end = turn.at_end;
            seen[1 - i].pending.extend(&turn.outgoing);
            if turn.outgoing_at_end && !seen[i].outgoing_ended {
                seen[i].outgoing_ended = true;
                pair[1 - i].1.end_incoming();
                moved += 1;
            }
        }
        if moved == 0 {
            return;
        }
    }
    panic!("the sockets kept exchanging");
}

#[test]
fn exchange_alone_carries_a_handshake_an_echo_and_a_half_close() {
    let pki = pki(&["localhost"]);
    let mut pair = started_pair(&pki, true);
    let mut seen = [Carried::default(), Carried::default()];
    exchange_until_quiet(&mut pair, &mut seen);
    for side in &seen {
        assert!(side.events.contains(&Event::Encrypted), "{:?}", side.events);
    }

    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    pair[0].0.write(&big).unwrap();
    exchange_until_quiet(&mut pair, &mut seen);
    assert_eq!(seen[1].data, big, "read in slices of at most 7,000 bytes");
    pair[1].0.write(b"pong").unwrap();
    exchange_until_quiet(&mut pair, &mut seen);
    assert_eq!(seen[0].data, b"pong");
    assert!(!seen[0].at_end && !seen[1].at_end);
    assert_eq!(
        pair[0]
            .0
            .exchange(&pair[0].1, &[], 0, 0)
            .unwrap()
            .bytes_to_write,
        0
    );

    // The client half-closes: its close_notify is the server's end of stream.
    pair[0].0.shutdown_write().unwrap();
    exchange_until_quiet(&mut pair, &mut seen);
    assert!(seen[0].outgoing_ended, "the client's last byte was taken");
    assert!(seen[1].at_end, "the server read to the end");
    assert!(
        seen[1].events.contains(&Event::Disconnected),
        "{:?}",
        seen[1].events
    );
}

#[test]
fn exchange_refuses_bytes_after_the_end_and_on_a_closed_socket() {
    let (mut socket, end) = memory_socket();
    end.end_incoming();
    assert!(matches!(
        socket.exchange(&end, b"late", 10, 10),
        Err(SocketError::InvalidState(_))
    ));
    // Nothing to feed is a turn like any other.
    let turn = socket.exchange(&end, &[], 10, 10).unwrap();
    assert_eq!((turn.fed, turn.data.len()), (0, 0));

    let (mut socket, end) = memory_socket();
    socket.abort();
    assert!(matches!(
        socket.exchange(&end, b"after the close", 10, 10),
        Err(SocketError::InvalidState(_))
    ));
}
