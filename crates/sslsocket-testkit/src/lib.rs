//! Test fixtures of the sslsocket workspace, shared by the integration tests of every crate (the
//! guest's `tests/`, `sslsocket-host`'s and `sslsocket-cli`'s) and used at run time by the
//! `sslsocket demo` and `bench` commands:
//!
//! - [`testpki`]: throwaway certificates made in memory with rcgen;
//! - [`rustls_server`]: a native TLS server (rustls with *ring*) on loopback, in host threads;
//! - [`scenarios`]: certificate scenarios (chains, constraints, CRLs, OCSP responses) made with
//!   rcgen and `openssl`;
//! - [`server`]: a listening `ssl-server` driven by a test, and `openssl s_client` as a peer;
//! - at the top level: temporary directories ([`TempDir`]), the standard test PKI on disk
//!   ([`TestPki`]), peer processes ([`Peer`]: `openssl s_server`, a Python STARTTLS server) and
//!   shortcuts for driving the component ([`session`], [`handshake`], [`round_trip`], ...).
//!
//! Never use any of it for anything real: the keys are throwaway, and the helpers panic on every
//! failure (`unwrap`, `expect`, `assert!`), which is what a test wants (the failure points at the
//! line) and why the workspace's `unwrap_used`, `expect_used`, `panic` and `indexing_slicing`
//! lints are allowed in this crate only.

#![warn(unused_crate_dependencies)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod peer;
mod pki_files;
pub mod rustls_server;
pub mod scenarios;
pub mod server;
mod shortcuts;
mod temp_dir;
pub mod testpki;

use std::io::Write as _;

pub use peer::{
    Peer, STARTTLS_SERVER_PY, free_port, openssl_s_server, python_starttls_server,
    spawn_port_printing_peer,
};
pub use pki_files::{
    CA_SUBJECT, CLIENT_SUBJECT, KeyKind, SERVER_SUBJECT, TestPki, key_log_lines, openssl_rsa_key,
    openssl_rsa_key_pem,
};
pub use shortcuts::{
    assert_in_order, event_names, handshake, load_identity, read_line, round_trip, session,
    socket_trusting,
};
pub use temp_dir::TempDir;

/// Milliseconds for every wait of the tests.
pub const WAIT_MS: i32 = 10_000;

/// Deterministic pseudo-random bytes (xorshift64*).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        data.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    data.truncate(len);
    data
}

/// Flushes the test's stdout (keeps interleaved output readable).
pub fn flush() {
    let _ = std::io::stdout().flush();
}
