//! Certificate verification that collects every `QSslError`, not just the first.
//!
//! The errors are the ones Qt reports with OpenSSL, in Qt's order: the host name first (Qt
//! checks it itself before it translates OpenSSL's errors), then what OpenSSL's verifier finds,
//! step by step ([`super::chain`]). rustls-webpki verifies every chain as well: a chain webpki
//! refuses is never accepted, and when webpki's reason is not among the errors found it is added,
//! so ignoring the errors listed never lets through what webpki refused for another reason.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::DistinguishedName;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sslsocket_crypto as crypto;

use super::chain::{self, TrustStore, VerifiedSignature};
use super::config::{PeerVerifyMode, SslConfiguration};
use super::errors::{SslError, SslErrorEntry};
use super::facts::der_contents;
use super::ocsp::{self, OcspCheck, OcspStatus};
use super::revocation::Crl;
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
    /// The stapled OCSP responses checked (`ocspResponses()`).
    pub ocsp_responses: Vec<OcspStatus>,
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
    store: Arc<TrustStore>,
    crls: Vec<Crl>,
    algorithms: WebPkiSupportedAlgorithms,
    mode: PeerVerifyMode,
    interrupt_on_error: bool,
    ocsp_stapling: bool,
}

impl PeerVerifier {
    /// A verifier with `config`'s CA database, CRLs and modes; it records what it finds in the
    /// log given to [`with_log`].
    pub fn new(config: &SslConfiguration) -> Self {
        Self {
            store: config.trust_store(),
            crls: config
                .crls
                .iter()
                .filter_map(|crl| Crl::from_der(crl))
                .collect(),
            algorithms: crypto::provider().signature_verification_algorithms,
            mode: config.peer_verify_mode,
            interrupt_on_error: config.handshake_must_interrupt_on_error,
            ocsp_stapling: config.ocsp_stapling,
        }
    }
}

impl PeerVerifier {
    /// Verifies the peer's chain for `purpose` (and the stapled OCSP response of a server when
    /// asked for), records the outcome and decides.
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: Option<&ServerName<'_>>,
        now: UnixTime,
        purpose: Purpose,
        stapled: Option<&[u8]>,
    ) -> Result<(), rustls::Error> {
        let mode = match purpose {
            Purpose::ClientAuth => self.mode.for_server(),
            Purpose::ServerAuth | Purpose::OcspResponder => self.mode.for_client(),
        };
        let chain: Vec<Certificate> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| Certificate::from(c.clone().into_owned()))
            .collect();
        let mut ocsp = OcspCheck::default();
        if let Some(stapled) = stapled
            && self.ocsp_stapling
            && mode == PeerVerifyMode::VerifyPeer
        {
            ocsp = ocsp::check_stapled(stapled, &chain, &self.store, now.as_secs());
        }
        let mut errors = if mode == PeerVerifyMode::VerifyNone {
            Vec::new()
        } else {
            let context = Context {
                store: &self.store,
                crls: &self.crls,
                algorithms: &self.algorithms,
                purpose,
            };
            verify_chain(&chain, &context, name, now)
        };
        // Qt reports the OCSP errors before the host name and the chain's.
        errors.splice(0..0, ocsp.errors);
        let shared = current_log();
        let mut log = lock(&shared);
        log.chain = chain;
        log.errors = errors;
        log.ocsp_responses = ocsp.responses;
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
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(
            end_entity,
            intermediates,
            Some(server_name),
            now,
            Purpose::ServerAuth,
            Some(ocsp_response),
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
        self.check(
            end_entity,
            intermediates,
            None,
            now,
            Purpose::ClientAuth,
            None,
        )
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
    /// An OCSP responder's certificate (OpenSSL's OCSP helper purpose: CA checks only).
    OcspResponder,
}

/// What a chain is verified against.
pub struct Context<'a> {
    /// The CA database, as certificates (their own fields are checked like any CA's) and as
    /// webpki trust anchors.
    pub store: &'a TrustStore,
    /// Revocation lists; empty for no revocation checking.
    pub crls: &'a [Crl],
    /// Signature algorithms webpki accepts.
    pub algorithms: &'a WebPkiSupportedAlgorithms,
    /// What the leaf must be good for.
    pub purpose: Purpose,
}

/// Verifies `chain` (leaf first, as the peer sent it) for `context.purpose` and returns every
/// error found, in Qt's order; `name` is checked against the leaf when given.
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
    if let Some(name) = name
        && end_entity.verify_is_valid_for_subject_name(name).is_err()
    {
        errors.push(entry(SslError::HostNameMismatch, Some(leaf)));
    }
    // A leaf in the CA database is trusted as it is, which webpki cannot express.
    let webpki = if context.store.contains(leaf) {
        Ok(Vec::new())
    } else {
        webpki_path(&end_entity, chain, context, now)
    };
    let verified = webpki.as_deref().unwrap_or_default();
    errors.extend(chain::openssl_errors(
        chain,
        context.store,
        context.crls,
        context.purpose,
        now,
        verified,
    ));
    if let Err(refusal) = &webpki
        && let Some(reason) = unexplained(refusal, chain, &errors)
    {
        errors.push(reason);
    }
    errors
}

/// webpki's verdict on the path, with time errors set aside (the dates are checked per
/// certificate): when the leaf is out of its validity, the path is built at a moment inside it.
/// A path webpki verified gives the signatures it checked on the way.
fn webpki_path(
    end_entity: &webpki::EndEntityCert<'_>,
    chain: &[Certificate],
    context: &Context<'_>,
    now: UnixTime,
) -> Result<Vec<VerifiedSignature>, webpki::Error> {
    let intermediates: Vec<CertificateDer<'_>> =
        chain.iter().skip(1).map(|c| c.der().clone()).collect();
    let path = |time: UnixTime| {
        end_entity
            .verify_for_usage(
                context.algorithms.all,
                context.store.anchors(),
                &intermediates,
                time,
                match context.purpose {
                    Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
                    Purpose::ServerAuth | Purpose::OcspResponder => webpki::KeyUsage::server_auth(),
                },
                None,
                None,
            )
            .map(|path| {
                let signed = std::iter::once(end_entity.der().as_ref().to_vec()).chain(
                    path.intermediate_certificates()
                        .map(|c| c.der().as_ref().to_vec()),
                );
                let signers = path
                    .intermediate_certificates()
                    .map(|c| der_contents(c.subject_public_key_info().as_ref()))
                    .chain([path.anchor().subject_public_key_info.as_ref().to_vec()]);
                signed.zip(signers).collect()
            })
    };
    match path(now) {
        Err(e) if is_time_error(&e) => {
            let leaf = chain
                .first()
                .map_or((0, 0), |l| (l.effective_date(), l.expiry_date()));
            let middle = leaf.0 / 2 + leaf.1 / 2;
            let moment =
                UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(middle).unwrap_or(0)));
            path(moment).or_else(|e| {
                if is_time_error(&e) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })
        }
        other => other,
    }
}

fn is_time_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. }
            | webpki::Error::CertNotValidYet { .. }
            | webpki::Error::InvalidCertValidity
    )
}

/// webpki's reason for refusing, as a Qt error, unless an error already found accounts for it.
fn unexplained(
    refusal: &webpki::Error,
    chain: &[Certificate],
    found: &[SslErrorEntry],
) -> Option<SslErrorEntry> {
    use SslError as Q;
    use webpki::Error as E;
    let leaf = chain.first();
    let has = |errors: &[SslError]| found.iter().any(|f| errors.contains(&f.error));
    let (reason, explained) = match refusal {
        E::UnknownIssuer => (
            entry(Q::UnableToGetLocalIssuerCertificate, chain.last()),
            has(&[
                Q::SelfSignedCertificate,
                Q::SelfSignedCertificateInChain,
                Q::UnableToGetLocalIssuerCertificate,
                Q::UnableToGetIssuerCertificate,
                Q::CertificateSignatureFailed,
                Q::InvalidCaCertificate,
            ]),
        ),
        E::CaUsedAsEndEntity => (
            entry(Q::InvalidPurpose, leaf),
            has(&[Q::SelfSignedCertificate, Q::InvalidPurpose]),
        ),
        E::EndEntityUsedAsCa => (
            entry(Q::InvalidCaCertificate, chain.get(1)),
            has(&[Q::InvalidCaCertificate]),
        ),
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => (
            entry(Q::PathLengthExceeded, chain.last()),
            has(&[Q::PathLengthExceeded]),
        ),
        E::RequiredEkuNotFoundContext(_) => {
            (entry(Q::InvalidPurpose, leaf), has(&[Q::InvalidPurpose]))
        }
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => (
            entry(Q::CertificateSignatureFailed, leaf),
            has(&[Q::CertificateSignatureFailed]),
        ),
        e if is_time_error(e) => return None,
        _ => {
            let reason = entry(Q::UnspecifiedError, leaf);
            let explained = found.contains(&reason);
            (reason, explained)
        }
    };
    (!explained).then_some(reason)
}

fn entry(error: SslError, certificate: Option<&Certificate>) -> SslErrorEntry {
    SslErrorEntry {
        error,
        certificate: certificate.cloned(),
    }
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
