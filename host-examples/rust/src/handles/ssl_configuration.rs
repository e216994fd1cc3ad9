//! [`SslConfiguration`]: the `ssl-configuration` resource (`QSslConfiguration`), every method of
//! the WIT. Build one, then hand it to many sockets or servers with their
//! `set_ssl_configuration`; they share it without copying it.

use wasmtime::component::ResourceAny;

use crate::*;

/// A handle to an `ssl-configuration` resource in a [`Session`]. Drop it with
/// [`SslConfiguration::drop`]; sockets given it keep their share.
#[derive(Clone, Copy, Debug)]
pub struct SslConfiguration(pub ResourceAny);

impl SslConfiguration {
    forward! {
        via ssl_configuration_api;
        /// `protocol`.
        fn protocol => call_protocol() -> Protocol;
        /// `set-protocol`.
        fn set_protocol => call_set_protocol(protocol: Protocol) -> Result<(), ErrorCode>;
        /// `ciphers`: the cipher list, most preferred first.
        fn ciphers => call_ciphers() -> Vec<Cipher>;
        /// `set-ciphers`.
        fn set_ciphers => call_set_ciphers(ciphers: &[Cipher]) -> Result<(), ErrorCode>;
        /// `set-ciphers-by-name`: colon-separated OpenSSL or IANA names.
        fn set_ciphers_by_name => call_set_ciphers_by_name(names: &str) -> Result<(), ErrorCode>;
        /// `key-exchange-groups`.
        fn key_exchange_groups => call_key_exchange_groups() -> Vec<String>;
        /// `set-key-exchange-groups`.
        fn set_key_exchange_groups => call_set_key_exchange_groups(groups: &[String]) -> Result<(), ErrorCode>;
        /// `add-ca-certificates-pem`: returns how many were added.
        fn add_ca_certificates_pem => call_add_ca_certificates_pem(pem: &str) -> Result<u32, ErrorCode>;
        /// `peer-verify-mode`.
        fn peer_verify_mode => call_peer_verify_mode() -> PeerVerifyMode;
        /// `set-peer-verify-mode`.
        fn set_peer_verify_mode => call_set_peer_verify_mode(mode: PeerVerifyMode) -> ();
        /// `peer-verify-depth`: 0 for no limit of our own.
        fn peer_verify_depth => call_peer_verify_depth() -> u32;
        /// `set-peer-verify-depth`.
        fn set_peer_verify_depth => call_set_peer_verify_depth(depth: u32) -> ();
        /// `allowed-next-protocols`: the ALPN protocols.
        fn allowed_next_protocols => call_allowed_next_protocols() -> Vec<String>;
        /// `set-allowed-next-protocols`.
        fn set_allowed_next_protocols => call_set_allowed_next_protocols(protocols: &[String]) -> Result<(), ErrorCode>;
        /// `ocsp-stapling-enabled`.
        fn ocsp_stapling_enabled => call_ocsp_stapling_enabled() -> bool;
        /// `set-ocsp-stapling-enabled`.
        fn set_ocsp_stapling_enabled => call_set_ocsp_stapling_enabled(enabled: bool) -> ();
        /// `handshake-must-interrupt-on-error`.
        fn handshake_must_interrupt_on_error => call_handshake_must_interrupt_on_error() -> bool;
        /// `set-handshake-must-interrupt-on-error`.
        fn set_handshake_must_interrupt_on_error => call_set_handshake_must_interrupt_on_error(interrupt: bool) -> ();
        /// `session-tickets`.
        fn session_tickets => call_session_tickets() -> bool;
        /// `set-session-tickets`.
        fn set_session_tickets => call_set_session_tickets(enabled: bool) -> ();
        /// `server-cipher-preference`.
        fn server_cipher_preference => call_server_cipher_preference() -> bool;
        /// `set-server-cipher-preference`.
        fn set_server_cipher_preference => call_set_server_cipher_preference(enabled: bool) -> ();
        /// `dangerous-key-logging`.
        fn dangerous_key_logging => call_dangerous_key_logging() -> bool;
        /// `set-dangerous-key-logging`: NSS key-log lines as `key-log-line` events. Dangerous.
        fn set_dangerous_key_logging => call_set_dangerous_key_logging(enabled: bool) -> ();
    }

    /// `copy`: an independent copy.
    pub fn copy(&self, session: &mut Session) -> wasmtime::Result<SslConfiguration> {
        let (api, store) = session.ssl_configuration_api();
        api.call_copy(store, self.0).map(SslConfiguration)
    }

    /// `ca-certificates`: the CA database (the global one until set). The handles are the
    /// caller's to drop.
    pub fn ca_certificates(&self, session: &mut Session) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = session.ssl_configuration_api();
        Ok(Certificate::typed(api.call_ca_certificates(store, self.0)?))
    }

    /// `set-ca-certificates`: replaces the CA database.
    pub fn set_ca_certificates(
        &self,
        session: &mut Session,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
        let (api, store) = session.ssl_configuration_api();
        api.call_set_ca_certificates(store, self.0, &list)
    }

    /// `local-certificate-chain`: leaf first. The handles are the caller's to drop.
    pub fn local_certificate_chain(
        &self,
        session: &mut Session,
    ) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = session.ssl_configuration_api();
        Ok(Certificate::typed(
            api.call_local_certificate_chain(store, self.0)?,
        ))
    }

    /// `set-local-certificate-chain`: leaf first; empty clears it.
    pub fn set_local_certificate_chain(
        &self,
        session: &mut Session,
        chain: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(chain);
        let (api, store) = session.ssl_configuration_api();
        api.call_set_local_certificate_chain(store, self.0, &list)
    }

    /// `private-key`.
    pub fn private_key(&self, session: &mut Session) -> wasmtime::Result<Option<Key>> {
        let (api, store) = session.ssl_configuration_api();
        Ok(api.call_private_key(store, self.0)?.map(Key))
    }

    /// `set-private-key`.
    pub fn set_private_key(&self, session: &mut Session, key: &Key) -> CallResult<()> {
        let (api, store) = session.ssl_configuration_api();
        api.call_set_private_key(store, self.0, key.0)
    }

    /// Drops the handle; sockets and servers given the configuration keep their share.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}
