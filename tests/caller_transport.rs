//! Connections the caller brings: `adopt-streams` (host streams over a TCP connection the test
//! made, Qt's `setSocketDescriptor`) and `open-memory` (the test carries the ciphertext, Python's
//! `MemoryBIO`), each with client and server handshakes, verification, STARTTLS and half-close,
//! against each other and against real peers (Python `ssl`, `openssl s_server`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use sslsocket_host::poll_set::PollSet;
use sslsocket_host::{ErrorCode, Session, SocketEvent, SocketState, SslError, SslSocket};
use sslsocket_testkit as common;

/// A connected pair of loopback TCP streams made by the test (host side).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let connecting = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (accepted, _) = listener.accept().unwrap();
    (connecting, accepted)
}

/// A socket with the test PKI's server identity.
fn server_socket(session: &mut Session, pki: &TestPki) -> SslSocket {
    let socket = session.new_socket().unwrap();
    let (cert, key) = load_identity(session, &pki.server);
    socket.set_local_certificate(session, &cert).unwrap();
    socket.set_private_key(session, &key).unwrap().unwrap();
    socket
}

/// Starts the client's and the server's handshakes.
fn start_handshakes(session: &mut Session, client: SslSocket, server: SslSocket) {
    client.start_client_handshake(session).unwrap().unwrap();
    server.start_server_handshake(session).unwrap().unwrap();
}

/// A client (trusting the test CA, or nothing) and a server of one session, both in memory
/// mode, with their handshakes started.
fn started_memory_pair(
    session: &mut Session,
    pki: &TestPki,
    trusting: bool,
) -> (SslSocket, SslSocket) {
    let client = client_socket(session, pki, trusting);
    let server = server_socket(session, pki);
    for socket in [client, server] {
        socket.open_memory(session).unwrap().unwrap();
    }
    start_handshakes(session, client, server);
    (client, server)
}

/// A socket trusting the test CA (or nothing) that verifies the name `localhost`: a connection
/// the caller brings has no host name of its own.
fn client_socket(session: &mut Session, pki: &TestPki, trusting: bool) -> SslSocket {
    let socket = if trusting {
        socket_trusting(session, &pki.ca.cert_pem)
    } else {
        session.new_socket().unwrap()
    };
    socket.set_peer_verify_name(session, "localhost").unwrap();
    socket
}

/// Drives sockets of one session event-style (subscribe, poll, process) until `done`.
fn drive(session: &mut Session, sockets: &[SslSocket], done: impl Fn(&mut Session) -> bool) {
    let mut set = PollSet::new();
    for socket in sockets {
        set.insert(*socket);
    }
    let deadline = Instant::now() + Duration::from_millis(WAIT_MS as u64);
    loop {
        for socket in sockets {
            socket.process(session).unwrap();
        }
        if done(session) {
            break;
        }
        assert!(Instant::now() < deadline, "stuck");
        set.wait(session, &[], Some(Duration::from_millis(200)))
            .unwrap();
    }
    set.clear(session).unwrap();
}

/// Reads from `socket` until `n` bytes came, driving `sockets`.
fn drive_read(
    session: &mut Session,
    sockets: &[SslSocket],
    socket: SslSocket,
    n: usize,
) -> Vec<u8> {
    let got = std::cell::RefCell::new(Vec::new());
    drive(session, sockets, |session| {
        got.borrow_mut()
            .extend(socket.read_all(session).unwrap().unwrap());
        got.borrow().len() >= n
    });
    got.into_inner()
}

#[test]
fn adopted_host_streams_carry_a_client_and_a_server_of_one_instance() {
    let pki = TestPki::new("adopt-c2s", KeyKind::EcdsaP256);
    let mut session = session();
    let (client_stream, server_stream) = tcp_pair();
    let client = client_socket(&mut session, &pki, true);
    let server = server_socket(&mut session, &pki);
    client
        .adopt_tcp(&mut session, client_stream)
        .unwrap()
        .unwrap();
    server
        .adopt_tcp(&mut session, server_stream)
        .unwrap()
        .unwrap();
    for socket in [client, server] {
        assert_eq!(socket.state(&mut session).unwrap(), SocketState::Connected);
        assert_eq!(socket.peer_address(&mut session).unwrap(), None);
        let events = socket.take_events(&mut session).unwrap();
        assert_eq!(event_names(&events), ["state-changed(connected)"]);
    }
    // A socket with a connection cannot take another.
    let (spare, _other) = tcp_pair();
    assert!(matches!(
        client.adopt_tcp(&mut session, spare).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));

    start_handshakes(&mut session, client, server);
    drive(&mut session, &[client, server], |session| {
        client.is_encrypted(session).unwrap() && server.is_encrypted(session).unwrap()
    });
    assert!(client.ssl_errors(&mut session).unwrap().is_empty());

    let request = pattern(200_000, 3);
    client.write(&mut session, &request).unwrap().unwrap();
    let got = drive_read(&mut session, &[client, server], server, request.len());
    assert_eq!(got, request);
    server.write(&mut session, b"answer").unwrap().unwrap();
    let got = drive_read(&mut session, &[client, server], client, 6);
    assert_eq!(got, b"answer");

    // The client half-closes (close_notify). The server is Qt-like: that ends its connection
    // (remote-host-closed), its streams go, the client reads the end and disconnects cleanly.
    client.shutdown_write(&mut session).unwrap().unwrap();
    drive(&mut session, &[client, server], |session| {
        client.state(session).unwrap() == SocketState::Unconnected
            && server.state(session).unwrap() == SocketState::Unconnected
    });
    assert_eq!(client.error(&mut session).unwrap(), None);
    assert_eq!(
        server.error(&mut session).unwrap(),
        Some(ErrorCode::RemoteHostClosed)
    );
}

#[test]
fn a_plain_half_close_over_adopted_streams_is_the_peers_end_of_stream() {
    let mut session = session();
    let (mut peer, ours) = tcp_pair();
    let socket = session.new_socket().unwrap();
    socket.adopt_tcp(&mut session, ours).unwrap().unwrap();
    peer.write_all(b"hello").unwrap();
    let got = socket
        .read_exact(&mut session, 5, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(got, b"hello");
    socket.write(&mut session, b"world").unwrap().unwrap();
    socket.shutdown_write(&mut session).unwrap().unwrap();
    // The output stream goes at the next wait: the peer reads the bytes, then the end.
    assert!(matches!(
        socket.wait_for_ready_read(&mut session, 300).unwrap(),
        Err(ErrorCode::SocketTimeout)
    ));
    peer.set_read_timeout(Some(Duration::from_millis(WAIT_MS as u64)))
        .unwrap();
    let mut answer = Vec::new();
    peer.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, b"world");
    // Reading goes on after the half-close; the peer's close then ends the socket cleanly.
    peer.write_all(b"more").unwrap();
    drop(peer);
    let got = socket
        .read_exact(&mut session, 4, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(got, b"more");
    if socket.state(&mut session).unwrap() != SocketState::Unconnected {
        socket
            .wait_for_disconnected(&mut session, WAIT_MS)
            .unwrap()
            .unwrap();
    }
    assert_eq!(socket.error(&mut session).unwrap(), None);
}

#[test]
fn starttls_over_adopted_streams_with_python_ssl() {
    let pki = TestPki::new("adopt-starttls", KeyKind::EcdsaP256);
    let server = python_starttls_server(&pki.dir, &pki.server_cert, &pki.server_key);
    let mut session = session();
    let socket = client_socket(&mut session, &pki, true);
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    socket.adopt_tcp(&mut session, stream).unwrap().unwrap();
    let greeting = read_line(&mut session, socket);
    assert!(greeting.starts_with(b"220 "), "{greeting:?}");
    socket
        .write(&mut session, b"STARTTLS\r\n")
        .unwrap()
        .unwrap();
    assert!(read_line(&mut session, socket).starts_with(b"220 2.0.0"));
    socket
        .start_client_handshake(&mut session)
        .unwrap()
        .unwrap();
    socket
        .wait_for_encrypted(&mut session, WAIT_MS)
        .unwrap()
        .expect("encrypted");
    let data = pattern(50_000, 9);
    assert_eq!(round_trip(&mut session, socket, &data), data);
    assert!(server.wait_for_output("UPGRADED TLSv1.3", Duration::from_secs(5)));
}

/// Carries ciphertext between two memory-mode sockets of one session until nothing moves.
fn pump_memory(session: &mut Session, a: SslSocket, b: SslSocket) {
    let mut ended = [false; 2];
    loop {
        let moved = carry(session, a, b, &mut ended[0]) + carry(session, b, a, &mut ended[1]);
        if moved == 0 {
            return;
        }
    }
}

/// Moves what `from` wrote into `to` (and `from`'s end once); returns how much moved.
fn carry(session: &mut Session, from: SslSocket, to: SslSocket, ended: &mut bool) -> usize {
    let data = from.take_outgoing(session, 16 * 1024).unwrap().unwrap();
    if !data.is_empty() {
        let taken = to.feed_incoming(session, &data).unwrap().unwrap();
        assert_eq!(taken, data.len() as u64);
        return data.len();
    }
    if from.outgoing_at_end(session).unwrap() && !*ended {
        to.end_incoming(session).unwrap().unwrap();
        *ended = true;
        return 1;
    }
    0
}

/// Carries bytes both ways with `exchange` alone (one per socket per round, in pieces), adding
/// what each socket read and its events, until a round moves nothing.
fn exchange_until_quiet(
    session: &mut Session,
    sockets: [SslSocket; 2],
    read: &mut [Vec<u8>; 2],
    events: &mut [Vec<SocketEvent>; 2],
) {
    let mut pending = [Vec::new(), Vec::new()];
    let mut ended = [false; 2];
    for _ in 0..10_000 {
        let mut moved = 0;
        for i in 0..2 {
            let piece = pending[i].len().min(9_000);
            let turn = sockets[i]
                .exchange(session, &pending[i][..piece], 20_000, 8_000)
                .unwrap()
                .unwrap();
            pending[i].drain(..turn.fed as usize);
            moved += turn.fed as usize + turn.data.len() + turn.outgoing.len() + turn.events.len();
            read[i].extend(&turn.data);
            events[i].extend(turn.events);
            pending[1 - i].extend(&turn.outgoing);
            if turn.outgoing_at_end && !ended[i] {
                ended[i] = true;
                sockets[1 - i].end_incoming(session).unwrap().unwrap();
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
fn memory_mode_sockets_carried_by_exchange_alone_handshake_echo_and_half_close() {
    let pki = TestPki::new("memory-exchange", KeyKind::EcdsaP256);
    let mut session = session();
    let (client, server) = started_memory_pair(&mut session, &pki, true);
    let (mut read, mut events) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    exchange_until_quiet(&mut session, [client, server], &mut read, &mut events);
    assert_in_order(&events[0], &["state-changed(connected)", "encrypted"]);
    assert_in_order(&events[1], &["encrypted"]);

    let request = pattern(300_000, 7);
    client.write(&mut session, &request).unwrap().unwrap();
    exchange_until_quiet(&mut session, [client, server], &mut read, &mut events);
    assert_eq!(read[1], request, "read in slices of at most 20,000 bytes");
    server.write(&mut session, b"pong").unwrap().unwrap();
    exchange_until_quiet(&mut session, [client, server], &mut read, &mut events);
    assert_eq!(read[0], b"pong");

    // A half-close: the client's close_notify is the server's end of stream.
    client.shutdown_write(&mut session).unwrap().unwrap();
    exchange_until_quiet(&mut session, [client, server], &mut read, &mut events);
    let turn = server.exchange(&mut session, &[], 1, 1).unwrap().unwrap();
    assert!(turn.at_end && turn.data.is_empty());
    assert!(client.outgoing_at_end(&mut session).unwrap());
    assert!(matches!(
        server
            .exchange(&mut session, b"after the end", 1, 1)
            .unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
}

#[test]
fn memory_mode_sockets_handshake_echo_and_close_through_a_host_pump() {
    let pki = TestPki::new("memory-c2s", KeyKind::EcdsaP256);
    let mut session = session();
    let client = client_socket(&mut session, &pki, true);
    let server = server_socket(&mut session, &pki);
    for socket in [client, server] {
        socket.open_memory(&mut session).unwrap().unwrap();
        // Nothing arrives while a memory-mode socket blocks: waits fail at once.
        assert!(matches!(
            socket.wait_for_ready_read(&mut session, 60_000).unwrap(),
            Err(ErrorCode::InvalidState(_))
        ));
    }
    start_handshakes(&mut session, client, server);
    assert!(
        client.outgoing_pending(&mut session).unwrap() > 0,
        "the ClientHello"
    );
    pump_memory(&mut session, client, server);
    assert!(client.is_encrypted(&mut session).unwrap());
    assert!(server.is_encrypted(&mut session).unwrap());
    let events = client.take_events(&mut session).unwrap();
    assert_in_order(&events, &["state-changed(connected)", "encrypted"]);

    let request = pattern(600_000, 5);
    let mut got = Vec::new();
    for piece in request.chunks(100_000) {
        client.write(&mut session, piece).unwrap().unwrap();
        pump_memory(&mut session, client, server);
        got.extend(server.read_all(&mut session).unwrap().unwrap());
    }
    assert_eq!(got, request);

    // A close sends close_notify; the server's answering close ends both without errors on
    // the client; the last bytes are taken after the client is unconnected.
    client.disconnect_from_host(&mut session).unwrap();
    pump_memory(&mut session, client, server);
    assert_eq!(
        client.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    assert_eq!(
        server.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    assert_eq!(client.error(&mut session).unwrap(), None);
    assert!(client.outgoing_at_end(&mut session).unwrap());
    assert!(matches!(
        client.feed_incoming(&mut session, b"late").unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
}

#[test]
fn a_memory_mode_client_reports_an_untrusted_server_and_its_alert_fails_the_server() {
    let pki = TestPki::new("memory-untrusted", KeyKind::EcdsaP256);
    let mut session = session();
    let (client, server) = started_memory_pair(&mut session, &pki, false);
    pump_memory(&mut session, client, server);
    assert!(!client.is_encrypted(&mut session).unwrap());
    assert!(matches!(
        client.error(&mut session).unwrap(),
        Some(ErrorCode::SslHandshakeFailed(_))
    ));
    let errors: Vec<SslError> = client
        .ssl_errors(&mut session)
        .unwrap()
        .iter()
        .map(|e| e.error)
        .collect();
    assert!(
        errors.contains(&SslError::UnableToGetLocalIssuerCertificate),
        "{errors:?}"
    );
    assert!(matches!(
        server.error(&mut session).unwrap(),
        Some(ErrorCode::SslHandshakeFailed(_))
    ));
}

#[test]
fn calls_for_the_wrong_mode_fail_clearly() {
    let mut session = session();
    let socket = session.new_socket().unwrap();
    assert!(matches!(
        socket.feed_incoming(&mut session, b"x").unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    assert!(matches!(
        socket.take_outgoing(&mut session, 10).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    assert_eq!(socket.outgoing_pending(&mut session).unwrap(), 0);
    assert!(!socket.outgoing_at_end(&mut session).unwrap());
    socket.open_memory(&mut session).unwrap().unwrap();
    assert!(matches!(
        socket.open_memory(&mut session).unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    // No host name to verify: the caller must set one.
    assert!(matches!(
        socket.start_client_handshake(&mut session).unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    // Garbage from the peer fails the handshake, and the instance lives on.
    let server = session.new_socket().unwrap();
    server.open_memory(&mut session).unwrap().unwrap();
    socket
        .set_peer_verify_name(&mut session, "localhost")
        .unwrap();
    socket
        .start_client_handshake(&mut session)
        .unwrap()
        .unwrap();
    socket
        .feed_incoming(&mut session, &[0x16, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5])
        .unwrap()
        .unwrap();
    assert!(matches!(
        socket.error(&mut session).unwrap(),
        Some(ErrorCode::SslHandshakeFailed(_))
    ));
    assert_eq!(
        socket.state(&mut session).unwrap(),
        SocketState::Unconnected
    );
    let _ = server;
}

#[test]
fn a_memory_mode_client_talks_to_openssl_s_server_through_a_host_pump() {
    let pki = TestPki::new("memory-openssl", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &["-www"]);
    let mut session = session();
    let socket = client_socket(&mut session, &pki, true);
    socket.open_memory(&mut session).unwrap().unwrap();
    socket
        .start_client_handshake(&mut session)
        .unwrap()
        .unwrap();
    socket
        .write(&mut session, b"GET / HTTP/1.0\r\n\r\n")
        .unwrap()
        .unwrap();

    // The host carries the bytes between the socket and its own TCP connection.
    let mut tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_millis(WAIT_MS as u64);
    let mut page = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while socket.state(&mut session).unwrap() != SocketState::Unconnected {
        assert!(Instant::now() < deadline, "stuck; got {page:?}");
        let out = socket
            .take_outgoing(&mut session, 64 * 1024)
            .unwrap()
            .unwrap();
        tcp.write_all(&out).unwrap();
        match tcp.read(&mut buf) {
            Ok(0) => socket.end_incoming(&mut session).unwrap().unwrap(),
            Ok(n) => {
                let taken = socket
                    .feed_incoming(&mut session, &buf[..n])
                    .unwrap()
                    .unwrap();
                assert_eq!(taken, n as u64);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("{e}"),
        }
        page.extend(socket.read_all(&mut session).unwrap().unwrap_or_default());
    }
    page.extend(socket.read_all(&mut session).unwrap().unwrap_or_default());
    let text = String::from_utf8_lossy(&page);
    assert!(text.starts_with("HTTP/1.0 200 ok"), "{text}");
    assert!(text.contains("TLSv1.3"), "{text}");
    assert!(socket.ssl_errors(&mut session).unwrap().is_empty());
}
