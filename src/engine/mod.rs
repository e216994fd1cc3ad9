//! `QSslSocket`'s behaviour over rustls, independent of WASI.
//!
//! One Qt concept per file, in floors that import only downwards:
//!
//! - [`errors`] (socket errors, `QSslError`), [`alerts`] (Qt 6's alert levels and types),
//!   [`events`] (the queued signals and their enums), [`budget`] (the instance's memory budget),
//!   [`protocol`] (`QSsl::SslProtocol`), [`certificate_list`] (shared CA lists),
//!   `keying_material` (the exporter and key-log capture);
//! - [`x509`]: certificate verification as Qt does it with OpenSSL, below everything that
//!   follows; it takes a narrow policy and returns its findings;
//! - [`cipher`] (`QSslCipher`), [`globals`] (`QSslSocket`'s static members);
//! - [`settings`] (`QSslConfiguration` as plain data), then [`tls_config`] (settings to rustls
//!   configurations, cached by the settings value);
//! - [`socket`] (`QSslSocket`), then [`server`] (`QTcpServer` + `QSslServer`);
//!   [`chain_verification`] (`QSslCertificate::verify`: a chain checked as a connection checks
//!   it, against the default configuration's CA database) beside them.

pub mod alerts;
pub mod budget;
mod buffers;
pub mod certificate_list;
pub mod chain_verification;
pub mod cipher;
pub mod errors;
pub mod events;
pub mod globals;
mod keying_material;
pub mod protocol;
pub mod server;
pub mod settings;
pub mod socket;
pub mod tls_config;
mod tls_connection;
pub mod x509;

pub use crate::transport::SocketOption;
pub use alerts::{Alert, AlertLevel, AlertType};
pub use certificate_list::CertificateList;
pub use chain_verification::verify_certificate_chain;
pub use cipher::Cipher;
pub use errors::{SocketError, SslError, SslErrorEntry};
pub use events::{Event, Mode, SocketState};
pub use protocol::Protocol;
pub use server::{ServerEvent, SslServer};
pub use settings::{SniIdentity, SslConfiguration};
pub use socket::{MemoryTurn, NextProtocolNegotiationStatus, SslSocket};
pub use x509::PeerVerifyMode;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests_memory;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests_qt6;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests_tickets;
