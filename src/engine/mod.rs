//! `QSslSocket`'s behaviour over rustls, independent of WASI.
//!
//! One Qt concept per file: [`socket`] (`QSslSocket`; its TLS phase and state machine in
//! `socket/`, its buffers in `buffers.rs`), [`config`] (protocol, CA database, ciphers,
//! identity: `QSslConfiguration`), [`verify`] (certificate verification producing `QSslError`
//! lists), [`cipher`] (`QSslCipher`), [`events`] (the queued signals and the enums they carry) and
//! [`errors`] (socket errors and `QSslError::SslError`).

pub mod budget;
mod buffers;
pub mod chain;
pub mod cipher;
pub mod config;
pub mod errors;
pub mod events;
pub mod facts;
pub mod ocsp;
pub mod revocation;
pub mod server;
pub mod socket;
pub mod verify;

pub use cipher::Cipher;
pub use config::{PeerVerifyMode, Protocol, SslConfiguration};
pub use errors::{SocketError, SslError, SslErrorEntry};
pub use events::{Event, Mode, SocketState};
pub use server::{ServerEvent, SslServer};
pub use socket::{NextProtocolNegotiationStatus, SslSocket};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
