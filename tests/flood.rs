//! One bad peer does not hurt the others: a client floods `sslsocket serve --echo`'s event loop
//! (`serve::run`, TLS 1.3, 1 MiB writes) and never reads what comes back, while another client
//! echoes a short line every 100 ms. The flood is held back (the echoed data it does not read
//! stops the server reading from it, and each `process` handles a bounded slice), so the small
//! echoes keep their latency, and guest memory stays far below what the flood sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::server::{Srv, listening_server};
use common::*;
use sslsocket_host::{NetworkPolicy, Session, SessionConfig, SslServer};
use sslsocket_loops::serve::{self, Behaviour, Event, ServeOptions};
use sslsocket_testkit as common;

/// Sends 1 MiB writes for `seconds`, never reading; prints `SENT <bytes>` at the end.
const FLOODER_PY: &str = r#"
import socket, ssl, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", port))
print("PORT 0", flush=True)
s = ctx.wrap_socket(raw)
chunk = b"f" * (1 << 20)
sent, end = 0, time.time() + seconds
s.settimeout(0.2)
while time.time() < end:
    try:
        sent += s.send(chunk)
    except (socket.timeout, ssl.SSLWantWriteError):
        pass
    except OSError as e:
        print("DROPPED %r" % e, flush=True)
        break
print("SENT %d" % sent, flush=True)
time.sleep(0.5)
"#;

/// Echoes a 32-byte line every 100 ms for `seconds`; prints `ECHO <count> <max ms>`.
const ECHOER_PY: &str = r#"
import socket, ssl, sys, time
port, seconds, ca = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port))
print("PORT 0", flush=True)
s = ctx.wrap_socket(raw, server_hostname="localhost")
s.settimeout(5)
count, worst, end = 0, 0.0, time.time() + seconds
while time.time() < end:
    line = b"%031d\n" % count
    start = time.time()
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(len(line) - len(got))
    assert got == line, (got, line)
    worst = max(worst, time.time() - start)
    count += 1
    time.sleep(0.1)
print("ECHO %d %d" % (count, worst * 1000), flush=True)
s.close()
"#;

/// What one flood run measured.
struct Flood {
    /// Echoes done by the small client, and the slowest, in ms.
    echoes: u64,
    worst_ms: u64,
    /// Bytes the flooder got sent, and its output.
    sent: u64,
    flooder: Vec<String>,
    /// The most the guest's sockets buffered at once.
    peak_buffered: u64,
    /// Guest memory before and after.
    memory: (usize, usize),
    /// Connections that ended with an error.
    errors: Vec<sslsocket_host::ErrorCode>,
}

/// Runs `serve::run` (echo) in a session capped at 256 MiB, `configure`d, with a flooder
/// (5 s) and a small echo client (3 s, from 0.5 s on).
fn flood(configure: impl FnOnce(&mut Session, SslServer)) -> Flood {
    let pki = TestPki::new("flood", KeyKind::EcdsaP256);
    // A 256 MiB cap: the guest's own budget for socket buffers is a quarter of it.
    let config = SessionConfig::new()
        .network(NetworkPolicy::loopback_only())
        .memory_limit(256 << 20);
    let mut session = Session::new(config).unwrap();
    assert_eq!(session.memory_budget().unwrap(), 64 << 20);
    let (server, port) = listening_server(
        &mut session,
        &[&pki.server.cert_pem],
        &pki.server.key_pem,
        configure,
    );
    let port = port.to_string();
    let memory_before = session.guest_memory();

    let flooder_script = pki.dir.write("flooder.py", FLOODER_PY);
    let echoer_script = pki.dir.write("echoer.py", ECHOER_PY);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = {
        let stop = Arc::clone(&stop);
        let ca = pki.ca_pem.clone();
        std::thread::spawn(move || {
            let mut flood = Command::new("python3");
            flood.arg(&flooder_script).args([&port, "5"]);
            let flooder = spawn_port_printing_peer(flood);
            std::thread::sleep(Duration::from_millis(500));
            let mut echo = Command::new("python3");
            echo.arg(&echoer_script).args([&port, "3"]).arg(&ca);
            let echoer = spawn_port_printing_peer(echo);
            let line = |peer: &Peer, prefix: &str| {
                for _ in 0..200 {
                    if let Some(line) = peer.output().iter().find(|l| l.starts_with(prefix)) {
                        return line.clone();
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                panic!("no {prefix} line: {:?}", peer.output());
            };
            let echoed = line(&echoer, "ECHO ");
            let flooded = line(&flooder, "SENT ");
            stop.store(true, Ordering::Relaxed);
            (echoed, flooded, flooder.output())
        })
    };

    let mut options = ServeOptions::new(Behaviour::Echo);
    options.stop = Some(Arc::clone(&stop));
    options.tick = Some(Duration::from_millis(50));
    let mut peak_buffered = 0u64;
    let mut errors = Vec::new();
    serve::run(&mut session, server, &options, |session, event| {
        if let Event::Closed {
            error: Some(error), ..
        } = event
        {
            errors.push(error.clone());
        }
        peak_buffered = peak_buffered.max(session.buffered_bytes().unwrap());
    })
    .unwrap();
    let (echoed, flooded, flooder) = clients.join().unwrap();
    let fields: Vec<u64> = echoed
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap())
        .collect();
    let result = Flood {
        echoes: fields[0],
        worst_ms: fields[1],
        sent: flooded.split_whitespace().nth(1).unwrap().parse().unwrap(),
        flooder,
        peak_buffered,
        memory: (memory_before, session.guest_memory()),
        errors,
    };
    println!(
        "echoes {}, worst {} ms; flooder sent {} bytes ({:?}); peak buffered {}; guest memory \
         {:?}; connection errors {:?}",
        result.echoes,
        result.worst_ms,
        result.sent,
        result.flooder,
        result.peak_buffered,
        result.memory,
        result.errors
    );
    result
}

fn assert_others_unharmed(run: &Flood) {
    assert!(run.echoes >= 15, "only {} echoes in 3 s", run.echoes);
    assert!(
        run.worst_ms < 1000,
        "an echo took {} ms during the flood",
        run.worst_ms
    );
    assert!(
        run.memory.1 < run.memory.0 + (96 << 20),
        "guest memory grew from {} to {}",
        run.memory.0,
        run.memory.1
    );
}

/// The server's default limits (1 MiB of unread input and of unsent output per connection) hold
/// the flooder back by TCP flow control: it is never dropped, and buffers stay small.
#[test]
fn a_flooding_client_that_never_reads_is_held_back() {
    let run = flood(|_, _| {});
    assert_others_unharmed(&run);
    assert!(run.sent < 256 << 20, "the flooder sent {} bytes", run.sent);
    assert!(
        run.peak_buffered <= 4 << 20,
        "the server buffered {} bytes",
        run.peak_buffered
    );
    assert!(run.errors.is_empty(), "{:?}", run.errors);
}

/// With the per-connection limits removed and an application that never reads a connection
/// (while it keeps processing it), the instance's own budget (a quarter of the memory cap) still
/// protects it: that connection, holding more than its share, is dropped with
/// `socket-resource`; the instance neither traps nor stops serving another client.
#[test]
fn an_unread_connection_past_its_share_of_the_budget_is_dropped() {
    let pki = TestPki::new("flood-budget", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server.set_read_buffer_size(session, 0).unwrap();
        server.set_write_buffer_size(session, 0).unwrap();
    });
    // 8 MiB of socket buffers for the whole instance: 2 MiB is one connection's share.
    srv.session.set_memory_budget(8 << 20).unwrap();
    let port = srv.port.to_string();
    let flooder_script = pki.dir.write("flooder.py", FLOODER_PY);
    let mut command = Command::new("python3");
    command.arg(&flooder_script).args([&port, "4"]);
    let flooder = spawn_port_printing_peer(command);
    let unread = srv.accept();
    let echoer_script = pki.dir.write("echoer.py", ECHOER_PY);
    let mut command = Command::new("python3");
    command
        .arg(&echoer_script)
        .args([&port, "2"])
        .arg(&pki.ca_pem);
    let echoer = spawn_port_printing_peer(command);
    let echo = srv.accept();
    let session = &mut srv.session;
    let mut dropped = None;
    let mut peak = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < deadline
        && !echoer.output().iter().any(|l| l.starts_with("ECHO "))
    {
        unread.process(session).unwrap();
        for event in unread.take_events(session).unwrap() {
            if let sslsocket_host::SocketEvent::Error(e) = event {
                dropped.get_or_insert(e);
            }
        }
        echo.process(session).unwrap();
        let data = echo.read_all(session).unwrap().unwrap_or_default();
        if !data.is_empty() {
            echo.write(session, &data).unwrap().unwrap();
        }
        peak = peak.max(session.buffered_bytes().unwrap());
        let pollables = [
            unread.subscribe(session).unwrap(),
            echo.subscribe(session).unwrap(),
        ];
        let refs: Vec<_> = pollables.iter().collect();
        session
            .poll(&refs, Some(Duration::from_millis(20)))
            .unwrap();
        for pollable in pollables {
            pollable.drop(session).unwrap();
        }
    }
    let echoed = echoer
        .output()
        .into_iter()
        .find(|l| l.starts_with("ECHO "))
        .unwrap_or_else(|| panic!("the echo client did not finish: {:?}", echoer.output()));
    println!(
        "{echoed}; the unread connection ended with {dropped:?}; peak buffered {peak}; flooder {:?}",
        flooder.output()
    );
    assert_eq!(dropped, Some(sslsocket_host::ErrorCode::SocketResource));
    assert!(peak <= 8 << 20, "the instance buffered {peak} bytes");
    let worst: u64 = echoed.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(worst < 1000, "an echo took {worst} ms");
    unread.drop(session).unwrap();
    echo.drop(session).unwrap();
}

/// Dropping a connection whose peer does not read what it was sent returns at once (wasmtime
/// waits for a stream's in-flight write when the stream is dropped; the guest keeps such
/// connections aside until that write ends), and the instance goes on serving.
#[test]
fn dropping_a_connection_with_unsent_output_does_not_stall_the_instance() {
    let pki = TestPki::new("flood-drop", KeyKind::EcdsaP256);
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let port = srv.port.to_string();
    let script = pki.dir.write("flooder.py", FLOODER_PY);
    let mut command = Command::new("python3");
    // Sends nothing that matters for 6 s and never reads.
    command.arg(&script).args([&port, "6"]);
    let _silent = spawn_port_printing_peer(command);
    let socket = srv.accept();
    let session = &mut srv.session;
    socket
        .write(session, &vec![b's'; 8 << 20])
        .unwrap()
        .unwrap();
    for _ in 0..50 {
        socket.process(session).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        socket.bytes_to_write(session).unwrap() > 0,
        "the peer read everything?"
    );
    let started = std::time::Instant::now();
    socket.abort(session).unwrap();
    socket.drop(session).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "dropping took {took:?}");

    let script = pki.dir.write("echoer.py", ECHOER_PY);
    let mut command = Command::new("python3");
    command.arg(&script).args([&port, "1"]).arg(&pki.ca_pem);
    let echoer = spawn_port_printing_peer(command);
    let echo = srv.accept();
    let session = &mut srv.session;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !echoer.output().iter().any(|l| l.starts_with("ECHO ")) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            echoer.output()
        );
        echo.process(session).unwrap();
        let data = echo.read_all(session).unwrap().unwrap_or_default();
        if !data.is_empty() {
            echo.write(session, &data).unwrap().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    echo.drop(session).unwrap();
}
