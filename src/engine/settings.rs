//! What `QSslConfiguration` holds: a socket's or a server's TLS settings as plain data. Fields
//! are private and each has one setter, which checks the value; a setting left unset falls back
//! to the instance's defaults ([`super::globals`]) when a handshake starts.
//!
//! The value is `Hash + Eq` (derived, so no field can be left out): the rustls configurations
//! built from it are cached by it ([`super::tls_config`]).

use std::sync::{Arc, Mutex, MutexGuard};

use rustls_pki_types::CertificateRevocationListDer;

use super::certificate_list::CertificateList;
use super::cipher::Cipher;
use super::errors::SocketError;
use super::globals;
use super::protocol::Protocol;
use super::x509::PeerVerifyMode;
use crate::pki::{Certificate, Key};
use sslsocket_crypto as crypto;

/// The TLS settings of one socket or server. Mirrors `QSslConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SslConfiguration {
    protocol: Protocol,
    /// `None`: the global CA database at handshake time.
    ca_certificates: Option<CertificateList>,
    /// `None`: the global cipher list at handshake time.
    ciphers: Option<Vec<Cipher>>,
    /// IANA names, most preferred first; `None`: every group of the provider in its order.
    key_exchange_groups: Option<Vec<String>>,
    local_certificate: Option<Certificate>,
    /// Sent after the local certificate, leaf side first.
    local_intermediates: Vec<Certificate>,
    private_key: Option<Key>,
    peer_verify_name: String,
    peer_verify_mode: PeerVerifyMode,
    /// 0: no limit set.
    peer_verify_depth: u32,
    crls: Vec<CertificateRevocationListDer<'static>>,
    handshake_must_interrupt_on_error: bool,
    allowed_next_protocols: Vec<Vec<u8>>,
    sni_identities: Vec<SniIdentity>,
    ocsp_stapling: bool,
    ocsp_response: Option<Vec<u8>>,
    /// Qt's `SslOptionDisableSessionTickets` (off by default, so tickets are on).
    session_tickets_disabled: bool,
    /// Qt's `SslOptionDisableServerCipherPreference` (off by default, so a server picks by
    /// its own order).
    server_cipher_preference_disabled: bool,
    dangerous_key_logging: bool,
}

/// A server identity for one SNI host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SniIdentity {
    /// The host name clients ask for (ASCII, compared without case).
    pub host_name: String,
    /// The certificate chain, leaf first.
    pub chain: Vec<Certificate>,
    /// The leaf's private key.
    pub key: Key,
}

impl SslConfiguration {
    /// The configuration new sockets and servers start with
    /// (`QSslConfiguration::defaultConfiguration`), shared, not copied, until one of them
    /// changes its own. Its unset CA database and cipher list follow the global ones
    /// ([`globals::global_ca_certificates`], [`globals::global_ciphers`]) at handshake time.
    pub fn default_configuration() -> Arc<Self> {
        lock_default()
            .get_or_insert_with(|| Arc::new(Self::default()))
            .clone()
    }

    /// Sets the configuration new sockets and servers start with
    /// (`QSslConfiguration::setDefaultConfiguration`); those made before keep theirs.
    pub fn set_default_configuration(config: Arc<Self>) {
        *lock_default() = Some(config);
    }

    /// The allowed versions (`protocol`).
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Sets the allowed versions (`setProtocol`).
    ///
    /// # Errors
    /// `UnsupportedProtocol` for SSL 2 and 3; the setting is left unchanged.
    pub fn set_protocol(&mut self, protocol: Protocol) -> Result<(), SocketError> {
        protocol.versions()?;
        self.protocol = protocol;
        Ok(())
    }

    /// The CA database in effect (`caCertificates`): the one set, else the global one.
    pub fn ca_certificates(&self) -> CertificateList {
        self.ca_certificates
            .clone()
            .unwrap_or_else(globals::global_ca_certificates)
    }

    /// Replaces the CA database (`setCaCertificates`).
    pub fn set_ca_certificates(&mut self, certificates: Vec<Certificate>) {
        self.ca_certificates = Some(certificates.into());
    }

    /// Adds to the CA database, starting from the global one when it was not set
    /// (`addCaCertificates`); certificates already there are skipped.
    pub fn add_ca_certificates(&mut self, certificates: impl IntoIterator<Item = Certificate>) {
        self.ca_certificates = Some(self.ca_certificates().extended(certificates));
    }

    /// Goes back to the global CA database.
    pub fn reset_ca_certificates(&mut self) {
        self.ca_certificates = None;
    }

    /// The cipher list in effect (`ciphers`): the one set, else the global one.
    pub fn ciphers(&self) -> Vec<Cipher> {
        self.ciphers.clone().unwrap_or_else(globals::global_ciphers)
    }

    /// Sets the cipher list (`setCiphers`).
    ///
    /// # Errors
    /// `InvalidInput` for an empty list.
    pub fn set_ciphers(&mut self, ciphers: Vec<Cipher>) -> Result<(), SocketError> {
        if ciphers.is_empty() {
            return Err(SocketError::invalid_input("the cipher list is empty"));
        }
        self.ciphers = Some(ciphers);
        Ok(())
    }

    /// Goes back to the global cipher list.
    pub fn reset_ciphers(&mut self) {
        self.ciphers = None;
    }

    /// The key exchange groups in effect, most preferred first, as IANA names.
    pub fn key_exchange_groups(&self) -> Vec<String> {
        self.key_exchange_groups
            .clone()
            .unwrap_or_else(globals::supported_group_names)
    }

    /// Sets the key exchange groups (Qt's `setEllipticCurves`, Node's `ecdhCurve`), matched by
    /// name case-insensitively; duplicates are dropped.
    ///
    /// # Errors
    /// `InvalidInput` for an empty list or a name that is not a supported group.
    pub fn set_key_exchange_groups(&mut self, names: &[String]) -> Result<(), SocketError> {
        let mut groups: Vec<String> = Vec::new();
        for name in names {
            let group = crypto::group_by_name(name.trim()).ok_or_else(|| {
                SocketError::invalid_input(format!(
                    "unknown key exchange group {name:?}; supported: {}; optional (off by \
                     default): {}",
                    globals::supported_group_names().join(", "),
                    crypto::optional_groups()
                        .iter()
                        .map(|g| crypto::group_name(g.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let name = crypto::group_name(group.name());
            if !groups.contains(&name) {
                groups.push(name);
            }
        }
        if groups.is_empty() {
            return Err(SocketError::invalid_input(
                "the key exchange group list is empty",
            ));
        }
        self.key_exchange_groups = Some(groups);
        Ok(())
    }

    /// The certificate presented to the peer (`localCertificate`).
    pub fn local_certificate(&self) -> Option<&Certificate> {
        self.local_certificate.as_ref()
    }

    /// Sets the certificate presented to the peer, keeping the intermediates
    /// (`setLocalCertificate`).
    pub fn set_local_certificate(&mut self, certificate: Certificate) {
        self.local_certificate = Some(certificate);
    }

    /// The local certificate followed by its intermediates (`localCertificateChain`); empty
    /// without a local certificate.
    pub fn local_certificate_chain(&self) -> Vec<Certificate> {
        self.local_certificate
            .iter()
            .chain(&self.local_intermediates)
            .cloned()
            .collect()
    }

    /// Sets the local certificate and its intermediates, leaf first; an empty chain clears it
    /// (`setLocalCertificateChain`).
    pub fn set_local_certificate_chain(&mut self, chain: Vec<Certificate>) {
        let mut chain = chain.into_iter();
        self.local_certificate = chain.next();
        self.local_intermediates = chain.collect();
    }

    /// The key of the local certificate (`privateKey`).
    pub fn private_key(&self) -> Option<&Key> {
        self.private_key.as_ref()
    }

    /// Sets the key of the local certificate (`setPrivateKey`).
    ///
    /// # Errors
    /// `InvalidInput` for a public key.
    pub fn set_private_key(&mut self, key: Key) -> Result<(), SocketError> {
        if key.private_key_der().is_none() {
            return Err(SocketError::invalid_input(
                "a public key cannot be used as the private key",
            ));
        }
        self.private_key = Some(key);
        Ok(())
    }

    /// Whether a server handshake has a certificate to present: a local certificate and key,
    /// or an SNI identity.
    pub fn has_server_identity(&self) -> bool {
        (self.local_certificate.is_some() && self.private_key.is_some())
            || !self.sni_identities.is_empty()
    }

    /// The name the peer's certificate is checked against when not the host connected to
    /// (`peerVerifyName`); empty when unset.
    pub fn peer_verify_name(&self) -> &str {
        &self.peer_verify_name
    }

    /// Sets the name to check the peer's certificate against (`setPeerVerifyName`).
    pub fn set_peer_verify_name(&mut self, name: String) {
        self.peer_verify_name = name;
    }

    /// Whether the peer's certificate is requested and checked (`peerVerifyMode`).
    pub fn peer_verify_mode(&self) -> PeerVerifyMode {
        self.peer_verify_mode
    }

    /// Sets whether the peer's certificate is requested and checked (`setPeerVerifyMode`).
    pub fn set_peer_verify_mode(&mut self, mode: PeerVerifyMode) {
        self.peer_verify_mode = mode;
    }

    /// The most certificates checked in the peer's chain below the trust anchor, 0 for no limit
    /// (`peerVerifyDepth`).
    pub fn peer_verify_depth(&self) -> u32 {
        self.peer_verify_depth
    }

    /// Sets the verify depth (`setPeerVerifyDepth`): with depth `d`, a chain needing more than
    /// `d` intermediates below its trust anchor is not trusted (OpenSSL's `-verify_depth`,
    /// reported as Qt reports OpenSSL's "certificate chain too long": `unspecified-error` on the
    /// certificate where the count ran out). 0 sets no limit of our own (OpenSSL's 100 applies).
    pub fn set_peer_verify_depth(&mut self, depth: u32) {
        self.peer_verify_depth = depth;
    }

    /// Whether session tickets are used: a server issues them, a client asks for them and
    /// resumes with them (Qt's `SslOptionDisableSessionTickets` unset; Node's `ticketKeys`,
    /// Python's `OP_NO_TICKET` unset). On by default.
    pub fn session_tickets(&self) -> bool {
        !self.session_tickets_disabled
    }

    /// Turns session tickets on or off (`setSslOption(SslOptionDisableSessionTickets, !on)`).
    /// Off: a server issues none (TLS 1.3 and 1.2), a client sends no ticket extension and
    /// keeps no TLS 1.3 ticket; TLS 1.2 resumption by session id still works.
    pub fn set_session_tickets(&mut self, enabled: bool) {
        self.session_tickets_disabled = !enabled;
    }

    /// Whether a server picks the cipher by its own order of [`SslConfiguration::ciphers`]
    /// rather than the client's (Qt's `SslOptionDisableServerCipherPreference` unset, as with
    /// OpenSSL's `SSL_OP_CIPHER_SERVER_PREFERENCE`; Node's `honorCipherOrder`). On by default.
    pub fn server_cipher_preference(&self) -> bool {
        !self.server_cipher_preference_disabled
    }

    /// Sets whether a server picks the cipher by its own order (on) or the client's (off:
    /// `setSslOption(SslOptionDisableServerCipherPreference, true)`). Clients ignore it.
    pub fn set_server_cipher_preference(&mut self, enabled: bool) {
        self.server_cipher_preference_disabled = !enabled;
    }

    /// Whether each handshake's secrets are handed out as NSS key-log lines.
    pub fn dangerous_key_logging(&self) -> bool {
        self.dangerous_key_logging
    }

    /// Hands each handshake's secrets out as NSS key-log lines (`SSLKEYLOGFILE`; Node's
    /// `'keylog'` event, Python's `SSLContext.keylog_filename`), for Wireshark. Dangerous: anyone
    /// with the lines decrypts the connections. Off by default.
    pub fn set_dangerous_key_logging(&mut self, enabled: bool) {
        self.dangerous_key_logging = enabled;
    }

    /// The certificate revocation lists checked for the peer's chain.
    pub fn crls(&self) -> &[CertificateRevocationListDer<'static>] {
        &self.crls
    }

    /// Adds certificate revocation lists (parsed by [`super::x509::parse_crls`]).
    pub fn add_crls(
        &mut self,
        crls: impl IntoIterator<Item = CertificateRevocationListDer<'static>>,
    ) {
        self.crls.extend(crls);
    }

    /// Whether a handshake with certificate errors stops for the caller's decision instead of
    /// failing (`handshakeMustInterruptOnError`).
    pub fn handshake_must_interrupt_on_error(&self) -> bool {
        self.handshake_must_interrupt_on_error
    }

    /// Sets whether a handshake with certificate errors stops for the caller's decision
    /// (`setHandshakeMustInterruptOnError`).
    pub fn set_handshake_must_interrupt_on_error(&mut self, interrupt: bool) {
        self.handshake_must_interrupt_on_error = interrupt;
    }

    /// The ALPN protocols offered (client) or accepted (server), most preferred first
    /// (`allowedNextProtocols`).
    pub fn allowed_next_protocols(&self) -> &[Vec<u8>] {
        &self.allowed_next_protocols
    }

    /// Sets the ALPN protocols, most preferred first (`setAllowedNextProtocols`).
    ///
    /// # Errors
    /// `InvalidInput` for an empty name or one longer than 255 bytes (TLS cannot carry them,
    /// RFC 7301); the setting is left unchanged.
    pub fn set_allowed_next_protocols(
        &mut self,
        protocols: Vec<Vec<u8>>,
    ) -> Result<(), SocketError> {
        if let Some(bad) = protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
            return Err(SocketError::invalid_input(format!(
                "ALPN protocol names are 1 to 255 bytes; this one has {}",
                bad.len()
            )));
        }
        self.allowed_next_protocols = protocols;
        Ok(())
    }

    /// The server identities chosen by the name a client asks for (SNI).
    pub fn sni_identities(&self) -> &[SniIdentity] {
        &self.sni_identities
    }

    /// Adds a server identity for one SNI host name (Qt has none; Node's `SNICallback` /
    /// `addContext`). Check it first with `tls_config::certified_key`.
    pub fn add_sni_identity(&mut self, identity: SniIdentity) {
        self.sni_identities.push(identity);
    }

    /// Whether a client checks the OCSP response the server staples (`ocspStaplingEnabled`).
    pub fn ocsp_stapling(&self) -> bool {
        self.ocsp_stapling
    }

    /// Sets whether a client asks for and checks a stapled OCSP response
    /// (`setOcspStaplingEnabled`).
    pub fn set_ocsp_stapling(&mut self, enabled: bool) {
        self.ocsp_stapling = enabled;
    }

    /// The DER OCSP response a server staples to its certificate.
    pub fn ocsp_response(&self) -> Option<&[u8]> {
        self.ocsp_response.as_deref()
    }

    /// Sets the DER OCSP response a server staples to its certificate (given by the host, for
    /// example from `openssl ocsp -respout`); empty removes it.
    ///
    /// # Errors
    /// `InvalidInput` when the data is not a DER OCSPResponse; the setting is left unchanged.
    pub fn set_ocsp_response(&mut self, der: &[u8]) -> Result<(), SocketError> {
        use der::Decode as _;
        if der.is_empty() {
            self.ocsp_response = None;
            return Ok(());
        }
        x509_ocsp::OcspResponse::from_der(der)
            .map_err(|e| SocketError::invalid_input(format!("not a DER OCSP response: {e}")))?;
        self.ocsp_response = Some(der.to_vec());
        Ok(())
    }

    /// These settings with every default resolved: the CA database and cipher list in effect
    /// now. Two sockets whose resolved settings are equal can share one rustls configuration.
    #[must_use]
    pub fn resolved(&self) -> Self {
        Self {
            ca_certificates: Some(self.ca_certificates()),
            ciphers: Some(self.ciphers()),
            ..self.clone()
        }
    }
}

/// The instance's default configuration; `None` until first asked for or set.
fn lock_default() -> MutexGuard<'static, Option<Arc<SslConfiguration>>> {
    static DEFAULT: Mutex<Option<Arc<SslConfiguration>>> = Mutex::new(None);
    DEFAULT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
