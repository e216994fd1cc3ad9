//! Protocol, CA database, ciphers and identity: what `QSslConfiguration` holds, and the
//! per-instance global defaults (`QSslSocket`'s static members). Turns them into rustls
//! configurations.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue,
};
use rustls::server::{ClientHello, ResolvesServerCert, StoresServerSessions};
use rustls::sign::{CertifiedKey, SigningKey};
use rustls::version::{TLS12, TLS13};
use rustls::{ClientConfig, NamedGroup, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::{CertificateRevocationListDer, ServerName};
use sslsocket_crypto as crypto;

use super::chain::TrustStore;
use super::cipher::{self, Cipher};
use super::errors::SocketError;
use super::verify::{self, PeerVerifier};
use crate::pki::{Certificate, Key};

/// The TLS versions a socket may negotiate. Mirrors `QSsl::SslProtocol`; see the WIT `protocol`
/// enum for what each obsolete Qt value maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// SSL 3: refused.
    SslV3,
    /// SSL 2: refused.
    SslV2,
    /// Qt's TLS 1.0: exactly TLS 1.2, the lowest version offered.
    TlsV1,
    /// Anything offered: TLS 1.2 or 1.3.
    Compat,
    /// Exactly TLS 1.2.
    TlsV12,
    /// Exactly TLS 1.3.
    TlsV13,
    /// TLS 1.2 or 1.3.
    TlsV12OrLater,
    /// TLS 1.3.
    TlsV13OrLater,
    /// The default: TLS 1.2 or 1.3.
    #[default]
    SecureProtocols,
}

static ONLY_TLS12: [&SupportedProtocolVersion; 1] = [&TLS12];
static ONLY_TLS13: [&SupportedProtocolVersion; 1] = [&TLS13];
static TLS12_AND_13: [&SupportedProtocolVersion; 2] = [&TLS13, &TLS12];

impl Protocol {
    /// The rustls versions this setting allows.
    ///
    /// # Errors
    /// [`SocketError::UnsupportedProtocol`] for SSL 2 and SSL 3.
    pub fn versions(self) -> Result<&'static [&'static SupportedProtocolVersion], SocketError> {
        match self {
            Self::SslV2 | Self::SslV3 => Err(SocketError::UnsupportedProtocol(format!(
                "{} is insecure and not supported; use TLS 1.2 or later",
                if self == Self::SslV2 {
                    "SSLv2"
                } else {
                    "SSLv3"
                }
            ))),
            Self::TlsV1 | Self::TlsV12 => Ok(&ONLY_TLS12),
            Self::TlsV13 | Self::TlsV13OrLater => Ok(&ONLY_TLS13),
            Self::Compat | Self::TlsV12OrLater | Self::SecureProtocols => Ok(&TLS12_AND_13),
        }
    }

    /// The text OpenSSL and Qt use for a negotiated version: `TLSv1.2`, `TLSv1.3`.
    pub fn version_string(self) -> &'static str {
        match self {
            Self::TlsV12 => "TLSv1.2",
            Self::TlsV13 => "TLSv1.3",
            Self::SslV2 => "SSLv2",
            Self::SslV3 => "SSLv3",
            Self::TlsV1 => "TLSv1",
            _ => "",
        }
    }

    /// The protocol value of a negotiated rustls version.
    pub fn from_negotiated(version: rustls::ProtocolVersion) -> Option<Self> {
        match version {
            rustls::ProtocolVersion::TLSv1_2 => Some(Self::TlsV12),
            rustls::ProtocolVersion::TLSv1_3 => Some(Self::TlsV13),
            _ => None,
        }
    }
}

/// The TLS settings of one socket. Mirrors `QSslConfiguration`. `None` means "the global
/// default at handshake time".
#[derive(Debug, Clone, Default)]
pub struct SslConfiguration {
    /// Allowed versions.
    pub protocol: Protocol,
    /// The CA database; `None` uses the global one.
    pub ca_certificates: Option<Vec<Certificate>>,
    /// The cipher list; `None` uses the global one.
    pub ciphers: Option<Vec<Cipher>>,
    /// The key exchange groups, IANA names, most preferred first; `None` uses every group of
    /// the provider in its default order (X25519MLKEM768 first).
    pub key_exchange_groups: Option<Vec<String>>,
    /// The certificate presented to the peer.
    pub local_certificate: Option<Certificate>,
    /// The key of `local_certificate`.
    pub private_key: Option<Key>,
    /// The name to verify the peer's certificate against, when not the host connected to.
    pub peer_verify_name: String,
    /// Whether the peer's certificate is requested and checked.
    pub peer_verify_mode: PeerVerifyMode,
    /// Certificate revocation lists checked for the peer's chain.
    pub crls: Vec<CertificateRevocationListDer<'static>>,
    /// Stop the handshake on certificate errors instead of failing it.
    pub handshake_must_interrupt_on_error: bool,
    /// ALPN protocols offered (client) or accepted (server), most preferred first.
    pub allowed_next_protocols: Vec<Vec<u8>>,
    /// Intermediates sent after the local certificate, leaf side first.
    pub local_intermediates: Vec<Certificate>,
    /// Server identities chosen by the name a client asks for (SNI).
    pub sni_identities: Vec<SniIdentity>,
    /// Check the OCSP response the server staples (client; `setOcspStaplingEnabled`).
    pub ocsp_stapling: bool,
    /// The DER OCSP response stapled to the local certificate (server), checked to parse.
    pub ocsp_response: Option<Vec<u8>>,
}

/// A server identity for one SNI host name.
#[derive(Debug, Clone)]
pub struct SniIdentity {
    /// The host name clients ask for (ASCII, compared without case).
    pub host_name: String,
    /// The certificate chain, leaf first.
    pub chain: Vec<Certificate>,
    /// The leaf's private key.
    pub key: Key,
}

impl SniIdentity {
    /// Checks that the key can sign and matches the leaf.
    ///
    /// # Errors
    /// `InvalidInput` for an empty chain, a public key or a key that does not match.
    pub fn certified_key(&self) -> Result<Arc<CertifiedKey>, SocketError> {
        certified_key(&self.chain, &self.key)
    }
}

fn certified_key(chain: &[Certificate], key: &Key) -> Result<Arc<CertifiedKey>, SocketError> {
    if chain.is_empty() {
        return Err(SocketError::invalid_input("the certificate chain is empty"));
    }
    let der = key
        .private_key_der()
        .ok_or_else(|| SocketError::invalid_input("the private key is a public key"))?;
    let signing_key = crypto::provider()
        .key_provider
        .load_private_key(der)
        .map_err(identity_error)?;
    check_key_matches(chain, &*signing_key)?;
    let certs = chain.iter().map(|c| c.der().clone()).collect();
    Ok(Arc::new(CertifiedKey::new(certs, signing_key)))
}

/// Checks that `key` belongs to the leaf of `chain` by signing a message with it and verifying
/// the signature with the certificate (the provider's keys cannot report their public key).
fn check_key_matches(chain: &[Certificate], key: &dyn SigningKey) -> Result<(), SocketError> {
    use rustls::SignatureScheme as S;
    use rustls_pki_types::alg_id;
    const SCHEMES: [S; 5] = [
        S::ECDSA_NISTP256_SHA256,
        S::ECDSA_NISTP384_SHA384,
        S::ED25519,
        S::RSA_PSS_SHA256,
        S::RSA_PKCS1_SHA256,
    ];
    const MESSAGE: &[u8] = b"sslsocket: does this key belong to this certificate?";
    let mismatch = || SocketError::invalid_input("the private key does not match the certificate");
    let leaf = chain.first().ok_or_else(mismatch)?;
    let signer = key.choose_scheme(&SCHEMES).ok_or_else(mismatch)?;
    let signature = signer.sign(MESSAGE).map_err(|_| mismatch())?;
    let algorithm = match signer.scheme() {
        S::ECDSA_NISTP256_SHA256 => alg_id::ECDSA_SHA256,
        S::ECDSA_NISTP384_SHA384 => alg_id::ECDSA_SHA384,
        S::ED25519 => alg_id::ED25519,
        S::RSA_PSS_SHA256 => alg_id::RSA_PSS_SHA256,
        _ => alg_id::RSA_PKCS1_SHA256,
    };
    if leaf.verifies(algorithm, MESSAGE, &signature) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// ALPN protocol names are 1 to 255 bytes (RFC 7301).
fn check_alpn(protocols: &[Vec<u8>]) -> Result<(), SocketError> {
    match protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
        Some(bad) => Err(SocketError::invalid_input(format!(
            "ALPN protocol names are 1 to 255 bytes; this one has {}",
            bad.len()
        ))),
        None => Ok(()),
    }
}

/// Picks the server identity by SNI, falling back to the default one.
#[derive(Debug)]
struct SniResolver {
    default: Option<Arc<CertifiedKey>>,
    by_name: Vec<(String, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        hello
            .server_name()
            .and_then(|name| {
                self.by_name
                    .iter()
                    .find(|(host, _)| host.eq_ignore_ascii_case(name))
                    .map(|(_, key)| key.clone())
            })
            .or_else(|| self.default.clone())
    }
}

/// Whether the peer's certificate is requested and checked. Mirrors `QSslSocket::PeerVerifyMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeerVerifyMode {
    /// Neither requested nor checked; no errors are reported.
    VerifyNone,
    /// Checked and reported, never fatal.
    QueryPeer,
    /// Checked; errors fail the handshake unless ignored.
    VerifyPeer,
    /// `VerifyPeer` for clients, `QueryPeer` for servers.
    #[default]
    AutoVerifyPeer,
}

impl PeerVerifyMode {
    /// The mode in effect for a client (`AutoVerifyPeer` resolved).
    pub fn for_client(self) -> Self {
        match self {
            Self::AutoVerifyPeer => Self::VerifyPeer,
            other => other,
        }
    }

    /// The mode in effect for a server (`AutoVerifyPeer` resolved).
    pub fn for_server(self) -> Self {
        match self {
            Self::AutoVerifyPeer => Self::QueryPeer,
            other => other,
        }
    }
}

/// Parses certificate revocation lists: PEM (`X509 CRL` blocks) or one DER CRL.
///
/// # Errors
/// `InvalidInput` when there is no CRL or one does not parse.
pub fn parse_crls(
    data: &[u8],
    format: crate::pki::EncodingFormat,
) -> Result<Vec<CertificateRevocationListDer<'static>>, SocketError> {
    use rustls_pki_types::pem::PemObject;
    let crls: Vec<CertificateRevocationListDer<'static>> = match format {
        crate::pki::EncodingFormat::Der => vec![CertificateRevocationListDer::from(data.to_vec())],
        crate::pki::EncodingFormat::Pem => CertificateRevocationListDer::pem_slice_iter(data)
            .collect::<Result<_, _>>()
            .map_err(|e| SocketError::invalid_input(format!("bad PEM CRL: {e}")))?,
    };
    if crls.is_empty() {
        return Err(SocketError::invalid_input(
            "no certificate revocation list found",
        ));
    }
    for crl in &crls {
        webpki::OwnedCertRevocationList::from_der(crl)
            .map_err(|e| SocketError::invalid_input(format!("malformed CRL: {e}")))?;
    }
    Ok(crls)
}

impl SslConfiguration {
    /// Sets the protocol (`setProtocol`).
    ///
    /// # Errors
    /// `UnsupportedProtocol` for SSL 2 and 3; the setting is left unchanged.
    pub fn set_protocol(&mut self, protocol: Protocol) -> Result<(), SocketError> {
        protocol.versions()?;
        self.protocol = protocol;
        Ok(())
    }

    /// Sets the private key (`setPrivateKey`).
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

    /// Sets the local certificate and its intermediates, leaf first; an empty chain clears it
    /// (`setLocalCertificateChain`).
    pub fn set_local_certificate_chain(&mut self, chain: Vec<Certificate>) {
        let mut chain = chain.into_iter();
        self.local_certificate = chain.next();
        self.local_intermediates = chain.collect();
    }

    /// Adds to the CA database, starting from the global one when it was not set
    /// (`addCaCertificates`); certificates already there are skipped.
    pub fn add_ca_certificates(&mut self, certificates: impl IntoIterator<Item = Certificate>) {
        let list = self
            .ca_certificates
            .get_or_insert_with(global_ca_certificates);
        for certificate in certificates {
            if !list.contains(&certificate) {
                list.push(certificate);
            }
        }
    }

    /// The CA database in effect (`caCertificates()`).
    pub fn effective_ca_certificates(&self) -> Vec<Certificate> {
        self.ca_certificates
            .clone()
            .unwrap_or_else(global_ca_certificates)
    }

    /// The key exchange groups in effect, most preferred first, as IANA names.
    pub fn effective_key_exchange_groups(&self) -> Vec<String> {
        self.key_exchange_groups
            .clone()
            .unwrap_or_else(supported_group_names)
    }

    /// Sets the ALPN protocols offered (client) or accepted (server), most preferred first
    /// (`setAllowedNextProtocols`).
    ///
    /// # Errors
    /// `InvalidInput` for an empty name or one longer than 255 bytes (TLS cannot carry them).
    pub fn set_allowed_next_protocols(
        &mut self,
        protocols: Vec<Vec<u8>>,
    ) -> Result<(), SocketError> {
        check_alpn(&protocols)?;
        self.allowed_next_protocols = protocols;
        Ok(())
    }

    /// The ALPN list, checked again when a TLS configuration is built from it (the field is
    /// public).
    fn checked_alpn(&self) -> Result<Vec<Vec<u8>>, SocketError> {
        check_alpn(&self.allowed_next_protocols)?;
        Ok(self.allowed_next_protocols.clone())
    }

    /// Sets the DER OCSP response a server staples to its certificate (given by the host, for
    /// example from `openssl ocsp -respout`); empty removes it.
    ///
    /// # Errors
    /// `InvalidInput` when the data is not a DER OCSPResponse.
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
                    "unknown key exchange group {name:?}; supported: {}",
                    supported_group_names().join(", ")
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

    /// The cipher list in effect (`ciphers()`).
    pub fn effective_ciphers(&self) -> Vec<Cipher> {
        self.ciphers.clone().unwrap_or_else(global_ciphers)
    }

    /// The rustls client configuration for these settings, shared by every socket with the same
    /// settings (so sessions resume, and configurations are not rebuilt per connection).
    ///
    /// # Errors
    /// As [`Self::client_config`].
    pub fn shared_client_config(&self) -> Result<Arc<ClientConfig>, SocketError> {
        static CACHE: Mutex<Vec<(u64, Arc<ClientConfig>)>> = Mutex::new(Vec::new());
        const CAPACITY: usize = 32;
        let key = self.fingerprint();
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, config)) = cache.iter().find(|(k, _)| *k == key) {
            return Ok(config.clone());
        }
        let config = Arc::new(self.client_config(Arc::new(PeerVerifier::new(self)))?);
        if cache.len() >= CAPACITY {
            cache.remove(0);
        }
        cache.push((key, config.clone()));
        Ok(config)
    }

    /// A hash of everything that goes into a client configuration.
    fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        format!("{:?}", self.protocol).hash(&mut h);
        for cipher in self.effective_ciphers() {
            cipher.name.hash(&mut h);
        }
        self.key_exchange_groups.hash(&mut h);
        match &self.ca_certificates {
            Some(list) => list.hash(&mut h),
            None => lock_globals().ca_certificates.hash(&mut h),
        }
        for crl in &self.crls {
            crl.as_ref().hash(&mut h);
        }
        self.local_certificate.hash(&mut h);
        self.private_key.as_ref().map(|k| k.to_der()).hash(&mut h);
        format!("{:?}", self.peer_verify_mode).hash(&mut h);
        self.handshake_must_interrupt_on_error.hash(&mut h);
        self.ocsp_stapling.hash(&mut h);
        self.allowed_next_protocols.hash(&mut h);
        h.finish()
    }

    /// A rustls client configuration whose certificates are checked by `verifier`. Sessions are
    /// kept per component instance for resumption.
    ///
    /// # Errors
    /// `UnsupportedProtocol` when the protocol or ciphers leave nothing to negotiate,
    /// `InvalidInput` when the local certificate and key do not fit together.
    pub fn client_config(&self, verifier: Arc<PeerVerifier>) -> Result<ClientConfig, SocketError> {
        let builder = ClientConfig::builder_with_provider(self.crypto_provider()?)
            .with_protocol_versions(self.protocol.versions()?)
            .map_err(|e| SocketError::UnsupportedProtocol(no_suites_message(e)))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match self.identity()? {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(identity_error)?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.checked_alpn()?;
        config.resumption = Resumption::store(client_session_cache());
        Ok(config)
    }

    /// A rustls server configuration presenting the local certificate and key, checking client
    /// certificates with `verifier`, and keeping sessions in `sessions` when given (a server
    /// shares one store between its connections).
    ///
    /// # Errors
    /// `InvalidState` without a local certificate and private key, otherwise as
    /// [`Self::client_config`].
    pub fn server_config(
        &self,
        verifier: Arc<PeerVerifier>,
        sessions: Option<Arc<dyn StoresServerSessions>>,
    ) -> Result<ServerConfig, SocketError> {
        let default = match (&self.local_certificate, &self.private_key) {
            (Some(cert), Some(key)) => {
                let certified = certified_key(&self.local_chain(cert), key)?;
                Some(match &self.ocsp_response {
                    Some(ocsp) => Arc::new(CertifiedKey {
                        ocsp: Some(ocsp.clone()),
                        ..(*certified).clone()
                    }),
                    None => certified,
                })
            }
            _ => None,
        };
        if default.is_none() && self.sni_identities.is_empty() {
            return Err(SocketError::invalid_state(
                "a server handshake needs a local certificate and a private key (set-local-certificate, set-private-key)",
            ));
        }
        let by_name = self
            .sni_identities
            .iter()
            .map(|identity| Ok((identity.host_name.clone(), identity.certified_key()?)))
            .collect::<Result<Vec<_>, SocketError>>()?;
        let mut config = ServerConfig::builder_with_provider(self.crypto_provider()?)
            .with_protocol_versions(self.protocol.versions()?)
            .map_err(|e| SocketError::UnsupportedProtocol(no_suites_message(e)))?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(SniResolver { default, by_name }));
        config.alpn_protocols = self.checked_alpn()?;
        if let Some(sessions) = sessions {
            config.session_storage = sessions;
        }
        Ok(config)
    }

    /// The CA database in effect as a [`TrustStore`]; the system roots' store is built once.
    pub fn trust_store(&self) -> Arc<TrustStore> {
        static SYSTEM: OnceLock<Arc<TrustStore>> = OnceLock::new();
        let system = self.ca_certificates.is_none() && lock_globals().ca_certificates.is_none();
        if system {
            SYSTEM
                .get_or_init(|| Arc::new(TrustStore::new(&system_ca_certificates())))
                .clone()
        } else {
            Arc::new(TrustStore::new(&self.effective_ca_certificates()))
        }
    }

    fn crypto_provider(&self) -> Result<Arc<rustls::crypto::CryptoProvider>, SocketError> {
        let suites: Vec<_> = self
            .effective_ciphers()
            .iter()
            .filter_map(Cipher::supported_suite)
            .collect();
        if suites.is_empty() {
            return Err(SocketError::UnsupportedProtocol(
                "the cipher list is empty".into(),
            ));
        }
        let groups: Vec<_> = self
            .effective_key_exchange_groups()
            .iter()
            .filter_map(|name| crypto::group_by_name(name))
            .collect();
        let versions = self.protocol.versions()?;
        if !groups
            .iter()
            .any(|g| versions.iter().any(|v| g.usable_for_version(v.version)))
        {
            return Err(SocketError::UnsupportedProtocol(
                "no key exchange group is usable with the protocol versions allowed (the \
                 post-quantum hybrids are TLS 1.3 only)"
                    .into(),
            ));
        }
        Ok(crypto::provider_with(suites, groups))
    }

    /// The local certificate followed by its intermediates.
    fn local_chain(&self, leaf: &Certificate) -> Vec<Certificate> {
        std::iter::once(leaf)
            .chain(&self.local_intermediates)
            .cloned()
            .collect()
    }

    fn identity(
        &self,
    ) -> Result<
        Option<(
            Vec<rustls_pki_types::CertificateDer<'static>>,
            rustls_pki_types::PrivateKeyDer<'static>,
        )>,
        SocketError,
    > {
        match (&self.local_certificate, &self.private_key) {
            (Some(cert), Some(key)) => {
                let key = key
                    .private_key_der()
                    .ok_or_else(|| SocketError::invalid_input("the private key is a public key"))?;
                let chain = self.local_chain(cert);
                let signing_key = crypto::provider()
                    .key_provider
                    .load_private_key(key.clone_key())
                    .map_err(identity_error)?;
                check_key_matches(&chain, &*signing_key)?;
                Ok(Some((chain.iter().map(|c| c.der().clone()).collect(), key)))
            }
            _ => Ok(None),
        }
    }
}

fn identity_error(e: rustls::Error) -> SocketError {
    SocketError::invalid_input(format!("local certificate or private key: {e}"))
}

/// The client session store of one configuration. Each configuration has its own, so a
/// session is only resumed under the settings (CA database, verify mode, CRLs...) that verified
/// it, as OpenSSL keeps sessions per `SSL_CTX`.
fn client_session_cache() -> Arc<dyn ClientSessionStore> {
    Arc::new(VerifiedSessions(ClientSessionMemoryCache::new(64)))
}

/// A client session store that keeps only sessions whose handshake verified cleanly. A session
/// accepted by ignoring certificate errors must not let a later socket, which ignores nothing,
/// skip verification by resuming it.
#[derive(Debug)]
struct VerifiedSessions(ClientSessionMemoryCache);

impl ClientSessionStore for VerifiedSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        if !verify::current_handshake_had_errors() {
            self.0.set_tls12_session(server_name, value);
        }
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.0.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.0.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        if !verify::current_handshake_had_errors() {
            self.0.insert_tls13_ticket(server_name, value);
        }
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.0.take_tls13_ticket(server_name)
    }
}

/// A plain-language message for rustls' "no usable cipher suites" error.
fn no_suites_message(e: rustls::Error) -> String {
    format!("no cipher in the list can be used with the chosen protocol versions ({e})")
}

// ----- per-instance globals (`QSslSocket`'s static members) -----

#[derive(Default)]
struct Globals {
    ca_certificates: Option<Vec<Certificate>>,
    ciphers: Option<Vec<Cipher>>,
}

static GLOBALS: Mutex<Globals> = Mutex::new(Globals {
    ca_certificates: None,
    ciphers: None,
});

fn lock_globals() -> MutexGuard<'static, Globals> {
    GLOBALS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The global CA database (`globalCaCertificates()`): the system CAs until changed.
pub fn global_ca_certificates() -> Vec<Certificate> {
    lock_globals()
        .ca_certificates
        .clone()
        .unwrap_or_else(system_ca_certificates)
}

/// Replaces the global CA database (`setGlobalCaCertificates()`).
pub fn set_global_ca_certificates(certificates: Vec<Certificate>) {
    lock_globals().ca_certificates = Some(certificates);
}

/// Adds to the global CA database (`addGlobalCaCertificates()`).
pub fn add_global_ca_certificates(certificates: impl IntoIterator<Item = Certificate>) {
    let mut globals = lock_globals();
    let list = globals
        .ca_certificates
        .get_or_insert_with(system_ca_certificates);
    for cert in certificates {
        if !list.contains(&cert) {
            list.push(cert);
        }
    }
}

/// The system CA database (`systemCaCertificates()`): Mozilla's roots from `webpki-root-certs`,
/// built once per instance and shared by every copy.
pub fn system_ca_certificates() -> Vec<Certificate> {
    static ROOTS: OnceLock<Vec<Certificate>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from(der.clone().into_owned()))
                .collect()
        })
        .clone()
}

/// Every key exchange group the provider supports, most preferred first
/// (`supportedEllipticCurves`).
pub fn supported_group_names() -> Vec<String> {
    crypto::all_groups()
        .iter()
        .map(|g| crypto::group_name(g.name()))
        .collect()
}

/// The default cipher list of new sockets (`globalCiphers`).
pub fn global_ciphers() -> Vec<Cipher> {
    lock_globals()
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
    lock_globals().ciphers = Some(ciphers);
    Ok(())
}

/// Goes back to every supported cipher (`resetGlobalCiphers()`).
pub fn reset_global_ciphers() {
    lock_globals().ciphers = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obsolete_protocols_are_refused() {
        assert!(matches!(
            Protocol::SslV3.versions(),
            Err(SocketError::UnsupportedProtocol(_))
        ));
        assert!(matches!(
            Protocol::SslV2.versions(),
            Err(SocketError::UnsupportedProtocol(_))
        ));
        assert_eq!(Protocol::TlsV1.versions().map(<[_]>::len), Ok(1));
        assert_eq!(Protocol::default(), Protocol::SecureProtocols);
    }

    #[test]
    fn tls13_only_with_tls12_ciphers_is_unsupported() {
        let config = SslConfiguration {
            protocol: Protocol::TlsV13,
            ciphers: cipher::parse_cipher_list("ECDHE-ECDSA-AES128-GCM-SHA256").ok(),
            ..SslConfiguration::default()
        };
        let verifier = Arc::new(PeerVerifier::new(&config));
        assert!(matches!(
            config.client_config(verifier),
            Err(SocketError::UnsupportedProtocol(_))
        ));
    }

    #[test]
    fn tls12_only_with_only_post_quantum_groups_is_an_error_not_a_panic() {
        // The hybrids are TLS 1.3 only: a TLS 1.2-only socket limited to them has no group.
        let mut config = SslConfiguration {
            protocol: Protocol::TlsV12,
            ..SslConfiguration::default()
        };
        assert!(
            config
                .set_key_exchange_groups(&["X25519MLKEM768".to_owned()])
                .is_ok()
        );
        let verifier = Arc::new(PeerVerifier::new(&config));
        assert!(matches!(
            config.client_config(verifier),
            Err(SocketError::UnsupportedProtocol(_))
        ));
        assert!(config.set_key_exchange_groups(&[]).is_err());
        assert_eq!(config.effective_key_exchange_groups(), ["X25519MLKEM768"]);
    }

    #[test]
    fn server_config_needs_an_identity() {
        let config = SslConfiguration::default();
        let verifier = Arc::new(PeerVerifier::new(&config));
        assert!(matches!(
            config.server_config(verifier, None),
            Err(SocketError::InvalidState(_))
        ));
    }
}
