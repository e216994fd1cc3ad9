//! Per-instance defaults: `QSslSocket`'s static members (the global CA database and cipher
//! list) and what the system and the provider offer. A socket's settings that are not set
//! fall back to these at handshake time.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::certificate_list::CertificateList;
use super::cipher::{self, Cipher};
use super::errors::SocketError;
use crate::pki::Certificate;
use sslsocket_crypto as crypto;

/// The instance's default session ticketer: a random key, rotated every
/// [`crypto::DEFAULT_TICKET_LIFETIME`] seconds, shared by every server and server-mode socket
/// whose ticket key was not set. `None` if the random generator failed (no tickets then).
pub fn default_ticketer() -> Option<Arc<crypto::Ticketer>> {
    static TICKETER: OnceLock<Option<Arc<crypto::Ticketer>>> = OnceLock::new();
    TICKETER
        .get_or_init(|| {
            crypto::Ticketer::new(crypto::DEFAULT_TICKET_LIFETIME)
                .ok()
                .map(Arc::new)
        })
        .clone()
}

/// The global CA database (`globalCaCertificates()`): the system CAs until changed.
pub fn global_ca_certificates() -> CertificateList {
    lock()
        .ca_certificates
        .clone()
        .unwrap_or_else(system_ca_certificates)
}

/// Replaces the global CA database (`setGlobalCaCertificates()`).
pub fn set_global_ca_certificates(certificates: Vec<Certificate>) {
    lock().ca_certificates = Some(certificates.into());
}

/// Adds to the global CA database, skipping certificates already there
/// (`addGlobalCaCertificates()`).
pub fn add_global_ca_certificates(certificates: impl IntoIterator<Item = Certificate>) {
    let mut globals = lock();
    let list = globals
        .ca_certificates
        .clone()
        .unwrap_or_else(system_ca_certificates);
    globals.ca_certificates = Some(list.extended(certificates));
}

/// The system CA database (`systemCaCertificates()`): Mozilla's roots from `webpki-root-certs`,
/// built once per instance and shared by every copy.
pub fn system_ca_certificates() -> CertificateList {
    static ROOTS: OnceLock<CertificateList> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from(der.clone().into_owned()))
                .collect::<Vec<_>>()
                .into()
        })
        .clone()
}

/// The default cipher list of new sockets (`globalCiphers`).
pub fn global_ciphers() -> Vec<Cipher> {
    lock()
        .ciphers
        .clone()
        .unwrap_or_else(cipher::supported_ciphers)
}

/// Sets the default cipher list (`setGlobalCiphers()`).
///
/// # Errors
/// `InvalidInput` for an empty list.
pub fn set_global_ciphers(ciphers: Vec<Cipher>) -> Result<(), SocketError> {
    if ciphers.is_empty() {
        return Err(SocketError::invalid_input("the cipher list is empty"));
    }
    lock().ciphers = Some(ciphers);
    Ok(())
}

/// Goes back to every supported cipher (`resetGlobalCiphers()`).
pub fn reset_global_ciphers() {
    lock().ciphers = None;
}

/// Every key exchange group the provider supports, most preferred first
/// (`supportedEllipticCurves`).
pub fn supported_group_names() -> Vec<String> {
    crypto::all_groups()
        .iter()
        .map(|g| crypto::group_name(g.name()))
        .collect()
}

/// An optional feature of a TLS backend. Mirrors `QSsl::SupportedFeature` (Qt 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportedFeature {
    /// Certificates are verified with Qt's error list.
    CertificateVerification,
    /// ALPN as a client.
    ClientSideAlpn,
    /// ALPN as a server.
    ServerSideAlpn,
    /// OCSP stapling.
    Ocsp,
    /// External pre-shared keys: not implemented (rustls has none).
    Psk,
    /// Session tickets.
    SessionTicket,
    /// Alerts as signals.
    Alerts,
}

/// What this build implements (`QSslSocket::implementedFeatures`): everything but PSK.
pub fn implemented_features() -> Vec<SupportedFeature> {
    use SupportedFeature as F;
    vec![
        F::CertificateVerification,
        F::ClientSideAlpn,
        F::ServerSideAlpn,
        F::Ocsp,
        F::SessionTicket,
        F::Alerts,
    ]
}

/// The instance's defaults; `None` until the application changes them.
struct Globals {
    ca_certificates: Option<CertificateList>,
    ciphers: Option<Vec<Cipher>>,
}

static GLOBALS: Mutex<Globals> = Mutex::new(Globals {
    ca_certificates: None,
    ciphers: None,
});

fn lock() -> MutexGuard<'static, Globals> {
    GLOBALS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
