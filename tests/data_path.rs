//! The data path: 8 MiB byte-exact both ways through an echo server, and `read-line` on lines the
//! peer splits across several TLS records and TCP segments. Peers are native rustls servers in this
//! process, on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sslsocket_host::{ErrorCode, Session, SslSocket};
use sslsocket_testkit as common;
use sslsocket_testkit::rustls_server::{self, TlsServer, TlsStream};
use sslsocket_testkit::testpki::{Authority, Usage};

fn server_with(handler: rustls_server::Handler) -> (TlsServer, Authority) {
    let ca = Authority::new("sslsocket test CA").unwrap();
    let leaf = ca
        .issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)
        .unwrap();
    (
        TlsServer::start(std::slice::from_ref(&leaf.cert_der), &leaf.key_der, handler).unwrap(),
        ca,
    )
}

fn connected(session: &mut Session, ca: &Authority, port: u16) -> SslSocket {
    let socket = socket_trusting(session, &ca.cert_pem);
    let (result, events) = handshake(session, socket, "localhost", port);
    assert_eq!(result, Ok(()), "{:?}", event_names(&events));
    socket
}

#[test]
fn eight_mib_echo_is_byte_exact() {
    const TOTAL: usize = 8 * 1024 * 1024 + 12_345;
    const CHUNK: usize = 256 * 1024;
    let (server, ca) = server_with(Arc::new(rustls_server::echo));
    let mut session = session();
    let socket = connected(&mut session, &ca, server.port());
    let data = pattern(TOTAL, 42);
    let started = Instant::now();
    let mut received = Vec::with_capacity(TOTAL);
    let mut written_events = 0u64;
    for chunk in data.chunks(CHUNK) {
        socket
            .write_all(&mut session, chunk, WAIT_MS)
            .unwrap()
            .expect("write");
        let back = socket
            .read_exact(&mut session, chunk.len(), WAIT_MS)
            .unwrap()
            .expect("read");
        received.extend_from_slice(&back);
        for event in socket.take_events(&mut session).unwrap() {
            if let sslsocket_host::SocketEvent::BytesWritten(n) = event {
                written_events += n;
            }
        }
    }
    eprintln!("8 MiB echo took {:?}", started.elapsed());
    assert_eq!(received.len(), data.len());
    assert!(received == data, "echoed bytes differ");
    assert_eq!(
        written_events, TOTAL as u64,
        "bytes-written events must add up to what was written"
    );
    assert_eq!(socket.bytes_available(&mut session).unwrap(), 0);
    assert_eq!(socket.bytes_to_write(&mut session).unwrap(), 0);
}

#[test]
fn large_download_and_upload_are_byte_exact() {
    // The server sends 8 MiB in one go (large records back to back), then reads 8 MiB and checks it.
    const TOTAL: usize = 8 * 1024 * 1024;
    let handler: rustls_server::Handler = Arc::new(|tls: &mut TlsStream| {
        use std::io::Write as _;
        let data = pattern(TOTAL, 1);
        if tls.write_all(&data).and_then(|()| tls.flush()).is_err() {
            return;
        }
        let mut upload = vec![0u8; TOTAL];
        let verdict: &[u8] = match tls.read_exact(&mut upload) {
            Ok(()) if upload == pattern(TOTAL, 2) => b"upload ok\n",
            Ok(()) => b"upload differs\n",
            Err(_) => b"upload short\n",
        };
        let _ = tls.write_all(verdict).and_then(|()| tls.flush());
        rustls_server::close(tls);
    });
    let (server, ca) = server_with(handler);
    let mut session = session();
    let socket = connected(&mut session, &ca, server.port());
    let download = socket
        .read_exact(&mut session, TOTAL, WAIT_MS)
        .unwrap()
        .expect("download");
    assert!(download == pattern(TOTAL, 1), "downloaded bytes differ");
    socket
        .write_all(&mut session, &pattern(TOTAL, 2), 60_000)
        .unwrap()
        .expect("upload");
    while !socket.can_read_line(&mut session).unwrap() {
        socket
            .wait_for_ready_read(&mut session, WAIT_MS)
            .unwrap()
            .expect("verdict");
    }
    assert_eq!(
        socket.read_line(&mut session, 100).unwrap().unwrap(),
        b"upload ok\n"
    );
}

#[test]
fn read_line_across_record_boundaries() {
    let long_line: Vec<u8> = pattern(40_000, 3)
        .iter()
        .map(|b| b'a' + b % 26)
        .chain(*b"\n")
        .collect();
    let long_for_server = long_line.clone();
    let handler: rustls_server::Handler = Arc::new(move |tls: &mut TlsStream| {
        // Wait for the client's request line, then answer in small, separately flushed records.
        let mut request = String::new();
        {
            let mut reader = BufReader::new(&mut *tls);
            if reader.read_line(&mut request).is_err() || request != "lines please\n" {
                return;
            }
        }
        let pause = Duration::from_millis(15);
        let pieces: Vec<&[u8]> = vec![
            b"al", b"pha\nbe", b"ta", b"\n", b"g", b"a", b"m", b"ma\r\n", b"ta",
        ];
        if rustls_server::write_records(tls, &pieces, pause).is_err() {
            return;
        }
        let (a, rest) = long_for_server.split_at(10_000);
        let (b, c) = rest.split_at(20_000);
        if rustls_server::write_records(tls, &[b"il\n", a, b, c, b"no newline at the end"], pause)
            .is_err()
        {
            return;
        }
        rustls_server::close(tls);
    });
    let (server, ca) = server_with(handler);
    let mut session = session();
    let socket = connected(&mut session, &ca, server.port());
    socket
        .write_all(&mut session, b"lines please\n", WAIT_MS)
        .unwrap()
        .unwrap();

    let next_line = |session: &mut Session| -> Vec<u8> {
        while !socket.can_read_line(session).unwrap() {
            socket
                .wait_for_ready_read(session, WAIT_MS)
                .unwrap()
                .expect("more data");
        }
        socket.read_line(session, 1 << 20).unwrap().unwrap()
    };
    assert_eq!(next_line(&mut session), b"alpha\n");
    assert_eq!(next_line(&mut session), b"beta\n");
    assert_eq!(next_line(&mut session), b"gamma\r\n");
    assert_eq!(next_line(&mut session), b"tail\n");
    assert_eq!(next_line(&mut session), long_line);

    // The last piece has no newline: wait for the peer to close, then read-line returns the rest.
    loop {
        match socket.wait_for_ready_read(&mut session, WAIT_MS).unwrap() {
            Ok(()) if socket.bytes_available(&mut session).unwrap() >= 21 => break,
            Ok(()) => continue,
            Err(ErrorCode::RemoteHostClosed) => break,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(!socket.can_read_line(&mut session).unwrap());
    assert_eq!(socket.read_line(&mut session, 2).unwrap().unwrap(), b"no");
    assert_eq!(socket.get_char(&mut session).unwrap().unwrap(), Some(b' '));
    assert_eq!(
        socket.read_line(&mut session, 1 << 20).unwrap().unwrap(),
        b"newline at the end"
    );
    assert_eq!(socket.get_char(&mut session).unwrap().unwrap(), None);
}

#[test]
fn read_buffer_size_holds_a_fast_peer_back_and_loses_nothing() {
    // The peer writes 8 MiB as fast as it can; with a 64 KiB read buffer the socket stops reading
    // once the buffer is full, and everything still arrives, in order, once the application reads.
    const TOTAL: usize = 8 * 1024 * 1024;
    const LIMIT: u64 = 64 * 1024;
    // A limit may be overshot by what one network read decrypts: a few TLS records at most.
    const BOUND: u64 = LIMIT + 64 * 1024;
    let handler: rustls_server::Handler = Arc::new(|tls: &mut TlsStream| {
        use std::io::Write as _;
        let _ = tls.write_all(&pattern(TOTAL, 3)).and_then(|()| tls.flush());
        rustls_server::close(tls);
    });
    let (server, ca) = server_with(handler);
    let mut session = session();
    let socket = connected(&mut session, &ca, server.port());
    assert_eq!(socket.read_buffer_size(&mut session).unwrap(), 0);
    socket.set_read_buffer_size(&mut session, LIMIT).unwrap();
    assert_eq!(socket.read_buffer_size(&mut session).unwrap(), LIMIT);

    // Let the peer run ahead without reading: the buffer fills up to the limit and stops there.
    let until = Instant::now() + Duration::from_millis(800);
    let mut most = 0;
    while Instant::now() < until {
        socket.process(&mut session).unwrap();
        most = most.max(socket.bytes_available(&mut session).unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(most >= LIMIT, "the buffer never filled: {most} bytes");
    assert!(
        most <= BOUND,
        "the buffer grew past its limit: {most} bytes"
    );

    let mut received = Vec::with_capacity(TOTAL);
    while received.len() < TOTAL {
        let available = socket.bytes_available(&mut session).unwrap();
        assert!(available <= BOUND, "{available} bytes buffered");
        let chunk = socket.read(&mut session, 32 * 1024).unwrap().expect("read");
        if chunk.is_empty() {
            socket
                .wait_for_ready_read(&mut session, WAIT_MS)
                .unwrap()
                .expect("more data");
        }
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received.len(), TOTAL);
    assert!(received == pattern(TOTAL, 3), "bytes differ");
}
