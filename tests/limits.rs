//! The host's default limits: a cap on guest memory (wasmtime `StoreLimits`) and a handshake
//! deadline for servers, both set by default and configurable in `SessionConfig`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use sslsocket_host::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MEMORY_LIMIT, EncodingFormat, Session, SessionConfig,
};

#[test]
fn servers_get_the_session_handshake_deadline() {
    let mut session = Session::new(SessionConfig::new()).unwrap();
    let server = session.new_server().unwrap();
    assert_eq!(
        u128::from(server.handshake_timeout(&mut session).unwrap()),
        DEFAULT_HANDSHAKE_TIMEOUT.as_millis()
    );

    let config = SessionConfig::new().handshake_timeout(Duration::from_millis(1500));
    let mut session = Session::new(config).unwrap();
    let server = session.new_server().unwrap();
    assert_eq!(server.handshake_timeout(&mut session).unwrap(), 1500);
}

#[test]
fn guest_memory_is_capped_and_an_overrun_traps_cleanly() {
    assert_eq!(DEFAULT_MEMORY_LIMIT, 1 << 30);
    const LIMIT: usize = 16 << 20;
    let mut session = Session::new(SessionConfig::new().memory_limit(LIMIT)).unwrap();
    let before = session.guest_memory();
    assert!(before > 0 && before <= LIMIT, "{before}");

    // Within the cap: a 1 MiB input is parsed (and refused) normally.
    let small = vec![b'x'; 1 << 20];
    let refused = session
        .certificates_from_data(&small, EncodingFormat::Der)
        .expect("no trap");
    assert!(refused.is_err());

    // Past the cap: the 32 MiB argument cannot even be copied into the guest.
    let big = vec![b'x'; 32 << 20];
    let trap = session
        .certificates_from_data(&big, EncodingFormat::Der)
        .expect_err("a trap, not a result");
    let message = format!("{trap:#}");
    assert!(message.contains("memory"), "{message}");
    assert!(
        session.guest_memory() <= LIMIT,
        "{}",
        session.guest_memory()
    );

    // Other sessions are unaffected.
    let mut other = Session::new(SessionConfig::new()).unwrap();
    assert!(other.supports_ssl().unwrap());
}
