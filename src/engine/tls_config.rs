//! Settings to rustls: the client and server configurations built from an [`SslConfiguration`],
//! with the verifier, identity, ALPN, session stores and crypto provider they need.
//!
//! Client configurations, and the server configurations of sockets that run their own server
//! handshake, are cached by the settings they are built from (resolved, so the instance
//! defaults in effect count too): sockets with equal settings share one configuration, so their
//! sessions resume, and a configuration is not rebuilt per connection.

use std::sync::{Arc, Mutex};

use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls12Resumption, Tls13ClientSessionValue,
};
use rustls::server::{ClientHello, ProducesTickets, ResolvesServerCert, StoresServerSessions};
use rustls::sign::{CertifiedKey, SigningKey, SingleCertAndKey};
use rustls::{ClientConfig, NamedGroup, ServerConfig};
use rustls_pki_types::ServerName;

use super::certificate_list::CertificateList;
use super::cipher::Cipher;
use super::errors::SocketError;
use super::globals;
use super::keying_material;
use super::settings::SslConfiguration;
use super::x509::{self, Crl, PeerVerifier, TrustStore, VerifyPolicy};
use crate::pki::{Certificate, Key};
use sslsocket_crypto as crypto;

/// How many client (and, apart, socket server) configurations a cache keeps (the oldest goes
/// first).
const CONFIG_CACHE: usize = 32;
/// How many trust stores the cache keeps.
const TRUST_CACHE: usize = 8;

/// The rustls client configuration for `settings`, shared by every socket whose resolved
/// settings are equal.
///
/// # Errors
/// `UnsupportedProtocol` when the protocol, ciphers or groups leave nothing to negotiate,
/// `InvalidInput` when the local certificate and key do not fit together.
pub fn client_config(settings: &SslConfiguration) -> Result<Arc<ClientConfig>, SocketError> {
    static CACHE: ConfigCache<ClientConfig> = Mutex::new(Vec::new());
    cached(&CACHE, settings, build_client_config)
}

/// The rustls server configuration for a socket's own server handshake (STARTTLS, adopted or
/// memory connections; not one a server accepted, which shares its server's), shared by every
/// such socket whose resolved settings are equal, with one session store between them (as
/// OpenSSL keeps sessions per `SSL_CTX`) and the instance's default ticketer.
///
/// # Errors
/// As [`server_config`].
pub fn socket_server_config(settings: &SslConfiguration) -> Result<Arc<ServerConfig>, SocketError> {
    static CACHE: ConfigCache<ServerConfig> = Mutex::new(Vec::new());
    cached(&CACHE, settings, |key| server_config(key, None))
}

/// Built configurations by the resolved settings they were built from, oldest first.
type ConfigCache<C> = Mutex<Vec<(SslConfiguration, Arc<C>)>>;

/// The configuration `cache` holds for `settings` (resolved), else one `build` makes and the
/// cache keeps (dropping its oldest past [`CONFIG_CACHE`]).
fn cached<C>(
    cache: &ConfigCache<C>,
    settings: &SslConfiguration,
    build: impl FnOnce(&SslConfiguration) -> Result<C, SocketError>,
) -> Result<Arc<C>, SocketError> {
    let key = settings.resolved();
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, config)) = cache.iter().find(|(k, _)| *k == key) {
        return Ok(config.clone());
    }
    let config = Arc::new(build(&key)?);
    if cache.len() >= CONFIG_CACHE {
        cache.remove(0);
    }
    cache.push((key, config.clone()));
    Ok(config)
}

/// How a server resumes sessions: a session store (TLS 1.2 session ids) and a ticketer (session
/// tickets, TLS 1.3 and 1.2), shared by its connections.
#[derive(Clone)]
pub struct ServerResumption {
    /// Where sessions resumed by id are kept.
    pub sessions: Arc<dyn StoresServerSessions>,
    /// What seals and opens tickets; `None`: no tickets (only if the random generator failed).
    pub ticketer: Option<Arc<dyn ProducesTickets>>,
}

/// A rustls server configuration presenting the local certificate and key (or the SNI
/// identities), checking client certificates as `settings` say, and resuming sessions with
/// `resumption` when given (a server shares one between its connections), else with a store of
/// its own and the instance's default ticketer.
///
/// # Errors
/// `InvalidState` without a local certificate and private key, otherwise as
/// [`client_config`].
pub fn server_config(
    settings: &SslConfiguration,
    resumption: Option<&ServerResumption>,
) -> Result<ServerConfig, SocketError> {
    let default = match (settings.local_certificate(), settings.private_key()) {
        (Some(_), Some(key)) => {
            let certified = certified_key(&settings.local_certificate_chain(), key)?;
            Some(match settings.ocsp_response() {
                Some(ocsp) => Arc::new(CertifiedKey {
                    ocsp: Some(ocsp.to_vec()),
                    ..(*certified).clone()
                }),
                None => certified,
            })
        }
        _ => None,
    };
    if default.is_none() && settings.sni_identities().is_empty() {
        return Err(SocketError::invalid_state(
            "a server handshake needs a local certificate and a private key (set-local-certificate, set-private-key)",
        ));
    }
    let by_name = settings
        .sni_identities()
        .iter()
        .map(|identity| {
            Ok((
                identity.host_name.clone(),
                certified_key(&identity.chain, &identity.key)?,
            ))
        })
        .collect::<Result<Vec<_>, SocketError>>()?;
    let verifier = Arc::new(PeerVerifier::new(verify_policy(settings)));
    let mut config = ServerConfig::builder_with_provider(crypto_provider(settings)?)
        .with_protocol_versions(settings.protocol().versions()?)
        .map_err(|e| SocketError::UnsupportedProtocol(no_suites_message(e)))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SniResolver { default, by_name }));
    config.alpn_protocols = settings.allowed_next_protocols().to_vec();
    config.ignore_client_order = settings.server_cipher_preference();
    config.key_log = keying_material::capture(settings.dangerous_key_logging());
    if let Some(resumption) = resumption {
        config.session_storage = Arc::clone(&resumption.sessions);
    }
    let ticketer = match resumption {
        Some(resumption) => resumption.ticketer.clone(),
        None => globals::default_ticketer().map(|t| t as Arc<dyn ProducesTickets>),
    };
    if !settings.session_tickets() {
        config.send_tls13_tickets = 0;
    } else if let Some(ticketer) = ticketer {
        config.ticketer = ticketer;
    }
    Ok(config)
}

/// Checks that `key` can sign and belongs to the leaf of `chain`, and pairs them for rustls.
///
/// # Errors
/// `InvalidInput` for an empty chain, a public key or a key that does not match.
pub fn certified_key(chain: &[Certificate], key: &Key) -> Result<Arc<CertifiedKey>, SocketError> {
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

/// The part of `settings` verification needs.
fn verify_policy(settings: &SslConfiguration) -> VerifyPolicy {
    VerifyPolicy {
        store: trust_store(&settings.ca_certificates()),
        crls: settings
            .crls()
            .iter()
            .filter_map(|crl| Crl::from_der(crl))
            .collect(),
        mode: settings.peer_verify_mode(),
        interrupt_on_error: settings.handshake_must_interrupt_on_error(),
        ocsp_stapling: settings.ocsp_stapling(),
        depth: settings.peer_verify_depth(),
    }
}

/// The CA database `list` as a [`TrustStore`] (each certificate parsed once), cached by the list.
pub(crate) fn trust_store(list: &CertificateList) -> Arc<TrustStore> {
    static CACHE: Mutex<Vec<(CertificateList, Arc<TrustStore>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, store)) = cache.iter().find(|(k, _)| k == list) {
        return store.clone();
    }
    let store = Arc::new(TrustStore::new(list.certificates()));
    if cache.len() >= TRUST_CACHE {
        cache.remove(0);
    }
    cache.push((list.clone(), store.clone()));
    store
}

/// A rustls client configuration for resolved `settings`. Sessions are kept per configuration
/// for resumption.
fn build_client_config(settings: &SslConfiguration) -> Result<ClientConfig, SocketError> {
    let verifier = Arc::new(PeerVerifier::new(verify_policy(settings)));
    let builder = ClientConfig::builder_with_provider(crypto_provider(settings)?)
        .with_protocol_versions(settings.protocol().versions()?)
        .map_err(|e| SocketError::UnsupportedProtocol(no_suites_message(e)))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (settings.local_certificate(), settings.private_key()) {
        (Some(_), Some(key)) => {
            let certified = certified_key(&settings.local_certificate_chain(), key)?;
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = settings.allowed_next_protocols().to_vec();
    config.key_log = keying_material::capture(settings.dangerous_key_logging());
    let tickets = settings.session_tickets();
    config.resumption =
        Resumption::store(client_session_cache(tickets)).tls12_resumption(if tickets {
            Tls12Resumption::SessionIdOrTickets
        } else {
            Tls12Resumption::SessionIdOnly
        });
    Ok(config)
}

/// The provider limited to the cipher suites and key exchange groups `settings` allow.
fn crypto_provider(
    settings: &SslConfiguration,
) -> Result<Arc<rustls::crypto::CryptoProvider>, SocketError> {
    let suites: Vec<_> = settings
        .ciphers()
        .iter()
        .filter_map(Cipher::supported_suite)
        .collect();
    if suites.is_empty() {
        return Err(SocketError::UnsupportedProtocol(
            "the cipher list is empty".into(),
        ));
    }
    let groups: Vec<_> = settings
        .key_exchange_groups()
        .iter()
        .filter_map(|name| crypto::group_by_name(name))
        .collect();
    let versions = settings.protocol().versions()?;
    if !groups
        .iter()
        .any(|g| versions.iter().any(|v| g.usable_for_version(v.version)))
    {
        return Err(SocketError::UnsupportedProtocol(
            "no key exchange group is usable with the protocol versions allowed (the \
             ML-KEM groups, hybrid or pure, are TLS 1.3 only)"
                .into(),
        ));
    }
    Ok(crypto::provider_with(suites, groups))
}

/// Checks that `key` belongs to the leaf of `chain` by signing a message with it and verifying
/// the signature with the certificate (the provider's keys cannot report their public key).
fn check_key_matches(chain: &[Certificate], key: &dyn SigningKey) -> Result<(), SocketError> {
    use rustls::SignatureScheme as S;
    use rustls_pki_types::alg_id;
    const SCHEMES: [S; 6] = [
        S::ECDSA_NISTP256_SHA256,
        S::ECDSA_NISTP384_SHA384,
        S::ECDSA_NISTP521_SHA512,
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
        S::ECDSA_NISTP521_SHA512 => alg_id::ECDSA_SHA512,
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

fn identity_error(e: rustls::Error) -> SocketError {
    SocketError::invalid_input(format!("local certificate or private key: {e}"))
}

/// The client session store of one configuration. Each configuration has its own, so a
/// session is only resumed under the settings (CA database, verify mode, CRLs...) that verified
/// it, as OpenSSL keeps sessions per `SSL_CTX`. Without `tickets` it keeps no TLS 1.3 ticket.
fn client_session_cache(tickets: bool) -> Arc<dyn ClientSessionStore> {
    Arc::new(VerifiedSessions(ClientSessionMemoryCache::new(64), tickets))
}

/// A client session store that keeps only sessions whose handshake verified cleanly. A session
/// accepted by ignoring certificate errors must not let a later socket, which ignores nothing,
/// skip verification by resuming it. The flag: whether TLS 1.3 tickets are kept at all.
#[derive(Debug)]
struct VerifiedSessions(ClientSessionMemoryCache, bool);

impl ClientSessionStore for VerifiedSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        if !x509::verifier::current_handshake_had_errors() {
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
        if self.1 && !x509::verifier::current_handshake_had_errors() {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::cipher;
    use crate::engine::protocol::Protocol;

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
        let mut settings = SslConfiguration::default();
        assert!(settings.set_protocol(Protocol::TlsV13).is_ok());
        let ciphers =
            cipher::parse_cipher_list("ECDHE-ECDSA-AES128-GCM-SHA256").unwrap_or_default();
        assert!(settings.set_ciphers(ciphers).is_ok());
        assert!(matches!(
            client_config(&settings),
            Err(SocketError::UnsupportedProtocol(_))
        ));
    }

    #[test]
    fn tls12_only_with_only_post_quantum_groups_is_an_error_not_a_panic() {
        // The hybrids are TLS 1.3 only: a TLS 1.2-only socket limited to them has no group.
        let mut settings = SslConfiguration::default();
        assert!(settings.set_protocol(Protocol::TlsV12).is_ok());
        assert!(
            settings
                .set_key_exchange_groups(&["X25519MLKEM768".to_owned()])
                .is_ok()
        );
        assert!(matches!(
            client_config(&settings),
            Err(SocketError::UnsupportedProtocol(_))
        ));
        assert!(settings.set_key_exchange_groups(&[]).is_err());
        assert_eq!(settings.key_exchange_groups(), ["X25519MLKEM768"]);
    }

    #[test]
    fn server_config_needs_an_identity() {
        assert!(matches!(
            server_config(&SslConfiguration::default(), None),
            Err(SocketError::InvalidState(_))
        ));
    }

    #[test]
    fn equal_settings_share_a_client_config_and_different_ones_do_not() {
        let mut a = SslConfiguration::default();
        a.set_peer_verify_name("a.example".into());
        let b = a.clone();
        let first = client_config(&a).unwrap();
        assert!(Arc::ptr_eq(&first, &client_config(&b).unwrap()));
        let mut c = a.clone();
        c.set_handshake_must_interrupt_on_error(true);
        assert!(!Arc::ptr_eq(&first, &client_config(&c).unwrap()));
    }
}
