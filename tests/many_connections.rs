//! Scale: 1,000 TLS connections open at once to one component instance (a component echo server),
//! from 1,000 component clients in a second instance, each driven by one host thread with one
//! `wasi:io/poll` over all its sockets; data moves on every connection and is checked byte for
//! byte. The guest memory per connection is printed (BENCHMARKS.md has the 10,000 figure).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use sslsocket_host::{Session, SessionConfig};
use sslsocket_loops::load::{self, LoadOptions};
use sslsocket_testkit::testpki::{Authority, Usage};

const CONNECTIONS: usize = 1_000;

#[test]
fn a_thousand_concurrent_connections_move_data_through_one_instance() {
    // Both ends are in this process: 2,000 sockets plus the test harness's files.
    let files = sslsocket_host::raise_open_file_limit();
    assert!(
        files.is_none_or(|n| n > 2 * CONNECTIONS as u64 + 200),
        "the open-file limit ({files:?}) is too low for {CONNECTIONS} connections"
    );
    let ca = Authority::new("sslsocket scale CA").unwrap();
    let identity = ca
        .issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)
        .unwrap();
    let (port, server) = load::spawn_echo_server(
        &identity.cert_pem,
        &identity.key_pem,
        CONNECTIONS,
        SessionConfig::new(),
    )
    .expect("echo server");

    let mut session = Session::new(SessionConfig::new()).unwrap();
    let options = LoadOptions {
        host: "localhost".into(),
        port,
        connections: CONNECTIONS,
        payload: 4096,
        max_handshaking: 64,
        ca_pem: ca.cert_pem.clone(),
        deadline: Duration::from_secs(300),
    };
    let clients = load::run(&mut session, &options).expect("every connection echoes");
    let served = server.join().unwrap().expect("the server ran");

    eprintln!(
        "{CONNECTIONS} connections: opened in {:?}, echoed in {:?}; guest memory per idle \
         connection: client {} B, server {} B; client instance after the echo: {} MiB",
        clients.open_time,
        clients.echo_time,
        clients.memory_per_connection(),
        served.memory_per_connection(),
        clients.memory_after_echo >> 20,
    );
    assert_eq!(clients.connections, CONNECTIONS);
    assert_eq!(served.accepted, CONNECTIONS);
    assert_eq!(
        served.peak_open, CONNECTIONS,
        "the server held every connection open at once"
    );
    assert!(served.failures.is_empty(), "{:?}", served.failures);
    assert!(clients.memory_open > clients.memory_before);
}
