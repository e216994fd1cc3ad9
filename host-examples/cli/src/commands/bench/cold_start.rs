//! Cold start: compiling the component, loading the compiled machine code, instantiating, and a
//! new instance's first encrypted byte.

use std::time::{Duration, Instant};

use sslsocket_host::{NetworkPolicy, Session, SessionConfig};
use sslsocket_testkit::rustls_server::TlsServer;
use sslsocket_testkit::testpki::{Authority, Identity};

use super::handshakes::guest_handshake;
use super::identities::chain;
use super::report::Row;

/// Compile time, instantiate time, and the time from a new instance to the first byte echoed
/// over TLS.
pub(super) fn cold_start(
    rows: &mut Vec<Row>,
    ca: &Authority,
    leaf: &Identity,
) -> anyhow::Result<()> {
    sslsocket_host::warm_up()?;
    let scratch = std::env::temp_dir().join(format!("sslsocket-bench-cs-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let timings = sslsocket_host::time_cold_start(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    let (compile, load) = timings?;
    rows.push(Row {
        bench: "cold-start",
        case: "compile".into(),
        client: "guest",
        value: ms(compile),
        unit: "ms",
        note: "Component::new with Cranelift: the first process on a machine".into(),
    });
    rows.push(Row {
        bench: "cold-start",
        case: "load precompiled".into(),
        client: "guest",
        value: ms(load),
        unit: "ms",
        note: "Component::deserialize_file of the cached machine code: every later process".into(),
    });
    let runs = 10u32;
    let started = Instant::now();
    for _ in 0..runs {
        let session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
        drop(session);
    }
    rows.push(Row {
        bench: "cold-start",
        case: "instantiate".into(),
        client: "guest",
        value: ms(started.elapsed()) / f64::from(runs),
        unit: "ms",
        note: format!("Session::new from the compiled component, mean of {runs}"),
    });
    let echo = TlsServer::echo(&chain(ca, leaf), &leaf.key_der)?;
    let started = Instant::now();
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
    let resumed = guest_handshake(&mut session, ca, echo.port(), None)?.resumed;
    rows.push(Row {
        bench: "cold-start",
        case: "first encrypted byte".into(),
        client: "guest",
        value: ms(started.elapsed()),
        unit: "ms",
        note: format!("new instance, connect, full handshake (resumed: {resumed}), 1-byte echo"),
    });
    Ok(())
}

/// A duration in milliseconds.
fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}
