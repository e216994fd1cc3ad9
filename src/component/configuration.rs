//! The `ssl-configuration` resource: a shared engine [`SslConfiguration`], changed copy on write.

use std::cell::RefCell;
use std::sync::Arc;

use super::convert::{self, error_code};
use super::pki::{add_pem_certificates, borrowed, certificates};
use crate::bindings::exports::sslsocket::tls::pki::{
    Certificate as WitCertificate, CertificateBorrow, Key as WitKey, KeyBorrow,
};
use crate::bindings::exports::sslsocket::tls::socket as wit;
use crate::bindings::exports::sslsocket::tls::types::{Cipher, ErrorCode, Protocol};
use crate::engine::{self, SslConfiguration};
use crate::pki::Key;

type Result<T> = std::result::Result<T, ErrorCode>;

/// The configuration behind an `ssl-configuration` handle. Sockets and servers given it hold
/// the same `Arc`; a setter here copies it first when they do ([`Arc::make_mut`]).
pub struct ConfigurationResource(RefCell<Arc<SslConfiguration>>);

impl ConfigurationResource {
    /// A new `ssl-configuration` handle on `config`, shared (the getters of sockets, servers
    /// and the default configuration).
    pub fn handle(config: Arc<SslConfiguration>) -> wit::SslConfiguration {
        wit::SslConfiguration::new(Self(RefCell::new(config)))
    }

    /// The configuration behind a borrowed handle, shared (the `set-...-configuration` calls).
    pub fn shared(configuration: &wit::SslConfigurationBorrow<'_>) -> Arc<SslConfiguration> {
        Arc::clone(&configuration.get::<Self>().0.borrow())
    }

    fn get<R>(&self, f: impl FnOnce(&SslConfiguration) -> R) -> R {
        f(&self.0.borrow())
    }

    fn set<R>(&self, f: impl FnOnce(&mut SslConfiguration) -> R) -> R {
        f(Arc::make_mut(&mut self.0.borrow_mut()))
    }
}

impl wit::GuestSslConfiguration for ConfigurationResource {
    fn new() -> Self {
        Self(RefCell::new(Arc::new(SslConfiguration::default())))
    }

    fn copy(&self) -> wit::SslConfiguration {
        Self::handle(Arc::new(self.get(Clone::clone)))
    }

    fn protocol(&self) -> Protocol {
        convert::protocol(self.get(SslConfiguration::protocol))
    }

    fn set_protocol(&self, protocol: Protocol) -> Result<()> {
        self.set(|c| c.set_protocol(convert::protocol_from_wit(protocol)))
            .map_err(error_code)
    }

    fn ciphers(&self) -> Vec<Cipher> {
        self.get(SslConfiguration::ciphers)
            .iter()
            .map(convert::cipher)
            .collect()
    }

    fn set_ciphers(&self, ciphers: Vec<Cipher>) -> Result<()> {
        let ciphers = convert::ciphers_from_wit(&ciphers)?;
        self.set(|c| c.set_ciphers(ciphers)).map_err(error_code)
    }

    fn set_ciphers_by_name(&self, names: String) -> Result<()> {
        let ciphers = engine::cipher::parse_cipher_list(&names).map_err(ErrorCode::InvalidInput)?;
        self.set(|c| c.set_ciphers(ciphers)).map_err(error_code)
    }

    fn key_exchange_groups(&self) -> Vec<String> {
        self.get(SslConfiguration::key_exchange_groups)
    }

    fn set_key_exchange_groups(&self, groups: Vec<String>) -> Result<()> {
        self.set(|c| c.set_key_exchange_groups(&groups))
            .map_err(error_code)
    }

    fn ca_certificates(&self) -> Vec<WitCertificate> {
        certificates(self.get(|c| c.ca_certificates().certificates().to_vec()))
    }

    fn set_ca_certificates(&self, certificates: Vec<CertificateBorrow<'_>>) {
        let list = certificates.iter().map(borrowed).collect();
        self.set(|c| c.set_ca_certificates(list));
    }

    fn add_ca_certificates_pem(&self, pem: String) -> Result<u32> {
        add_pem_certificates(&pem, |certs| self.set(|c| c.add_ca_certificates(certs)))
    }

    fn local_certificate_chain(&self) -> Vec<WitCertificate> {
        certificates(self.get(SslConfiguration::local_certificate_chain))
    }

    fn set_local_certificate_chain(&self, chain: Vec<CertificateBorrow<'_>>) {
        let chain = chain.iter().map(borrowed).collect();
        self.set(|c| c.set_local_certificate_chain(chain));
    }

    fn private_key(&self) -> Option<WitKey> {
        self.get(|c| c.private_key().cloned()).map(WitKey::new)
    }

    fn set_private_key(&self, key: KeyBorrow<'_>) -> Result<()> {
        let key = key.get::<Key>().clone();
        self.set(|c| c.set_private_key(key)).map_err(error_code)
    }

    fn peer_verify_mode(&self) -> wit::PeerVerifyMode {
        convert::peer_verify_mode(self.get(SslConfiguration::peer_verify_mode))
    }

    fn set_peer_verify_mode(&self, mode: wit::PeerVerifyMode) {
        let mode = convert::peer_verify_mode_from_wit(mode);
        self.set(|c| c.set_peer_verify_mode(mode));
    }

    fn peer_verify_depth(&self) -> u32 {
        self.get(SslConfiguration::peer_verify_depth)
    }

    fn set_peer_verify_depth(&self, depth: u32) {
        self.set(|c| c.set_peer_verify_depth(depth));
    }

    fn allowed_next_protocols(&self) -> Vec<String> {
        self.get(|c| convert::protocol_names(c.allowed_next_protocols()))
    }

    fn set_allowed_next_protocols(&self, protocols: Vec<String>) -> Result<()> {
        let protocols = protocols.into_iter().map(String::into_bytes).collect();
        self.set(|c| c.set_allowed_next_protocols(protocols))
            .map_err(error_code)
    }

    fn ocsp_stapling_enabled(&self) -> bool {
        self.get(SslConfiguration::ocsp_stapling)
    }

    fn set_ocsp_stapling_enabled(&self, enabled: bool) {
        self.set(|c| c.set_ocsp_stapling(enabled));
    }

    fn handshake_must_interrupt_on_error(&self) -> bool {
        self.get(SslConfiguration::handshake_must_interrupt_on_error)
    }

    fn set_handshake_must_interrupt_on_error(&self, interrupt: bool) {
        self.set(|c| c.set_handshake_must_interrupt_on_error(interrupt));
    }

    fn session_tickets(&self) -> bool {
        self.get(SslConfiguration::session_tickets)
    }

    fn set_session_tickets(&self, enabled: bool) {
        self.set(|c| c.set_session_tickets(enabled));
    }

    fn server_cipher_preference(&self) -> bool {
        self.get(SslConfiguration::server_cipher_preference)
    }

    fn set_server_cipher_preference(&self, enabled: bool) {
        self.set(|c| c.set_server_cipher_preference(enabled));
    }

    fn dangerous_key_logging(&self) -> bool {
        self.get(SslConfiguration::dangerous_key_logging)
    }

    fn set_dangerous_key_logging(&self, enabled: bool) {
        self.set(|c| c.set_dangerous_key_logging(enabled));
    }
}
