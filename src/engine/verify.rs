//! Certificate verification that collects every `QSslError`, not just the first.
//!
//! rustls-webpki decides whether a chain is valid; it stops at the first problem, so the extra
//! checks here (validity of each certificate, self-signed roots, path lengths, key sizes, host
//! name) find the rest and say which certificate each error concerns, in the order Qt reports
//! them with OpenSSL: chain building, CA/purpose checks, key strength, revocation, then signature
//! and time checks from the top of the chain down, and the host name last. A chain webpki rejects
//! is never accepted unless the caller ignored the errors.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::DistinguishedName;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use webpki::{CertRevocationList, OwnedCertRevocationList};

use super::config::{PeerVerifyMode, SslConfiguration};
use super::errors::{SslError, SslErrorEntry};
use crate::crypto;
use crate::pki::Certificate;

/// What the verifier found in the last handshake, and what the caller decided to accept; shared
/// between a socket and its verifier.
#[derive(Debug, Default)]
pub struct VerifyLog {
    /// Every error found, with its certificate.
    pub errors: Vec<SslErrorEntry>,
    /// The peer's chain as sent, leaf first.
    pub chain: Vec<Certificate>,
    /// `ignoreSslErrors()` was called: accept whatever the errors.
    pub ignore_all: bool,
    /// `ignoreSslErrors(list)`: accept exactly these errors (no certificate: any certificate).
    pub ignore_list: Vec<(SslError, Option<Certificate>)>,
    /// The handshake was let through only to be interrupted on its errors.
    pub interrupted: bool,
}

impl VerifyLog {
    /// Whether every error found has been ignored (Qt's `verifyErrorsHaveBeenIgnored`).
    pub fn errors_ignored(&self) -> bool {
        self.ignore_all
            || self.errors.iter().all(|found| {
                self.ignore_list.iter().any(|(error, cert)| {
                    *error == found.error
                        && cert
                            .as_ref()
                            .is_none_or(|c| Some(c) == found.certificate.as_ref())
                })
            })
    }
}

/// The log of one socket's verifications.
pub type SharedVerifyLog = Arc<Mutex<VerifyLog>>;

thread_local! {
    static CURRENT_LOG: RefCell<Option<SharedVerifyLog>> = const { RefCell::new(None) };
}

/// Runs `f` (which drives rustls) with `log` receiving the verifications that happen inside.
///
/// Verifiers are shared between sockets with the same settings (rustls resumes a session only
/// with the configuration that made it), so the socket whose packets are processed says where
/// its results go.
pub fn with_log<R>(log: &SharedVerifyLog, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT_LOG.with(|current| current.replace(Some(log.clone())));
    let result = f();
    CURRENT_LOG.with(|current| current.replace(previous));
    result
}

/// Whether the handshake being processed (inside [`with_log`]) found certificate errors, even
/// ignored ones.
pub fn current_handshake_had_errors() -> bool {
    CURRENT_LOG.with(|current| {
        current
            .borrow()
            .as_ref()
            .is_some_and(|log| !lock(log).errors.is_empty())
    })
}

fn current_log() -> SharedVerifyLog {
    CURRENT_LOG
        .with(|current| current.borrow().clone())
        .unwrap_or_default()
}

/// Locks a shared log, surviving a poisoned lock.
pub fn lock(log: &SharedVerifyLog) -> MutexGuard<'_, VerifyLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The rustls server-certificate verifier of a client socket.
#[derive(Debug)]
pub struct PeerVerifier {
    anchors: Vec<TrustAnchor<'static>>,
    crls: Vec<CertRevocationList<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
    mode: PeerVerifyMode,
    interrupt_on_error: bool,
}

impl PeerVerifier {
    /// A verifier with `config`'s CA database, CRLs and modes; it records what it finds in the
    /// log given to [`with_log`].
    pub fn new(config: &SslConfiguration) -> Self {
        Self {
            anchors: config.trust_anchors(),
            crls: config
                .crls
                .iter()
                .filter_map(|crl| {
                    OwnedCertRevocationList::from_der(crl)
                        .ok()
                        .map(CertRevocationList::from)
                })
                .collect(),
            algorithms: crypto::provider().signature_verification_algorithms,
            mode: config.peer_verify_mode,
            interrupt_on_error: config.handshake_must_interrupt_on_error,
        }
    }
}

impl PeerVerifier {
    /// Verifies the peer's chain for `purpose`, records the outcome and decides.
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: Option<&ServerName<'_>>,
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), rustls::Error> {
        let mode = match purpose {
            Purpose::ServerAuth => self.mode.for_client(),
            Purpose::ClientAuth => self.mode.for_server(),
        };
        let chain: Vec<Certificate> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| Certificate::from(c.clone().into_owned()))
            .collect();
        let errors = if mode == PeerVerifyMode::VerifyNone {
            Vec::new()
        } else {
            let context = Context {
                anchors: &self.anchors,
                crls: &self.crls,
                algorithms: &self.algorithms,
                purpose,
            };
            verify_chain(&chain, &context, name, now)
        };
        let shared = current_log();
        let mut log = lock(&shared);
        log.chain = chain;
        log.errors = errors;
        log.interrupted = false;
        match log.errors.first().map(|e| e.error) {
            None => Ok(()),
            Some(_) if mode == PeerVerifyMode::QueryPeer || log.errors_ignored() => Ok(()),
            Some(_) if self.interrupt_on_error => {
                log.interrupted = true;
                Ok(())
            }
            Some(error) => Err(rustls::Error::InvalidCertificate(certificate_error(error))),
        }
    }
}

/// The handshake-signature checks, the same for both verifier traits: the provider's algorithms.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(
            end_entity,
            intermediates,
            Some(server_name),
            now,
            Purpose::ServerAuth,
        )
        .map(|()| ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

impl ClientCertVerifier for PeerVerifier {
    fn offer_client_auth(&self) -> bool {
        self.mode.for_server() != PeerVerifyMode::VerifyNone
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mode.for_server() == PeerVerifyMode::VerifyPeer
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity, intermediates, None, now, Purpose::ClientAuth)
            .map(|()| ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

/// What a certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server's certificate (extended key usage serverAuth).
    ServerAuth,
    /// A TLS client's certificate (extended key usage clientAuth).
    ClientAuth,
}

/// What a chain is verified against.
pub struct Context<'a> {
    /// Trusted roots.
    pub anchors: &'a [TrustAnchor<'a>],
    /// Revocation lists; empty for no revocation checking.
    pub crls: &'a [CertRevocationList<'a>],
    /// Signature algorithms accepted.
    pub algorithms: &'a WebPkiSupportedAlgorithms,
    /// What the leaf must be good for.
    pub purpose: Purpose,
}

/// Verifies `chain` (leaf first) for `context.purpose` and returns every error found, in Qt's
/// order; `name` is checked against the leaf when given.
pub fn verify_chain(
    chain: &[Certificate],
    context: &Context<'_>,
    name: Option<&ServerName<'_>>,
    now: UnixTime,
) -> Vec<SslErrorEntry> {
    let Some(leaf) = chain.first() else {
        return vec![entry(SslError::NoPeerCertificate, None)];
    };
    let Ok(end_entity) = webpki::EndEntityCert::try_from(leaf.der()) else {
        return vec![entry(SslError::UnspecifiedError, Some(leaf))];
    };
    let mut errors = Vec::new();

    // A leaf that is itself in the CA database is trusted as it is (Qt and OpenSSL do so, e.g.
    // for a self-signed certificate added on purpose); only its dates and name are checked.
    let directly_trusted = context.anchors.iter().any(|anchor| is_anchor(leaf, anchor));
    let mut unverified_single = false;
    // The certificates of the path webpki built (leaf first), when it built one: a peer may send
    // extra certificates that are not part of it, and those are not checked further.
    let mut path_used: Option<Vec<CertificateDer<'static>>> = None;
    if !directly_trusted {
        let intermediates: Vec<CertificateDer<'_>> =
            chain.iter().skip(1).map(|c| c.der().clone()).collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = context.crls.iter().collect();
        let revocation = webpki::RevocationOptionsBuilder::new(&crl_refs)
            .ok()
            .map(|builder| {
                builder
                    .with_depth(webpki::RevocationCheckDepth::Chain)
                    .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                    .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                    .build()
            });
        let path = |time: UnixTime| {
            end_entity
                .verify_for_usage(
                    context.algorithms.all,
                    context.anchors,
                    &intermediates,
                    time,
                    match context.purpose {
                        Purpose::ServerAuth => webpki::KeyUsage::server_auth(),
                        Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
                    },
                    revocation,
                    None,
                )
                .map(|path| {
                    Some(
                        path.intermediate_certificates()
                            .map(|c| c.der().into_owned())
                            .collect::<Vec<_>>(),
                    )
                })
        };
        let mut result = path(now);
        if matches!(result, Err(ref e) if is_time_error(e)) {
            // Time errors are found below, per certificate; look for the others at a moment when
            // the leaf is valid.
            let middle = leaf.effective_date() / 2 + leaf.expiry_date() / 2;
            let moment =
                UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(middle).unwrap_or(0)));
            result = path(moment).or_else(|e| if is_time_error(&e) { Ok(None) } else { Err(e) });
        }
        match result {
            Ok(intermediates) => path_used = intermediates,
            Err(e) => unverified_single = path_errors(&e, chain, context.crls, &mut errors),
        }
    }
    let on_path = |cert: &Certificate| {
        path_used
            .as_ref()
            .is_none_or(|path| std::ptr::eq(cert, leaf) || path.iter().any(|der| der == cert.der()))
    };

    for cert in chain.iter().filter(|c| on_path(c)) {
        if cert
            .rsa_key_bits()
            .is_some_and(|bits| bits < crypto::MIN_RSA_BITS)
        {
            errors.push(entry(SslError::UnspecifiedError, Some(cert)));
        }
    }
    if unverified_single {
        errors.push(entry(SslError::UnableToVerifyFirstCertificate, Some(leaf)));
    }
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    for cert in chain.iter().rev().filter(|c| on_path(c)) {
        if cert.is_not_yet_valid_at(now_secs) {
            errors.push(entry(SslError::CertificateNotYetValid, Some(cert)));
        }
        if cert.is_expired_at(now_secs) {
            errors.push(entry(SslError::CertificateExpired, Some(cert)));
        }
    }
    if let Some(name) = name
        && end_entity.verify_is_valid_for_subject_name(name).is_err()
    {
        errors.push(entry(SslError::HostNameMismatch, Some(leaf)));
    }
    errors.dedup();
    errors
}

fn entry(error: SslError, certificate: Option<&Certificate>) -> SslErrorEntry {
    SslErrorEntry {
        error,
        certificate: certificate.cloned(),
    }
}

/// Whether `anchor` was made from `certificate`: same subject and same public key.
fn is_anchor(certificate: &Certificate, anchor: &TrustAnchor<'_>) -> bool {
    let subject = certificate.subject_raw();
    let spki = certificate.subject_public_key_info_raw();
    der_contents(&subject) == Some(anchor.subject.as_ref())
        && der_contents(&spki) == Some(anchor.subject_public_key_info.as_ref())
}

/// The contents of a DER element, without its tag and length.
fn der_contents(element: &[u8]) -> Option<&[u8]> {
    let first_length = *element.get(1)?;
    let header = if first_length < 0x80 {
        2
    } else {
        2 + usize::from(first_length & 0x7f)
    };
    element.get(header..)
}

fn is_time_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. }
            | webpki::Error::CertNotValidYet { .. }
            | webpki::Error::InvalidCertValidity
    )
}

/// Maps webpki's path-building error to Qt's errors. Returns whether the chain is a single
/// certificate whose issuer is unknown (OpenSSL then also reports
/// `unable-to-verify-first-certificate`, in its signature pass).
fn path_errors(
    e: &webpki::Error,
    chain: &[Certificate],
    crls: &[CertRevocationList<'_>],
    errors: &mut Vec<SslErrorEntry>,
) -> bool {
    use webpki::Error as E;
    let leaf = chain.first();
    let top = chain.last();
    let single_self_signed = chain.len() == 1 && leaf.is_some_and(Certificate::is_self_signed);
    match e {
        E::UnknownIssuer => {
            if single_self_signed {
                errors.push(entry(SslError::SelfSignedCertificate, leaf));
            } else if chain.len() > 1 && top.is_some_and(Certificate::is_self_signed) {
                errors.push(entry(SslError::SelfSignedCertificateInChain, top));
            } else {
                errors.push(entry(SslError::UnableToGetLocalIssuerCertificate, top));
                return chain.len() == 1;
            }
        }
        E::CaUsedAsEndEntity if single_self_signed => {
            errors.push(entry(SslError::SelfSignedCertificate, leaf));
        }
        E::CertRevoked => {
            let revoked = chain.iter().find(|c| is_revoked(c, crls)).or(leaf);
            errors.push(entry(SslError::CertificateRevoked, revoked));
        }
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => {
            errors.push(entry(
                SslError::PathLengthExceeded,
                path_length_violator(chain).or(top),
            ));
        }
        E::RequiredEkuNotFoundContext(_) | E::CaUsedAsEndEntity => {
            errors.push(entry(SslError::InvalidPurpose, leaf));
        }
        E::EndEntityUsedAsCa => {
            let not_ca = chain.iter().skip(1).find(|c| !c.is_ca()).or(chain.get(1));
            errors.push(entry(SslError::InvalidCaCertificate, not_ca));
        }
        E::InvalidSignatureForPublicKey => {
            errors.push(entry(SslError::CertificateSignatureFailed, leaf));
        }
        E::CertNotValidForName(_) => errors.push(entry(SslError::HostNameMismatch, leaf)),
        _ => errors.push(entry(SslError::UnspecifiedError, leaf)),
    }
    false
}

/// The certificate whose basicConstraints path length the chain exceeds.
fn path_length_violator(chain: &[Certificate]) -> Option<&Certificate> {
    chain.iter().enumerate().skip(1).find_map(|(depth, cert)| {
        // `depth - 1` CA certificates stand between this one and the leaf.
        let limit = cert.path_length_constraint()?;
        (usize::try_from(limit).unwrap_or(usize::MAX) < depth - 1).then_some(cert)
    })
}

fn is_revoked(cert: &Certificate, crls: &[CertRevocationList<'_>]) -> bool {
    let issuer = cert.issuer_raw();
    let serial = cert.serial_raw();
    crls.iter().any(|crl| {
        der_contents(&issuer) == Some(crl.issuer())
            && matches!(crl.find_serial(&serial), Ok(Some(_)))
    })
}

/// The rustls error (and so the TLS alert) for the first verification error.
fn certificate_error(error: SslError) -> CertificateError {
    match error {
        SslError::CertificateExpired => CertificateError::Expired,
        SslError::CertificateNotYetValid => CertificateError::NotValidYet,
        SslError::CertificateRevoked => CertificateError::Revoked,
        SslError::HostNameMismatch => CertificateError::NotValidForName,
        SslError::CertificateSignatureFailed => CertificateError::BadSignature,
        SslError::SelfSignedCertificate
        | SslError::SelfSignedCertificateInChain
        | SslError::UnableToGetLocalIssuerCertificate
        | SslError::UnableToVerifyFirstCertificate => CertificateError::UnknownIssuer,
        _ => CertificateError::ApplicationVerificationFailure,
    }
}
