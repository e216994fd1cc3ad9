//! A server on every core (`sslsocket_loops::pool`): one host listener, workers that are
//! separate component instances on their own threads, fed with `incoming-connection`. Clients
//! are our own component in another session and `openssl s_client`: connections spread over
//! the workers, a session resumes on another worker (the pool's shared ticket key), and a
//! worker whose instance traps is replaced while the other worker's connection goes on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::server::SClient;
use common::*;
use sslsocket_host::{Session, SessionConfig};
use sslsocket_loops::pool::{Dispatch, PoolEvent, PoolOptions, ServerPool};
use sslsocket_loops::serve::{Behaviour, Event, ServeOptions};
use sslsocket_testkit as common;

/// Starts a two-worker echo pool on 127.0.0.1; returns its port, a stopper, the thread running
/// it (which returns every event) and a channel that sees each event as it comes.
fn start_pool(
    pki: &TestPki,
    dispatch: Dispatch,
    rotation: Option<Duration>,
    setup_extra: impl Fn(usize, &mut Session) + Send + Sync + 'static,
) -> (
    u16,
    sslsocket_loops::pool::PoolStopper,
    thread::JoinHandle<Vec<PoolEvent>>,
    mpsc::Receiver<PoolEvent>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut options = PoolOptions::new(2, SessionConfig::new(), ServeOptions::new(Behaviour::Echo));
    options.dispatch = dispatch;
    if let Some(rotation) = rotation {
        options.ticket_key_rotation = rotation;
    }
    let server_identity = pki.server.clone();
    let pool = ServerPool::start(listener, options, move |worker, session, server| {
        let (cert, key) = load_identity(session, &server_identity);
        server.set_local_certificate(session, &cert)?;
        server
            .set_private_key(session, &key)?
            .expect("the key fits");
        cert.drop(session)?;
        key.drop(session)?;
        setup_extra(worker, session);
        Ok(())
    })
    .expect("the pool starts");
    let stopper = pool.stopper();
    let (tx, rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        let mut all = Vec::new();
        pool.run(|event| {
            all.push(event.clone());
            let _ = tx.send(event.clone());
        })
        .unwrap();
        all
    });
    (port, stopper, runner, rx)
}

/// Waits for an event that `wanted` accepts; panics after 20 s.
fn wait_for(
    events: &mpsc::Receiver<PoolEvent>,
    mut wanted: impl FnMut(&PoolEvent) -> bool,
) -> PoolEvent {
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(20))
            .expect("the pool reports the event in time");
        if wanted(&event) {
            return event;
        }
    }
}

/// The worker that accepted each connection, by connection number.
fn accepted_by(events: &[PoolEvent]) -> Vec<(usize, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            PoolEvent::Serve {
                worker,
                event: Event::Accepted(a),
            } => Some((*worker, a.resumed)),
            _ => None,
        })
        .collect()
}

#[test]
fn workers_share_connections_and_resume_each_others_sessions() {
    let pki = TestPki::new("pool-share", KeyKind::EcdsaP256);
    let (port, stopper, runner, events) = start_pool(&pki, Dispatch::RoundRobin, None, |_, _| {});
    // One client instance, four connections in turn: round robin alternates the workers, and
    // the ticket from the first (worker 0) resumes on worker 1.
    let mut session = session();
    for _ in 0..4 {
        let socket = socket_trusting(&mut session, &pki.ca.cert_pem);
        let (result, _) = handshake(&mut session, socket, "localhost", port);
        result.expect("handshake");
        // The echo comes after the server's tickets: once it is here, so are they.
        assert_eq!(round_trip(&mut session, socket, b"hi\n"), b"hi\n");
        socket.disconnect_from_host(&mut session).unwrap();
        socket.drop(&mut session).unwrap();
    }
    // And a real peer, whose peer address the pool reports as the host saw it.
    let mut client = SClient::start(port, &["-CAfile", pki.ca_pem.to_str().unwrap()]);
    client.send(b"from openssl\n");
    assert!(
        client.wait_for_output("from openssl"),
        "{}",
        client.output()
    );
    drop(client.finish());
    for _ in 0..5 {
        wait_for(&events, |e| {
            matches!(
                e,
                PoolEvent::Serve {
                    event: Event::Closed { .. },
                    ..
                }
            )
        });
    }
    stopper.stop();
    let all = runner.join().unwrap();
    let accepted = accepted_by(&all);
    assert_eq!(
        accepted.iter().map(|(w, _)| *w).collect::<Vec<_>>(),
        [0, 1, 0, 1, 0],
        "{all:?}"
    );
    assert_eq!(
        accepted.iter().map(|(_, r)| *r).collect::<Vec<_>>()[..4],
        [false, true, true, true],
        "every later connection resumed, on either worker: {all:?}"
    );
    let ids: BTreeSet<u64> = all
        .iter()
        .filter_map(|e| match e {
            PoolEvent::Serve {
                event: Event::Accepted(a),
                ..
            } => {
                assert!(a.peer.starts_with("127.0.0.1:"), "{a:?}");
                Some(a.id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 5, "connection numbers are unique across workers");
}

#[test]
fn a_worker_whose_instance_traps_is_replaced_without_disturbing_the_other() {
    let pki = TestPki::new("pool-trap", KeyKind::EcdsaP256);
    // Worker 0's first instance may grow its memory by 1 MiB only: enough for handshakes, not
    // for a connection that makes it buffer megabytes.
    let armed = Arc::new(AtomicBool::new(true));
    let setups = Arc::new(Mutex::new(Vec::new()));
    let (port, stopper, runner, events) = start_pool(&pki, Dispatch::RoundRobin, None, {
        let (armed, setups) = (Arc::clone(&armed), Arc::clone(&setups));
        move |worker, session| {
            setups.lock().unwrap().push(worker);
            if worker == 0 && armed.swap(false, Ordering::SeqCst) {
                session.set_memory_limit(session.guest_memory() + (1 << 20));
            }
        }
    });
    let mut session = session();
    let connect = |session: &mut Session| {
        let socket = socket_trusting(session, &pki.ca.cert_pem);
        let (result, _) = handshake(session, socket, "localhost", port);
        result.expect("handshake");
        socket
    };
    let victim = connect(&mut session); // worker 0
    let survivor = connect(&mut session); // worker 1
    assert_eq!(round_trip(&mut session, survivor, b"before\n"), b"before\n");

    // 4 MiB into worker 0: its read buffer must grow, and the instance traps.
    let flood = pattern(4 << 20, 7);
    let _ = victim.write(&mut session, &flood).unwrap();
    let _ = victim.wait_for_disconnected(&mut session, 20_000).unwrap();
    let failed = wait_for(&events, |e| matches!(e, PoolEvent::WorkerFailed { .. }));
    let PoolEvent::WorkerFailed {
        worker,
        error,
        replaced,
    } = failed
    else {
        unreachable!()
    };
    assert_eq!((worker, replaced), (0, true), "{error}");
    assert!(!error.is_empty());

    // The other worker's connection goes on, and the new instance serves worker 0's share.
    assert_eq!(round_trip(&mut session, survivor, b"after\n"), b"after\n");
    let fresh = connect(&mut session); // worker 0 again, a fresh instance
    assert_eq!(round_trip(&mut session, fresh, b"fresh\n"), b"fresh\n");
    assert!(
        fresh.session_resumed(&mut session).unwrap(),
        "the replacement holds the pool's ticket key"
    );
    stopper.stop();
    let all = runner.join().unwrap();
    let mut setups = setups.lock().unwrap().clone();
    setups.sort_unstable();
    assert_eq!(setups, [0, 0, 1], "worker 0 was set up again: {all:?}");
}

#[test]
fn the_pools_own_key_rotates_and_the_previous_one_still_opens_tickets() {
    let pki = TestPki::new("pool-rotate", KeyKind::EcdsaP256);
    // Keys rotate every second: K1 at the start, K2 at 1 s, K3 at 2 s, K4 at 3 s.
    let (port, stopper, runner, _events) = start_pool(
        &pki,
        Dispatch::LeastConnections,
        Some(Duration::from_secs(1)),
        |_, _| {},
    );
    let started = std::time::Instant::now();
    let mut session = session();
    let resumed = |session: &mut Session| {
        let socket = socket_trusting(session, &pki.ca.cert_pem);
        let (result, _) = handshake(session, socket, "localhost", port);
        result.expect("handshake");
        assert_eq!(round_trip(session, socket, b"hi\n"), b"hi\n");
        let resumed = socket.session_resumed(session).unwrap();
        socket.disconnect_from_host(session).unwrap();
        socket.drop(session).unwrap();
        resumed
    };
    let sleep_until = |seconds: f64| {
        let at = started + Duration::from_secs_f64(seconds);
        thread::sleep(at.saturating_duration_since(std::time::Instant::now()));
    };
    assert!(!resumed(&mut session), "the first connection is full");
    sleep_until(1.5);
    assert!(
        resumed(&mut session),
        "a ticket under the previous key (K1, now K2 seals) still opens"
    );
    sleep_until(3.5);
    assert!(
        !resumed(&mut session),
        "two rotations later (K3, K4) neither K1 nor K2 opens: the pool did rotate"
    );
    stopper.stop();
    runner.join().unwrap();
}
