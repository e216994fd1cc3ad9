//! Stateless session tickets across servers: a client resumes against another server holding
//! the same ticket key (as another instance, process or machine would), not against one with
//! another key, and still after a rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::thread;

use super::tests::{Pki, line_client, pki, server};
use super::*;
use crate::transport::std::StdTransport;

/// A listening server with `pki`'s identity.
fn listening(pki: &Pki) -> SslServer<StdTransport> {
    let mut server = server(pki);
    server.listen("127.0.0.1", 0).unwrap();
    server
}

/// One client connection (trusting `pki`'s CA, echoing a line) to `server`; returns whether
/// it resumed a session. Clients with the same settings share their session cache.
fn connect_once(pki: &Pki, server: &mut SslServer<StdTransport>) -> bool {
    let port = server.server_address().unwrap().port();
    let ca = pki.ca.clone();
    let client = thread::spawn(move || {
        // The answer comes after the server's tickets: once it is here, so are they.
        let mut client = line_client(ca, port);
        let resumed = client.session_resumed();
        client.disconnect_from_host();
        resumed
    });
    server.wait_for_new_connection(5000).unwrap();
    let mut socket = server.next_pending_connection().unwrap();
    while !socket.can_read_line() {
        socket.wait_for_ready_read(5000).unwrap();
    }
    let line = socket.read_line(0).unwrap();
    socket.write(&line).unwrap();
    socket.wait_for_bytes_written(5000).unwrap();
    client.join().unwrap()
}

#[test]
fn servers_sharing_a_ticket_key_resume_each_others_sessions() {
    let pki = pki(&["localhost"]);
    let (mut a, mut b) = (listening(&pki), listening(&pki));
    let key = [7u8; 48];
    a.set_ticket_key(&key).unwrap();
    b.set_ticket_key(&key).unwrap();
    assert_eq!(a.ticket_key(), Some(key.to_vec()));
    assert!(
        !connect_once(&pki, &mut a),
        "the first connection is a full handshake"
    );
    assert!(connect_once(&pki, &mut b), "B opens A's ticket");
    assert!(connect_once(&pki, &mut a), "and A opens B's");
}

#[test]
fn a_server_with_another_key_runs_a_full_handshake() {
    let pki = pki(&["localhost"]);
    let (mut a, mut c) = (listening(&pki), listening(&pki));
    a.set_ticket_key(&[1u8; 48]).unwrap();
    c.set_ticket_key(&[2u8; 48]).unwrap();
    assert!(!connect_once(&pki, &mut a));
    assert!(!connect_once(&pki, &mut c), "C cannot open A's ticket");
}

#[test]
fn a_rotated_key_still_opens_the_tickets_of_the_one_before() {
    let pki = pki(&["localhost"]);
    let (mut a, mut b) = (listening(&pki), listening(&pki));
    a.set_ticket_key(&[3u8; 48]).unwrap();
    assert!(!connect_once(&pki, &mut a));
    // B had A's key and has rotated to a new one: A's ticket still opens there.
    b.set_ticket_key(&[3u8; 48]).unwrap();
    b.set_ticket_key(&[4u8; 48]).unwrap();
    assert_eq!(b.ticket_key(), Some(vec![4u8; 48]));
    assert!(connect_once(&pki, &mut b), "the previous key still opens");
    assert!(matches!(
        b.set_ticket_key(&[5u8; 47]),
        Err(SocketError::InvalidInput(_))
    ));
}

#[test]
fn servers_of_one_instance_share_the_default_ticket_key() {
    let pki = pki(&["localhost"]);
    let (mut a, mut b) = (listening(&pki), listening(&pki));
    assert_eq!(a.ticket_key(), b.ticket_key());
    assert!(!connect_once(&pki, &mut a));
    assert!(connect_once(&pki, &mut b));
}
