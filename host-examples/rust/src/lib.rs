//! Embeds the `sslsocket` WebAssembly component (a QSslSocket-style TLS socket whose TLS runs inside
//! the guest) in wasmtime.
//!
//! The component is built by this crate's build script and embedded as [`COMPONENT`]. It is
//! compiled once per process (and the machine code cached on disk, see [`warm_up`]); every
//! [`Session`] is a fresh component instance with its own store, WASI context and network policy:
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use sslsocket_host::{NetworkPolicy, Session, SessionConfig};
//!
//! let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
//! let socket = session.new_socket()?;
//! socket.connect_to_host_encrypted(&mut session, "localhost", 4433)??;
//! socket.wait_for_encrypted(&mut session, 5000)??;
//! socket.write(&mut session, b"hello\n")??;
//! # Ok(())
//! # }
//! ```
//!
//! Every call returns `wasmtime::Result<T>`: the outer error is a trap (the instance is then dead),
//! and for fallible WIT functions `T` is itself a `Result<_, ErrorCode>`.

#![deny(unsafe_code)]
// Not in the unit-test build, which also gets the dev-dependencies (the fixtures of the
// integration tests and doctests).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod cache;
pub mod command;
mod doorbell;
pub mod names;
pub mod policy;
pub mod poll_set;
pub mod stream;

mod handles;
mod runtime;
mod session;

pub use command::run_command;
pub use doorbell::Doorbell;
pub use handles::{
    Certificate, Key, OcspReport, Pkcs12Bundle, Pollable, SslConfiguration, SslErrorReport,
    SslServer, SslSocket,
};
pub use policy::NetworkPolicy;
pub use runtime::{raise_open_file_limit, time_cold_start, warm_up};
pub use session::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MEMORY_LIMIT, HostState, Session, SessionConfig,
};
pub use stream::{TlsError, TlsStream, TlsStreamBuilder};

/// The generated bindings of world `sslsocket` (package `sslsocket:tls@0.1.0`).
#[allow(unsafe_code, missing_docs, clippy::all)]
pub mod bindings {
    wasmtime::component::bindgen!({
        world: "sslsocket",
        path: "../../wit",
        with: { "wasi:io": wasmtime_wasi::p2::bindings::io },
        require_store_data_send: true,
        additional_derives: [PartialEq],
    });
}

pub use bindings::Sslsocket;
pub use bindings::exports::sslsocket::tls::pki::{
    AlternativeName, CertificateExtension, DigestAlgorithm, EncodingFormat, KeyAlgorithm, KeyType,
    SubjectInfoAttribute,
};
pub use bindings::exports::sslsocket::tls::socket::{
    Alert, AlertLevel, AlertType, HandshakeFailure, MemoryTurn, NextProtocolNegotiationStatus,
    OcspCertificateStatus, OcspResponse, OcspRevocationReason, PeerVerifyMode, ServerEvent,
    SocketEvent, SocketOption, SslErrorEntry, SupportedFeature,
};
pub use bindings::exports::sslsocket::tls::types::{
    Cipher, Endpoint, ErrorCode, Mode, Protocol, SocketState, SslError,
};
/// The wasmtime version this host is built on, for callers of the raw bindings.
pub use wasmtime;

/// The `sslsocket` component (`sslsocket.wasm`, built for `wasm32-wasip2`), embedded at build time.
pub const COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sslsocket.wasm"));

/// The result of a fallible WIT function: the outer error is a trap, the inner one the WIT error.
pub type CallResult<T> = wasmtime::Result<Result<T, ErrorCode>>;
